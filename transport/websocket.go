package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine/packet"
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

// Serve completes the WebSocket handshake (coder/websocket's Accept), then takes the
// connection over from net/http and returns: a goroutine of the connection's own reads frames,
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
	h := &handoff{ResponseWriter: w}
	wc, err := websocket.Accept(h, r, &websocket.AcceptOptions{
		// Origin checks belong to the server's AllowRequest hook, as in Node.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		if s.Upgrading() {
			s.AbortUpgrade()
		} else {
			s.Fail(err)
		}
		return
	}
	// coder/websocket got a stand-in for the connection (see handoff): its Conn is done.
	wc.CloseNow()
	c := &wsConn{nc: h.conn, s: s, limit: s.MaxPayload(), done: s.Detach()}
	c.start(h.pending)
	go c.run(t.UpgradeTimeout)
}

// run is the connection's first reading goroutine: the probe exchange, then the read loop.
func (c *wsConn) run(probeTimeout time.Duration) {
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

// afterFunc is context.AfterFunc(ctx, f) without the context package's own registration
// (a cancelCtx of a few hundred bytes per connection) when ctx implements AfterFunc itself,
// as the engine's session does. f runs in a goroutine of its own either way.
func afterFunc(ctx context.Context, f func()) (stop func() bool) {
	if c, ok := ctx.(interface{ AfterFunc(func()) func() bool }); ok {
		return c.AfterFunc(func() { go f() })
	}
	return context.AfterFunc(ctx, f)
}

// sessionEnded runs when the session has finished. A connection parked in the poller has no
// goroutine to notice: this one takes it over and ends it. Otherwise closing the socket
// releases the reading goroutine, which ends the connection.
func (c *wsConn) sessionEnded() {
	c.mu.Lock()
	c.ending = true // the connection is not parked again
	parked := c.parked
	c.parked = false // if it was, it is ours now
	c.mu.Unlock()
	if parked {
		// Armed in the poller: unregistered before the socket closes. (Not parked, the
		// connection's registration, if any, is disarmed, its EPOLLONESHOT spent: it reports
		// nothing more, and goes with the socket.)
		c.unregister()
		c.end()
		return
	}
	c.nc.Close()
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
			// Probe first: a client that has 3probe may send 5 and poll again at once, and
			// the engine must know the probe succeeded when that poll comes.
			if s.Probe() != nil || c.writeBatch(append(wsframe.AppendHeader(nil, wsframe.OpText, 6), "3probe"...), false) != nil {
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
		switch {
		case s.Context().Err() != nil: // the session ended first
		case errors.Is(err, errTooBig):
			c.writeClose(closeTooBig)
			s.Fail(ErrTooLarge)
		case errors.Is(err, errProtocol):
			c.writeClose(closeProtocolError)
			s.Fail(err)
		default:
			// A close frame, or the connection dropped without one: Node calls both
			// "transport close".
			s.Fail(fmt.Errorf("%w: %v", ErrPeerClosed, err))
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

	done func()      // ends the request (Session.Detach)
	stop func() bool // unregisters sessionEnded from the session's context

	pkts []packet.Packet // the array of the last batch, kept between a flusher's visits

	mu      sync.Mutex     // guards what follows
	stopped bool           // the reading side has ended: no writer starts
	writers sync.WaitGroup // running writers
	ending  bool           // the connection is ending: it is not parked again
	parked  bool           // the connection waits in the poller, without a goroutine
	pollID  uint64         // the connection's id in the poller; 0 while not registered
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
	_, err := c.nc.Write(b)
	return err
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
	closeTooBig        = 1009
)

// appendClose appends a close frame with a status code and no reason.
func appendClose(b []byte, code uint16) []byte {
	return append(b, 0x80|wsframe.OpClose, 2, byte(code>>8), byte(code))
}

// maxKeptBuffer bounds the buffers kept for reuse, so that one large message does not stay
// allocated.
const maxKeptBuffer = 64 << 10

// handoff is the http.ResponseWriter websocket.Accept gets: its Hijack takes the connection
// from net/http and gives coder/websocket a stand-in instead, so that the handshake is
// coder/websocket's and the frames are hub's. What the client sent behind its handshake
// request, already in net/http's buffer, is kept in pending; net/http's buffers are dropped.
type handoff struct {
	http.ResponseWriter
	conn    net.Conn
	pending []byte
}

// Hijack takes the connection over from net/http, as http.Hijacker.
func (h *handoff) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		h.pending = bytes.Clone(b)
	}
	h.conn = nc
	si := standIn{nc}
	return si, bufio.NewReadWriter(bufio.NewReaderSize(si, 16), bufio.NewWriterSize(si, 16)), nil
}

// Unwrap gives http.ResponseController the ResponseWriter underneath.
func (h *handoff) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// standIn is the connection coder/websocket's Conn holds: no I/O, and closing it (its
// CloseNow, or its finalizer) leaves the real connection alone.
type standIn struct{ real net.Conn }

func (standIn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (standIn) Write([]byte) (int, error)        { return 0, net.ErrClosed }
func (standIn) Close() error                     { return nil }
func (c standIn) LocalAddr() net.Addr            { return c.real.LocalAddr() }
func (c standIn) RemoteAddr() net.Addr           { return c.real.RemoteAddr() }
func (standIn) SetDeadline(time.Time) error      { return nil }
func (standIn) SetReadDeadline(time.Time) error  { return nil }
func (standIn) SetWriteDeadline(time.Time) error { return nil }
