package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine/packet"
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

// Serve completes the WebSocket handshake, runs the probe exchange when the request upgrades
// an existing session, then pumps packets both ways until the session or the connection ends.
// It uses two goroutines, this one reading and one writing, and none once it returns.
func (t WebSocket) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	cw := &lockedWriter{ResponseWriter: w}
	c, err := websocket.Accept(cw, r, &websocket.AcceptOptions{
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
	defer c.CloseNow()
	c.SetReadLimit(s.MaxPayload())
	// The connection lives as long as the session, not the request: when the session
	// finishes, whatever is blocked on the connection is released by closing it.
	stop := context.AfterFunc(s.Context(), func() { c.CloseNow() })
	defer stop()
	if s.Upgrading() && !t.probe(s.Context(), c, s) {
		c.Close(websocket.StatusNormalClosure, "")
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		writeLoop(c, cw.conn, s)
	}()
	readLoop(c, s)
	// The read side ends when the session closes or the connection breaks; the writer then
	// flushes the final packets and closes, or stops once the session has finished.
	<-done
}

// probe runs the upgrade handshake: 2probe → 3probe, then 5. Anything else aborts the upgrade
// and leaves the session on its old transport.
func (t WebSocket) probe(ctx context.Context, c *websocket.Conn, s Session) bool {
	timeout := t.UpgradeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, want := range []packet.PacketType{packet.Ping, packet.Upgrade} {
		typ, data, err := c.Read(ctx)
		if err != nil || typ != websocket.MessageText {
			s.AbortUpgrade()
			return false
		}
		p, err := packet.DecodeText(data)
		if err != nil || p.Type != want || (want == packet.Ping && string(p.Data) != "probe") {
			s.AbortUpgrade()
			return false
		}
		if want == packet.Ping {
			if c.Write(ctx, websocket.MessageText, []byte("3probe")) != nil || s.Probe() != nil {
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

func readLoop(c *websocket.Conn, s Session) {
	// No deadline here: a finished session closes the connection, which ends the read.
	ctx := context.Background()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			switch {
			case s.Context().Err() != nil: // the session ended first
			case websocket.CloseStatus(err) == websocket.StatusMessageTooBig, errors.Is(err, websocket.ErrMessageTooBig):
				s.Fail(ErrTooLarge)
			default:
				// A close frame, or the connection dropped without one: Node calls both
				// "transport close".
				s.Fail(fmt.Errorf("%w: %v", ErrPeerClosed, err))
			}
			return
		}
		var p packet.Packet
		if typ == websocket.MessageBinary {
			p = packet.Packet{Type: packet.Message, Data: data, Binary: true}
		} else if p, err = packet.DecodeText(data); err != nil {
			s.Fail(err)
			return
		}
		if s.Receive(p) != nil {
			return
		}
	}
}

// writeLoop writes what the session queues, one frame per packet, the frames of one batch in
// one write(2). It builds the frames itself — a server frame is unmasked, its header two to
// ten bytes — rather than through websocket.Conn.Write, whose per-message lock and writer
// reset cost more than the write(2); coder/websocket still writes its control frames (pong,
// close) on the same connection, whole and in between batches (conn orders the writes).
func writeLoop(c *websocket.Conn, conn *lockedConn, s Session) {
	// Writes block at most until the session finishes (which closes the connection).
	ctx := context.Background()
	var pkts []packet.Packet
	var batch []byte
	for {
		var err error
		pkts, err = s.Pull(ctx, pkts)
		if err != nil && !errors.Is(err, ErrClosed) {
			return
		}
		batch = batch[:0]
		for _, p := range pkts {
			if p.Type == packet.Noop || p.Type == packet.Close {
				// Never a noop on a WebSocket; and a close is the close frame, as in Node (a
				// client reading a close packet right behind "41" would see the transport
				// close before the namespace disconnect).
				continue
			}
			if p.Binary {
				batch = appendFrameHeader(batch, opBinary, len(p.Data))
				batch = append(batch, p.Data...)
			} else {
				batch = appendFrameHeader(batch, opText, 1+len(p.Data))
				batch = packet.AppendText(batch, p)
			}
		}
		if len(batch) > 0 {
			if _, werr := conn.Write(batch); werr != nil {
				s.Fail(werr)
				return
			}
		}
		if cap(batch) > maxKeptBuffer {
			batch = nil
		}
		if err != nil { // closed: the final packets are out
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

// WebSocket opcodes (RFC 6455 §5.2) of the frames writeLoop builds.
const (
	opText   = 0x1
	opBinary = 0x2
)

// appendFrameHeader appends the header of a final, unmasked frame (server to client, RFC 6455
// §5.2) carrying n bytes.
func appendFrameHeader(b []byte, opcode byte, n int) []byte {
	b = append(b, 0x80|opcode)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// maxKeptBuffer bounds the buffers a connection keeps between batches, so that one large
// message does not stay allocated for the connection's lifetime.
const maxKeptBuffer = 64 << 10

// lockedWriter hands coder/websocket the hijacked connection wrapped in a lockedConn, by
// resetting the buffered writer net/http hands over onto it.
type lockedWriter struct {
	http.ResponseWriter
	conn *lockedConn
}

// Hijack takes the connection over from net/http, as http.Hijacker.
func (w *lockedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	w.conn = &lockedConn{Conn: nc}
	brw.Writer.Reset(w.conn)
	return w.conn, brw, nil
}

// Unwrap gives http.ResponseController the ResponseWriter underneath.
func (w *lockedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// lockedConn is a net.Conn whose writes do not interleave: coder/websocket's control frames
// (each one Write, flushed whole) and writeLoop's batches of frames.
type lockedConn struct {
	net.Conn
	mu sync.Mutex
}

func (c *lockedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.Write(p)
}
