package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/engine/packet"
	"github.com/hubkit/hub/internal/ws"
	"github.com/hubkit/hub/internal/wsframe"
)

// WebSocket carries one Engine.IO packet per WebSocket frame: text frames in text form, binary
// messages as raw binary frames. A session can open on it directly or upgrade to it from
// polling or SSE. The frames of packets queued together leave in one write.
type WebSocket struct {
	// UpgradeTimeout bounds the probe exchange of an upgrade; zero means 10s.
	UpgradeTimeout time.Duration
}

// Name returns "websocket".
func (WebSocket) Name() string { return "websocket" }

// Upgradable is true: polling and SSE sessions move to WebSocket.
func (WebSocket) Upgradable() bool { return true }

// Accepts takes GET requests that carry the WebSocket upgrade headers.
func (WebSocket) Accepts(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Serve completes the WebSocket handshake (internal/ws.Upgrade), which takes the
// connection over from net/http, and returns: a goroutine of the connection's own reads frames,
// runs the probe exchange when the request upgrades an existing session, and hands packets to
// the session. What the session queues is written by the process's flushers (a few
// goroutines serving every connection with a raw socket, see flush_unix.go), or, for a TLS
// connection and on non-Unix systems, by a writer goroutine started only while the session
// has packets to write.
// Once nothing more is there to read, the reading goroutine hands the idle connection to the
// poller (on Linux, for a plain socket) and returns: an idle connection then has no goroutine
// and no buffer, and the poller starts a reading goroutine again when bytes arrive. Elsewhere,
// and for a TLS connection, the reading goroutine stays, blocked in a read. Server.Close waits
// for all of them (see Session.Detach).
func (t WebSocket) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	nc, pending, err := ws.Upgrade(w, r)
	if err != nil {
		if s.Upgrading() {
			s.AbortUpgrade()
		} else {
			s.Fail(err)
		}
		return
	}
	c := &wsConn{nc: nc, s: s, limit: s.MaxPayload(), writeTimeout: s.WriteTimeout(), done: s.Detach()}
	c.start(pending)
	go c.run(t.UpgradeTimeout)
}

// Reject completes the WebSocket handshake and closes the connection at once with a close
// frame without a status, as ws's close() does: what Node answers a second WebSocket for a
// session that has one. It half-closes, then waits closeLinger at most for the client's end.
func (WebSocket) Reject(w http.ResponseWriter, r *http.Request) {
	nc, _, err := ws.Upgrade(w, r)
	if err != nil {
		return // answered
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(closeLinger))
	if _, err := nc.Write([]byte{0x80 | wsframe.OpClose, 0}); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	var b [512]byte
	for total := 0; total < lingerMax; {
		n, err := nc.Read(b[:])
		total += n
		if err != nil {
			return
		}
	}
}

// run is the connection's first reading goroutine: the probe exchange, then the read loop.
func (c *wsConn) run(probeTimeout time.Duration) {
	defer c.recoverReader()
	// The connection lives as long as the session, not the request: when the session
	// finishes, whatever is blocked on the connection is released by closing it, and a
	// connection parked in the poller is ended there and then.
	c.stop = afterFunc(c.s.Context(), c.sessionEnded)
	if !c.begin(probeTimeout) {
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
func (c *wsConn) loop() {
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
func (c *wsConn) end() {
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
func (c *wsConn) recoverReader() {
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
func (c *wsConn) recoverOther(where string) {
	if r := recover(); r != nil {
		c.panicked(where, r)
	}
}

// panicked logs a panic recovered in one of the connection's goroutines, fails the session
// and closes the socket, so that the reading goroutine, wherever it waits, ends the connection.
func (c *wsConn) panicked(where string, r any) {
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

// closeLinger bounds how long a connection that sent its close frame waits for the client's
// end (its close frame, then EOF) before the socket closes: closing at once, with the
// client's bytes still coming, would have the client see a reset instead of the close frame.
const closeLinger = time.Second

// lingerMax bounds what is read and dropped while lingering.
const lingerMax = 1 << 20

// linger ends the close handshake the reading goroutine started or answered: once the close
// frame is out it half-closes the socket (the client reads EOF after the close frame) and reads
// and drops what the client still sends until EOF, for closeLinger and lingerMax bytes at
// most. The caller ends the connection after.
func (c *wsConn) linger() {
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
func (c *wsConn) sessionEnded() {
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

// begin runs the probe exchange if the request upgrades a session, and has the session start
// writers (ready). It reports whether the connection carries the session.
func (c *wsConn) begin(probeTimeout time.Duration) bool {
	if c.s.Upgrading() && !c.probe(probeTimeout) {
		c.writeClose(closeNormal)
		return false
	}
	c.s.Notify(c.ready)
	return true
}

// probe runs the upgrade handshake: 2probe → 3probe, then 5. Anything else aborts the upgrade
// and leaves the session on its old transport.
func (c *wsConn) probe(timeout time.Duration) bool {
	s := c.s
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	defer c.nc.SetReadDeadline(time.Time{})
	for _, want := range []packet.PacketType{packet.Ping, packet.Upgrade} {
		op, data, err := c.readMessage()
		if err != nil || op != wsframe.OpText {
			s.AbortUpgrade()
			return false
		}
		p, err := packet.DecodeText(data)
		if err != nil || p.Type != want || (want == packet.Ping && string(p.Data) != "probe") {
			s.AbortUpgrade()
			return false
		}
		if want == packet.Ping {
			if c.writeBatch(append(wsframe.AppendHeader(nil, wsframe.OpText, 6), "3probe"...), false) != nil || s.Probe() != nil {
				s.AbortUpgrade()
				return false
			}
			continue
		}
		if s.Upgrade() != nil {
			return false
		}
	}
	return true
}

// next reads the client's next message and hands it to the session; err is that of a read
// before. It reports whether the connection goes on.
func (c *wsConn) next(err error) bool {
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
			code, err = closeTooBig, ErrTooLarge
		case errors.Is(err, errProtocol):
			code = closeProtocolError
		case errors.Is(err, errBadUTF8):
			code = closeInvalidData
		default:
			// A close frame, or the connection dropped without one: Node calls both
			// "transport close".
			closed = errors.As(err, new(closeError))
			err = fmt.Errorf("%w: %v", ErrPeerClosed, err)
		}
		if code != 0 {
			c.writeClose(code)
		}
		linger := code != 0 || closed
		if linger {
			c.mu.Lock()
			c.lingering = true // the session's end leaves the socket to linger
			c.mu.Unlock()
		}
		s.Fail(err)
		if linger {
			c.linger()
		}
		return false
	}
	var p packet.Packet
	if op == wsframe.OpBinary {
		p = packet.Packet{Type: packet.Message, Data: data, Binary: true}
	} else if p, err = packet.DecodeText(data); err != nil {
		s.Fail(err)
		return false
	}
	// After the session closed, what the client still sends is dropped, and the loop goes
	// on until the client answers the close frame or the session finishes.
	s.Receive(p)
	return true
}

// wsConn is a WebSocket connection after the handshake: hub reads and writes its frames.
type wsConn struct {
	nc    net.Conn
	raw   syscall.RawConn // nc's, if it has one: then a read waits for data without a buffer
	s     Session
	limit int64 // the largest message accepted, in bytes

	// The reading goroutine's: the unread bytes are (*buf)[r:w]. buf comes from readPool
	// when bytes arrive and goes back once they are read: nil while none are buffered.
	buf  *[]byte
	r, w int
	one  [1]byte // a read without raw waits for one byte here
	// idleBy is the read deadline set for the grace period an idle connection keeps its
	// reading goroutine (see read), in Unix nanoseconds; 0 if none is set.
	idleBy int64

	wmu       sync.Mutex // serialises writes: batches, pongs, close frames
	closeSent bool       // nothing is written after the close frame; guarded by wmu
	// writeBy is the write deadline set, in Unix nanoseconds, 0 if none; guarded by wmu.
	writeBy      int64
	writeTimeout time.Duration // bounds a blocking write (Session.WriteTimeout)

	done func()      // ends the request (Session.Detach)
	stop func() bool // unregisters sessionEnded from the session's context

	pkts []packet.Packet // the array of the last batch, kept between a flusher's visits

	endStarted bool // end has run; the reading goroutine's

	mu      sync.Mutex     // guards what follows
	stopped bool           // the reading side has ended: no writer starts
	writers sync.WaitGroup // running writers
	ending  bool           // the connection is ending: it is not parked again
	parked  bool           // the connection waits in the poller, without a goroutine
	// lingering: the reading goroutine ends the close handshake (see linger)
	lingering bool
	pollID    uint64 // the connection's id in the poller; 0 while not registered
}

// writeBatch writes b, frames whole, in one Write; closing marks it as ending with the close
// frame. Nothing is written after a close frame.
func (c *wsConn) writeBatch(b []byte, closing bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	c.closeSent = closing
	c.setWriteDeadline()
	_, err := c.nc.Write(b)
	c.clearWriteDeadline()
	return err
}

// setWriteDeadline bounds the blocking write about to start (wmu held): a client that does not
// read fails within the session's WriteTimeout. On a raw socket the deadline is cleared after
// the write, as the flushers' writes must not find it expired. Elsewhere every write blocks
// and the deadline stays, moved only once half of it has passed: a busy connection pays for
// it once in a while, not per write.
func (c *wsConn) setWriteDeadline() {
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
func (c *wsConn) clearWriteDeadline() {
	if c.raw != nil && c.writeBy != 0 {
		c.nc.SetWriteDeadline(time.Time{})
		c.writeBy = 0
	}
}

// writeClose writes a close frame with code, unless one was written.
func (c *wsConn) writeClose(code uint16) error {
	var b [4]byte
	return c.writeBatch(appendClose(b[:0], code), true)
}

// ready is the session's ready func (Session.Notify): it has a writer take what is ready —
// the process's flushers (see flush_unix.go) if the connection has a raw socket, else a
// goroutine of its own.
func (c *wsConn) ready() {
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
func (c *wsConn) writeLoop() {
	defer c.writers.Done()
	defer c.recoverOther("writing")
	// Let whoever woke us queue more first — a broadcast is waking every session's writer in
	// turn: the writers then take batches, not one packet each, and each batch is one
	// write(2). Measured in BENCHMARKS.md: server CPU per delivered broadcast message
	// −15–30%, delivered msg/s ×2.
	runtime.Gosched()
	c.writeOn(nil)
}

// writeOn writes batches until the session has nothing more for the connection; pkts is the
// array of the last batch, for reuse.
func (c *wsConn) writeOn(pkts []packet.Packet) {
	for {
		var b batch
		if b, pkts = c.take(pkts); !b.ok {
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

// take pulls what the session has ready (reuse: the array of the last batch) and builds its
// frames into a batch.
func (c *wsConn) take(reuse []packet.Packet) (batch, []packet.Packet) {
	pkts, err := c.s.TryPull(reuse)
	if (err != nil && !errors.Is(err, ErrClosed)) || (err == nil && len(pkts) == 0) {
		return batch{}, nil
	}
	b := batch{bp: batchPool.Get().(*[]byte), closed: err != nil, ok: true}
	buf := (*b.bp)[:0]
	for _, p := range pkts {
		if p.Type == packet.Noop || p.Type == packet.Close {
			// Never a noop on a WebSocket; and a close is the close frame, as in Node (a
			// client reading a close packet right behind "41" would see the transport
			// close before the namespace disconnect).
			continue
		}
		if p.Binary {
			buf = wsframe.AppendHeader(buf, wsframe.OpBinary, len(p.Data))
			buf = append(buf, p.Data...)
		} else {
			buf = wsframe.AppendHeader(buf, wsframe.OpText, 1+len(p.Data))
			buf = packet.AppendText(buf, p)
		}
	}
	if b.closed { // the final packets, then the close frame, in the same write
		buf = appendClose(buf, closeNormal)
	}
	b.buf = buf
	return b, pkts
}

// batchPool holds the buffers writers build batches in: an idle connection keeps none.
var batchPool = sync.Pool{New: func() any { return new([]byte) }}

// Close status codes (RFC 6455 §7.4.1) hub sends.
const (
	closeNormal        = 1000
	closeProtocolError = 1002
	closeInvalidData   = 1007
	closeTooBig        = 1009
)

// appendClose appends a close frame with a status code and no reason.
func appendClose(b []byte, code uint16) []byte {
	return append(b, 0x80|wsframe.OpClose, 2, byte(code>>8), byte(code))
}

// maxKeptBuffer bounds the buffers kept for reuse, so that one large message does not stay
// allocated.
const maxKeptBuffer = 64 << 10
