package engine_test

import (
	"bytes"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// later handles its sessions' messages as hub's Socket.IO layer does: after Message has
// returned, on a goroutine of its own, in order (engine.Settler). Its goroutine runs once the
// engine asks for what was delivered to be settled — or once the session has closed, for an
// engine that never asks: that is when it runs at the latest, the reader having found a bad
// frame. A message it handles is echoed. With stuck, it never settles: a handler that blocks.
type later struct {
	stuck   bool
	reasons chan engine.Reason
	release chan struct{} // closed at the end of the test: a stuck handler returns
}

func (l *later) Open(s *engine.Session) engine.Conn { return &laterConn{l: l, s: s} }

type laterConn struct {
	l    *later
	s    *engine.Session
	mu   sync.Mutex
	msgs []engine.Packet
}

func (c *laterConn) Message(p engine.Packet) {
	c.mu.Lock()
	c.msgs = append(c.msgs, p)
	c.mu.Unlock()
}

func (c *laterConn) Settle(done func()) {
	go func() {
		if c.l.stuck {
			<-c.l.release
			return
		}
		c.handle()
		done()
	}()
}

func (c *laterConn) Closed(r engine.Reason, _ error) {
	c.handle()
	c.l.reasons <- r
}

// handle echoes what was delivered and not yet handled.
func (c *laterConn) handle() {
	c.mu.Lock()
	msgs := c.msgs
	c.msgs = nil
	c.mu.Unlock()
	for _, p := range msgs {
		c.s.Send(p)
	}
}

// When a message and a bad frame arrive in one read, the message is handled and its reply
// written before the close frame, as Node does (its handlers run before ws acts on the
// error): even by a Conn that handles messages after Message returns. The close frame
// carries the failure's code. A packet that does not decode is Engine.IO's parse error,
// which Node acts on at once: no reply, and a close frame without a status.
func TestWebSocketReplyBeforeFailure(t *testing.T) {
	tests := []struct {
		name    string
		bad     []byte
		close   string // the close frame's payload
		reason  engine.Reason
		noReply bool
	}{
		{"a reserved opcode", frame(true, 3, ""), closePayload(1002), engine.ReasonTransportError, false},
		{"a continuation of nothing", frame(true, 0, "x"), closePayload(1002), engine.ReasonTransportError, false},
		{"invalid UTF-8", frame(true, 1, "4\xff"), closePayload(1007), engine.ReasonTransportError, false},
		{"a frame over maxPayload", bigHeader(1, 101), closePayload(1009), engine.ReasonTransportError, false},
		{"a packet that does not decode", frame(true, 1, "x"), "", engine.ReasonParseError, true},
	}
	for _, plain := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if plain {
				name += " (not a socket)"
			}
			t.Run(name, func(t *testing.T) {
				l := &later{reasons: make(chan engine.Reason, 1)}
				ts := newLaterServer(t, l, plain)
				c, br := rawWS(t, ts, nil)
				if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
					t.Fatalf("open packet: %#x %q", op, p)
				}
				in := bytes.Join([][]byte{frame(true, 1, "4first"), frame(true, 1, "4second"), tt.bad, frame(true, 1, "4after")}, nil)
				if _, err := c.Write(in); err != nil {
					t.Fatal(err)
				}
				if !tt.noReply {
					expectFrame(t, br, 1, "4first")
					expectFrame(t, br, 1, "4second")
				}
				expectFrame(t, br, 8, tt.close)
				if tt.close == "" { // the server awaits the client's close, as ws's close() does
					if _, err := c.Write(frame(true, 8, "")); err != nil {
						t.Fatal(err)
					}
				}
				expectEOF(t, br)
				select {
				case r := <-l.reasons:
					if r != tt.reason {
						t.Fatalf("close reason %q; want %q", r, tt.reason)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no close; want %q", tt.reason)
				}
			})
		}
	}
}

// A handler that never returns holds the failure up for a bounded time only: the close frame
// with the failure's code still comes, without the reply.
func TestWebSocketFailureWithStuckHandler(t *testing.T) {
	l := &later{stuck: true, reasons: make(chan engine.Reason, 1), release: make(chan struct{})}
	defer close(l.release)
	ts := newLaterServer(t, l, false)
	c, br := rawWS(t, ts, nil)
	if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
		t.Fatalf("open packet: %#x %q", op, p)
	}
	start := time.Now()
	if _, err := c.Write(append(frame(true, 1, "4first"), frame(true, 3, "")...)); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, br, 8, closePayload(1002))
	expectEOF(t, br)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the close frame came after %v; want it within a second or so", d)
	}
	if r := <-l.reasons; r != engine.ReasonTransportError {
		t.Fatalf("close reason %q; want %q", r, engine.ReasonTransportError)
	}
}

func newLaterServer(t *testing.T, l *later, plain bool) *httptest.Server {
	t.Helper()
	return serveEngine(t, l, &engine.Options{PingInterval: time.Hour, MaxPayload: 100}, plain)
}
