package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

// Session is what a connection carries, as the transport binds it (an Engine.IO session).
// Its methods may be called from any goroutine: the connection's reading goroutine, its
// writers, the process's flushers.
type Session interface {
	// Context is done once the session has finished: the connection then ends.
	Context() context.Context
	// Fail ends the session because of the connection: err is ErrTooBig, ErrPeerClosed
	// (wrapped), a protocol error, a write error, or a recovered panic.
	Fail(err error)
	// FailSettled starts ending the session for err, a failure the reading goroutine found
	// after messages it handed to Message: once those are handled, the session closes, and
	// Frames returns what their handling queued as its last frames, which the connection
	// writes before the close frame with the failure's code. It must not block. The
	// connection waits for that close frame (boundedly), then calls Fail(err).
	FailSettled(err error)
	// Logger receives the connection's logs (a recovered panic, with its stack).
	Logger() *slog.Logger
	// Begin runs first in the reading goroutine (an upgrade's probe exchange, with
	// Conn.ReadMessage and Conn.Write). It reports whether the connection carries the
	// session; if not, the connection closes (a close frame without a status).
	Begin(c *Conn) bool
	// Notify has the session call ready whenever it has something to write, as
	// transport.Session.Notify: then a writer calls Frames until it finds nothing. ready must
	// not block.
	Notify(ready func())
	// Message handles one data message (op is wsframe.OpText, valid UTF-8, or
	// wsframe.OpBinary); data is the session's. An error (a message that does not decode)
	// ends the connection as ws ends one for Engine.IO's parse error: a close frame without
	// a status, then Fail(err).
	Message(op byte, data []byte) error
	// Frames appends the frames of what the session has ready to buf: ok is false when it has
	// nothing (nor is closing); last when these are its final frames, after which the connection
	// writes the close frame. Calls never overlap.
	Frames(buf []byte) (out []byte, last, ok bool)
}

// Options configure a connection served by [Serve].
type Options struct {
	MaxMessage   int64         // the largest message accepted, in bytes: past it, 1009
	WriteTimeout time.Duration // bounds one blocking write; zero means none
	Done         func()        // called once the connection has ended and its goroutines stopped
}

// Serve serves nc, a connection past the opening handshake (see [Upgrade]), for s: pending is
// what the client sent behind its handshake. It starts the connection's reading goroutine and
// returns: the goroutine runs s.Begin, then reads frames and hands messages to s; what s has
// to write is written by the process's flushers on a plain socket, or else by a goroutine of the
// connection's own started while s has packets to write. Once nothing more is there to read,
// the reading goroutine hands the idle connection to the poller (on Linux, for a plain socket)
// and returns: an idle connection then has no goroutine and no buffer. Elsewhere, and for a
// TLS connection, the reading goroutine stays, blocked in a read. The connection ends with the
// session (s.Context), with the client, or with an error; then o.Done is called.
func Serve(nc net.Conn, pending []byte, s Session, o Options) {
	c := &Conn{nc: nc, s: s, limit: o.MaxMessage, writeTimeout: o.WriteTimeout, done: o.Done}
	c.start(pending)
	go c.run()
}

// Errors a connection fails its session with.
var (
	// ErrTooBig is a message over Options.MaxMessage (closed with 1009).
	ErrTooBig = errors.New("engine.io: websocket message exceeds maxPayload")
	// ErrPeerClosed is the client's close frame, or the connection dropped without one.
	ErrPeerClosed = errors.New("engine.io: websocket closed by the client")
)

// ReadMessage reads the client's next data message, for Session.Begin: its opcode and its
// payload, the caller's. It answers pings and a close frame on the way.
func (c *Conn) ReadMessage() (op byte, msg []byte, err error) { return c.readMessage() }

// Write writes b, whole frames, for Session.Begin.
func (c *Conn) Write(b []byte) error { return c.writeBatch(b, false) }

// SetReadDeadline sets the deadline of ReadMessage, for Session.Begin.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// run is the connection's first reading goroutine: the probe exchange, then the read loop.
func (c *Conn) run() {
	defer c.recoverReader()
	// The connection lives as long as the session, not the request: when the session
	// finishes, whatever is blocked on the connection is released by closing it, and a
	// connection parked in the poller is ended there and then.
	c.stop = afterFunc(c.s.Context(), c.sessionEnded)
	if !c.begin() {
		c.end()
		return
	}
	c.loop()
}

// loop reads the client's messages and hands them to the session until the connection ends
// (then it ends it), or until nothing more is there to read and the connection is parked in
// the poller: then it returns at once, and the poller runs loop again, in a new goroutine,
// once the socket is readable. It waits for the client's next bytes in this frame, so that a
// goroutine waiting here has a shallow stack, one the runtime shrinks to its minimum.
func (c *Conn) loop() {
	defer c.recoverReader()
	for {
		var err error
		if c.r == c.w {
			var parked bool
			if parked, err = c.readIdle(); parked {
				return // the connection is the poller's now: touch nothing
			}
		}
		if !c.next(err) {
			break
		}
	}
	c.end()
}

// end ends the connection: the socket, its registration in the poller, the writers, the
// request. It runs once, in the goroutine that owns the reading side — the reading goroutine,
// or, for a connection parked in the poller, the one that saw the session end.
func (c *Conn) end() {
	c.endStarted = true
	c.mu.Lock()
	c.ending = true
	c.mu.Unlock()
	c.nc.Close()
	c.stop()
	c.unpoll()
	c.mu.Lock()
	c.stopped = true // no writer starts from now on
	c.mu.Unlock()
	c.writers.Wait()
	c.release()
	c.done()
}

// recoverReader, deferred by the reading goroutine, turns a panic there (a session's
// handler, a bug) into the end of the connection, logged with its stack: one connection never
// takes the process down.
func (c *Conn) recoverReader() {
	r := recover()
	if r == nil {
		return
	}
	c.panicked("reading", r)
	if !c.endStarted { // else end itself panicked: what is left of it cannot be trusted
		c.end()
	}
}

// recoverOther, deferred by the connection's other goroutines (writeLoop, writeRest,
// sessionEnded), is recoverReader's counterpart: the session fails, and the socket closes,
// which ends the connection.
func (c *Conn) recoverOther(where string) {
	if r := recover(); r != nil {
		c.panicked(where, r)
	}
}

// panicked logs a panic recovered in one of the connection's goroutines, fails the session
// and closes the socket, so that the reading goroutine, wherever it waits, ends the connection.
func (c *Conn) panicked(where string, r any) {
	stack := debug.Stack()
	func() {
		defer func() { recover() }() // the session may be what panics
		c.s.Logger().Error("engine.io: panic on a websocket connection; closing it",
			"while", where, "panic", r, "stack", string(stack))
	}()
	func() {
		defer func() { recover() }()
		c.s.Fail(fmt.Errorf("engine.io: panic %s a websocket connection: %v", where, r))
	}()
	c.nc.Close()
}

// afterFunc is context.AfterFunc(ctx, f) without the context package's own registration
// (a cancelCtx of a few hundred bytes per connection) when ctx implements AfterFunc itself,
// as the engine's session does. f runs in a goroutine of its own either way.
func afterFunc(ctx context.Context, f func()) (stop func() bool) {
	if c, ok := ctx.(interface{ AfterFunc(func()) func() bool }); ok {
		return c.AfterFunc(func() { go f() })
	}
	return context.AfterFunc(ctx, f)
}

// settleWait bounds how long a connection that failed waits for the session to have handled
// the messages read before the failure and written its replies (see Session.FailSettled)
// before it writes the close frame regardless: a handler that blocks does not hold the
// connection.
const settleWait = time.Second

// closeLinger bounds how long a connection that sent its close frame waits for the client's
// end (its close frame, then EOF) before the socket closes: closing at once, with the
// client's bytes still coming, would have the client see a reset instead of the close frame.
const closeLinger = time.Second

// lingerMax bounds what is read and dropped while lingering.
const lingerMax = 1 << 20

// awaitClose waits, for closeLinger at most, for the client's answer to a close frame
// without a status, dropping its messages: ws's close() keeps the connection open until the
// client's close frame, where it ends a failed connection (1002, 1007, 1009) at once.
func (c *Conn) awaitClose() {
	c.clearIdleDeadline()
	if c.nc.SetReadDeadline(time.Now().Add(closeLinger)) != nil {
		return
	}
	for {
		if _, _, err := c.readMessage(); err != nil {
			return
		}
	}
}

// linger ends the close handshake the reading goroutine started or answered: once the close
// frame is out it half-closes the socket (the client reads EOF after the close frame) and reads
// and drops what the client still sends until EOF, for closeLinger and lingerMax bytes at
// most. The caller ends the connection after.
func (c *Conn) linger() {
	c.wmu.Lock()
	sent := c.closeSent
	if sent {
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
			c.nc.SetWriteDeadline(time.Now().Add(closeLinger))
			cw.CloseWrite()
		}
	}
	c.wmu.Unlock()
	if !sent {
		return
	}
	c.clearIdleDeadline()
	if c.nc.SetReadDeadline(time.Now().Add(closeLinger)) != nil {
		return
	}
	c.r, c.w = 0, 0
	var one [512]byte
	b := one[:]
	if c.buf != nil {
		b = *c.buf
	}
	for total := 0; total < lingerMax; {
		n, err := c.nc.Read(b)
		total += n
		if err != nil {
			return
		}
	}
}

// sessionEnded runs when the session has finished. A connection parked in the poller has no
// goroutine to notice: this one takes it over and ends it. Otherwise closing the socket
// releases the reading goroutine, which ends the connection.
func (c *Conn) sessionEnded() {
	defer c.recoverOther("ending")
	c.mu.Lock()
	c.ending = true // the connection is not parked again
	parked := c.parked
	c.parked = false // if it was, it is ours now
	lingering := c.lingering
	c.mu.Unlock()
	if parked {
		// Armed in the poller: unregistered before the socket closes. (Not parked, the
		// connection's registration, if any, is disarmed, its EPOLLONESHOT spent: it reports
		// nothing more, and goes with the socket.)
		c.unregister()
		c.end()
		return
	}
	if !lingering { // else the reading goroutine ends the connection within closeLinger
		c.nc.Close()
	}
}

// begin runs the session's Begin, and has the session start writers (ready). It reports
// whether the connection carries the session.
func (c *Conn) begin() bool {
	if !c.s.Begin(c) {
		c.writeClose(closeNoStatus)
		return false
	}
	c.s.Notify(c.ready)
	return true
}

// next reads the client's next message and hands it to the session; err is that of a read
// before. It reports whether the connection goes on.
func (c *Conn) next(err error) bool {
	s := c.s
	var op byte
	var data []byte
	if err == nil {
		op, data, err = c.readMessage()
	}
	if err != nil {
		var code uint16
		closed := false // by the client's close frame, which control answered
		switch {
		case s.Context().Err() != nil: // the session ended first
			return false
		case errors.Is(err, errTooBig):
			code, err = closeTooBig, ErrTooBig
		case errors.Is(err, errProtocol):
			code = closeProtocolError
		case errors.Is(err, errBadUTF8):
			code = closeInvalidData
		case errors.As(err, new(*messageError)):
			code, err = closeNoStatus, errors.Unwrap(err)
		default:
			// A close frame, or the connection dropped without one: Node calls both
			// "transport close".
			closed = errors.As(err, new(closeError))
			err = fmt.Errorf("%w: %v", ErrPeerClosed, err)
		}
		if code != 0 {
			if code != closeNoStatus {
				// A frame Node's ws refuses: Node has handled the messages before it
				// (their handlers run first), so their replies precede the close frame.
				// A message that does not decode is Engine.IO's parse error instead,
				// which Node's engine.io acts on at once: replies are dropped.
				c.settle(code, err)
			}
			c.writeClose(code) // unless the session's last frames carried it
		}
		linger := code != 0 || closed
		if linger {
			c.mu.Lock()
			c.lingering = true // the session's end leaves the socket to linger
			c.mu.Unlock()
		}
		s.Fail(err)
		if code == closeNoStatus {
			c.awaitClose()
		}
		if linger {
			c.linger()
		}
		return false
	}
	// After the session closed, what the client still sends is dropped, and the loop goes
	// on until the client answers the close frame or the session finishes.
	if err := s.Message(op, data); err != nil {
		return c.next(&messageError{err})
	}
	return true
}

// settle has the session end for err, a failure of the client's (code, the close frame's
// status), once it has handled what the client sent before: the replies go out before the
// close frame, as in Node, whose handlers run before its ws acts on the failure. It waits for
// that close frame, for settleWait at most, or until the session has ended.
func (c *Conn) settle(code uint16, err error) {
	c.wmu.Lock()
	if c.closeSent {
		c.wmu.Unlock()
		return
	}
	sent := make(chan struct{})
	c.closeCh = sent
	c.wmu.Unlock()
	c.mu.Lock()
	c.failCode = code // for take: the session's last frames end with this close frame
	c.mu.Unlock()
	c.s.FailSettled(err)
	t := time.NewTimer(settleWait)
	defer t.Stop()
	select {
	case <-sent:
	case <-c.s.Context().Done():
	case <-t.C:
	}
}

// messageError is a message the session could not take (Session.Message): the connection
// ends as for a protocol error, with a close frame without a status.
type messageError struct{ err error }

func (e *messageError) Error() string { return e.err.Error() }
func (e *messageError) Unwrap() error { return e.err }

// Conn is a WebSocket connection after the handshake: hub reads and writes its frames. Its
// exported methods are for Session.Begin, in the reading goroutine.
type Conn struct {
	nc    net.Conn
	raw   syscall.RawConn // nc's, if it has one: then a read waits for data without a buffer
	s     Session
	limit int64 // the largest message accepted, in bytes

	// The reading goroutine's: the unread bytes are (*buf)[r:w]. buf comes from readPool
	// when bytes arrive and goes back once they are read: nil while none are buffered.
	buf  *[]byte
	r, w int
	// idleBy is the read deadline set for the grace period an idle connection keeps its
	// reading goroutine (see read), in Unix nanoseconds; 0 if none is set.
	idleBy int64

	wmu       sync.Mutex // serialises writes: batches, pongs, close frames
	closeSent bool       // nothing is written after the close frame; guarded by wmu
	// closeCh, if not nil, is closed when the close frame is written (see settle); guarded
	// by wmu.
	closeCh chan struct{}
	// writeBy is the write deadline set, in Unix nanoseconds, 0 if none; guarded by wmu.
	writeBy      int64
	writeTimeout time.Duration // bounds a blocking write (Session.WriteTimeout)

	done func()      // ends the request (Session.Detach)
	stop func() bool // unregisters sessionEnded from the session's context

	endStarted bool    // end has run; the reading goroutine's
	one        [1]byte // the reading goroutine's: a read without raw waits for one byte here

	mu      sync.Mutex // guards what follows
	stopped bool       // the reading side has ended: no writer starts
	// failCode is the status of the close frame that ends the session's last frames: 0 for
	// none (closeNoStatus), or the code of the client's failure (see settle).
	failCode uint16
	writers  sync.WaitGroup // running writers
	ending   bool           // the connection is ending: it is not parked again
	parked   bool           // the connection waits in the poller, without a goroutine
	// lingering: the reading goroutine ends the close handshake (see linger)
	lingering bool
	pollID    uint64 // the connection's id in the poller; 0 while not registered
}

// writeBatch writes b, frames whole, in one Write; closing marks it as ending with the close
// frame. Nothing is written after a close frame.
func (c *Conn) writeBatch(b []byte, closing bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	c.sending(closing)
	c.setWriteDeadline()
	_, err := c.nc.Write(b)
	c.clearWriteDeadline()
	return err
}

// sending marks the batch about to be written (wmu held): closing, it ends with the close
// frame, and nothing is written after it.
func (c *Conn) sending(closing bool) {
	if !closing {
		return
	}
	c.closeSent = true
	if c.closeCh != nil {
		close(c.closeCh)
		c.closeCh = nil
	}
}

// setWriteDeadline bounds the blocking write about to start (wmu held): a client that does not
// read fails within the session's WriteTimeout. On a raw socket the deadline is cleared after
// the write, as the flushers' writes must not find it expired. Elsewhere every write blocks
// and the deadline stays, moved only once half of it has passed: a busy connection pays for
// it once in a while, not per write.
func (c *Conn) setWriteDeadline() {
	if c.writeTimeout <= 0 {
		return
	}
	now := time.Now()
	if c.raw == nil && c.writeBy != 0 && now.UnixNano() < c.writeBy-int64(c.writeTimeout/2) {
		return
	}
	by := now.Add(c.writeTimeout)
	if c.nc.SetWriteDeadline(by) == nil {
		c.writeBy = by.UnixNano()
	}
}

// clearWriteDeadline clears what setWriteDeadline set on a raw socket (wmu held).
func (c *Conn) clearWriteDeadline() {
	if c.raw != nil && c.writeBy != 0 {
		c.nc.SetWriteDeadline(time.Time{})
		c.writeBy = 0
	}
}

// writeClose writes a close frame with code, unless one was written.
func (c *Conn) writeClose(code uint16) error {
	var b [4]byte
	return c.writeBatch(appendClose(b[:0], code), true)
}

// ready is the session's ready func (Session.Notify): it has a writer take what is ready —
// the process's flushers (see flush_unix.go) if the connection has a raw socket, else a
// goroutine of its own.
func (c *Conn) ready() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.writers.Add(1)
	c.mu.Unlock()
	if c.raw != nil {
		flushers.push(c)
		return
	}
	go c.writeLoop()
}

// writeLoop writes what the session queues, one frame per packet, the frames of one batch in
// one write(2), and exits when nothing is left: the session calls ready for the next
// packets. A server frame is unmasked, its header two to ten bytes.
func (c *Conn) writeLoop() {
	defer c.writers.Done()
	defer c.recoverOther("writing")
	// Let whoever woke us queue more first — a broadcast is waking every session's writer in
	// turn: the writers then take batches, not one packet each, and each batch is one
	// write(2). Measured in BENCHMARKS.md: server CPU per delivered broadcast message
	// −15–30%, delivered msg/s ×2.
	runtime.Gosched()
	c.writeOn()
}

// writeOn writes batches until the session has nothing more for the connection.
func (c *Conn) writeOn() {
	for {
		b := c.take()
		if !b.ok {
			return
		}
		var werr error
		if len(b.buf) > 0 {
			werr = c.writeBatch(b.buf, b.closed)
		}
		b.release()
		if werr != nil {
			c.s.Fail(werr)
			return
		}
		if b.closed {
			return
		}
	}
}

// batch is one write's worth of frames, in a buffer from batchPool.
type batch struct {
	bp     *[]byte
	buf    []byte
	closed bool // the session's last: it ends with the close frame
	ok     bool // false when the session had nothing for the connection, or failed
}

func (b *batch) release() {
	if cap(b.buf) <= maxKeptBuffer {
		*b.bp = b.buf[:0]
		batchPool.Put(b.bp)
	}
}

// take has the session build the frames of what it has ready into a batch.
func (c *Conn) take() batch {
	b := batch{bp: batchPool.Get().(*[]byte)}
	buf, last, ok := c.s.Frames((*b.bp)[:0])
	if !ok {
		*b.bp = buf[:0]
		batchPool.Put(b.bp)
		return batch{}
	}
	if last { // the final frames, then the close frame, in the same write
		c.mu.Lock()
		code := c.failCode
		c.mu.Unlock()
		if code == 0 {
			code = closeNoStatus
		}
		buf = appendClose(buf, code)
	}
	b.buf, b.closed, b.ok = buf, last, true
	return b
}

// batchPool holds the buffers writers build batches in: an idle connection keeps none.
var batchPool = sync.Pool{New: func() any { return new([]byte) }}

// Close status codes (RFC 6455 §7.4.1) hub sends. closeNoStatus is a close frame with an
// empty body, what ws sends when the server ends a connection normally (its close()).
const (
	closeNoStatus      = 1005
	closeProtocolError = 1002
	closeInvalidData   = 1007
	closeTooBig        = 1009
)

// appendClose appends a close frame with a status code and no reason, or with an empty body
// for closeNoStatus.
func appendClose(b []byte, code uint16) []byte {
	if code == closeNoStatus {
		return append(b, 0x80|wsframe.OpClose, 0)
	}
	return append(b, 0x80|wsframe.OpClose, 2, byte(code>>8), byte(code))
}

// maxKeptBuffer bounds the buffers kept for reuse, so that one large message does not stay
// allocated.
const maxKeptBuffer = 64 << 10
