package hub_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
)

// This file is a tiny raw Engine.IO/Socket.IO client over WebSocket, enough to drive the
// server packet by packet and see exactly what it writes.

// waitFor bounds every wait of the tests.
const waitFor = 5 * time.Second

// newServer serves a hub.Server on a test HTTP server; both are closed at cleanup.
func newServer(t testing.TB, opts *hub.Options) (*hub.Server, string) {
	t.Helper()
	if opts == nil {
		opts = &hub.Options{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := hub.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return srv, ts.URL
}

// frame is one WebSocket message: an Engine.IO text packet, or a binary attachment.
type frame struct {
	text   string
	binary []byte
	isBin  bool
}

type wsClient struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	stop   chan struct{}
	done   chan struct{} // closed when the read loop has exited (the connection is gone)
	noPong atomic.Bool   // do not answer pings
	sid    string        // engine session id
}

// dial opens a WebSocket-only Engine.IO session and reads its open packet.
func dial(t testing.TB, base, query string) *wsClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket" + query
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, u, nil)
	success(t, err)
	conn.SetReadLimit(1 << 22)
	c := &wsClient{t: t, conn: conn, frames: make(chan frame, 256), stop: make(chan struct{}), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(c.close)
	open := c.nextText()
	if !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet: got %q", open)
	}
	var hs struct{ Sid string }
	success(t, json.Unmarshal([]byte(open[1:]), &hs))
	c.sid = hs.Sid
	return c
}

func (c *wsClient) readLoop() {
	defer close(c.done)
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		f := frame{text: string(data)}
		if typ == websocket.MessageBinary {
			f = frame{binary: data, isBin: true}
		} else if f.text == "2" {
			if !c.noPong.Load() {
				c.conn.Write(context.Background(), websocket.MessageText, []byte("3"))
			}
			continue
		}
		select {
		case c.frames <- f:
		case <-c.stop:
			return
		}
	}
}

func (c *wsClient) close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.conn.CloseNow()
	<-c.done
}

// closeClean closes the connection with a WebSocket close handshake, as a browser does.
func (c *wsClient) closeClean() {
	c.conn.Close(websocket.StatusNormalClosure, "")
	c.close()
}

func (c *wsClient) send(text string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.t.Fatalf("send %q: %v", text, err)
	}
}

func (c *wsClient) sendBinary(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageBinary, b); err != nil {
		c.t.Fatalf("send binary: %v", err)
	}
}

// next returns the next frame the server sent; it fails the test after waitFor or if the
// connection closes.
func (c *wsClient) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.t.Fatalf("connection closed while waiting for a frame")
	case <-time.After(waitFor):
		c.t.Fatalf("no frame within %v", waitFor)
	}
	return frame{}
}

func (c *wsClient) nextText() string {
	c.t.Helper()
	f := c.next()
	if f.isBin {
		c.t.Fatalf("got binary frame %v; want text", f.binary)
	}
	return f.text
}

func (c *wsClient) nextBinary() []byte {
	c.t.Helper()
	f := c.next()
	if !f.isBin {
		c.t.Fatalf("got text frame %q; want binary", f.text)
	}
	return f.binary
}

// expect reads the next frame and checks it is the text want.
func (c *wsClient) expect(want string) {
	c.t.Helper()
	equal(c.t, "frame", c.nextText(), want)
}

// connect joins namespace nsp ("/" or "/admin") with the auth payload (may be empty) and
// returns the socket id of the CONNECT reply.
func (c *wsClient) connect(nsp, auth string) string {
	c.t.Helper()
	prefix := "40"
	if nsp != "/" {
		prefix += nsp + ","
	}
	c.send(prefix + auth)
	reply := c.nextText()
	if !strings.HasPrefix(reply, prefix+"{") {
		c.t.Fatalf("CONNECT reply: got %q; want %s{…}", reply, prefix)
	}
	var m map[string]any
	success(c.t, json.Unmarshal([]byte(reply[len(prefix):]), &m))
	sid, _ := m["sid"].(string)
	if len(m) != 1 || sid == "" {
		c.t.Fatalf("CONNECT reply: got %q; want exactly a sid", reply)
	}
	return sid
}

// waitClosed waits until the server has closed the connection and returns the text frames
// it sent before, but for an Engine.IO close packet "1" (optional over WebSocket).
func (c *wsClient) waitClosed() []string {
	c.t.Helper()
	texts := c.drainUntilClosed()
	if n := len(texts); n > 0 && texts[n-1] == "1" {
		texts = texts[:n-1]
	}
	return texts
}

func (c *wsClient) drainUntilClosed() []string {
	c.t.Helper()
	var texts []string
	deadline := time.After(waitFor)
	for {
		select {
		case f := <-c.frames:
			if !f.isBin {
				texts = append(texts, f.text)
			}
		case <-c.done:
			for {
				select {
				case f := <-c.frames:
					if !f.isBin {
						texts = append(texts, f.text)
					}
				default:
					return texts
				}
			}
		case <-deadline:
			c.t.Fatalf("connection still open after %v (frames: %q)", waitFor, texts)
		}
	}
}

// quiet checks that the server sends nothing for d (a bounded negative check).
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		c.t.Errorf("unexpected frame %q %v", f.text, f.binary)
	case <-time.After(d):
	}
}

// recv receives from ch, failing the test after waitFor.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("nothing received within %v", waitFor)
	}
	var zero T
	return zero
}

// logRecorder is a slog.Handler sending the messages of records to a channel.
type logRecorder chan string

func (l logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logRecorder) WithGroup(string) slog.Handler            { return l }
func (l logRecorder) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default:
	}
	return nil
}

// seams keeps what each namespace's adapter is given, as an adapter writer sees it: its
// factory goes in Options.Adapter, and makes in-memory adapters.
type seams struct {
	mu sync.Mutex
	m  map[string]adapter.Namespace
}

func (s *seams) factory(ns adapter.Namespace) adapter.Adapter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]adapter.Namespace)
	}
	s.m[ns.Name()] = ns
	return adapter.NewMemory(ns)
}

// of returns the adapter.Namespace of the namespace called name.
func (s *seams) of(t testing.TB, name string) adapter.Namespace {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.m[name]
	if ns == nil {
		t.Fatalf("no adapter was made for namespace %q", name)
	}
	return ns
}
