package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine"
)

// panicky's Conns panic on the message "boom"; its Open panics on the first handshake when
// openPanics is set.
type panicky struct {
	openPanics atomic.Bool
	closed     chan engine.Reason
}

type panickyConn struct{ p *panicky }

func (p *panicky) Open(s *engine.Session) engine.Conn {
	if p.openPanics.CompareAndSwap(true, false) {
		panic("open went wrong")
	}
	return panickyConn{p}
}

func (c panickyConn) Message(p engine.Packet) {
	if string(p.Data) == "boom" {
		panic("message went wrong")
	}
}

func (c panickyConn) Closed(r engine.Reason, _ error) { c.p.closed <- r }

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newPanicky(t *testing.T) (*httptest.Server, *panicky, *engine.Server, *syncBuffer) {
	t.Helper()
	p := &panicky{closed: make(chan engine.Reason, 4)}
	logs := &syncBuffer{}
	srv := engine.NewServer(p, &engine.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		closeWithin(t, srv, 5*time.Second)
		ts.Close()
	})
	return ts, p, srv, logs
}

// closeWithin fails the test if srv.Close takes longer than d.
func closeWithin(t *testing.T, srv *engine.Server, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Errorf("Server.Close took more than %v", d)
	}
}

// A panic in Conn.Message, on any transport, closes that session with "transport error" and
// its stack logged; the process and the other sessions go on. (Before: over polling the
// session's request was never counted done, so Server.Close hung; over WebSocket the panic
// ended the process.)
func TestPanicInMessage(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"polling", "websocket"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ts, p, srv, logs := newPanicky(t)
			bystander := handshake(t, ts.URL).SID
			if tr == "polling" {
				sid := handshake(t, ts.URL).SID
				if code, body := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+sid, "4boom"); code != 200 || body != "ok" {
					t.Fatalf("POST 4boom: got %d %q; want 200 ok", code, body)
				}
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer ws.CloseNow()
				if _, _, err := ws.Read(ctx); err != nil { // the open packet
					t.Fatal(err)
				}
				if err := ws.Write(ctx, websocket.MessageText, []byte("4boom")); err != nil {
					t.Fatal(err)
				}
				if _, b, err := ws.Read(ctx); err == nil {
					t.Fatalf("after the panic: read %q; want the connection closed", b)
				}
			}
			if r := <-p.closed; r != engine.ReasonTransportError {
				t.Fatalf("close reason: got %q; want %q", r, engine.ReasonTransportError)
			}
			if l := logs.String(); !strings.Contains(l, "message went wrong") || !strings.Contains(l, "panickyConn.Message") {
				t.Fatalf("log: got %q; want the panic and its stack", l)
			}
			if srv.Sessions() != 1 {
				t.Fatalf("sessions: %d; want 1 (the bystander)", srv.Sessions())
			}
			if code, _ := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+bystander, "4hello"); code != 200 {
				t.Fatalf("bystander's POST: got %d; want 200", code)
			}
		})
	}
}

// A panic in Handler.Open answers that handshake with 500 and logs the stack; the next
// handshake is served.
func TestPanicInOpen(t *testing.T) {
	t.Parallel()
	ts, p, srv, logs := newPanicky(t)
	p.openPanics.Store(true)
	res, err := http.Get(ts.URL + "/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 500 {
		t.Fatalf("handshake whose Open panics: got %d; want 500", res.StatusCode)
	}
	if !strings.Contains(logs.String(), "open went wrong") {
		t.Fatalf("log: got %q; want the panic", logs.String())
	}
	handshake(t, ts.URL)
	if srv.Sessions() != 1 {
		t.Fatalf("sessions: %d; want 1", srv.Sessions())
	}
}

// blocking's Open reports its session and waits for release; it counts Closeds.
type blocking struct {
	entered chan *engine.Session
	release chan struct{}
	closed  atomic.Int64
}

type blockingConn struct{ b *blocking }

func (b *blocking) Open(s *engine.Session) engine.Conn {
	b.entered <- s
	<-b.release
	return blockingConn{b}
}
func (c blockingConn) Message(engine.Packet)       {}
func (c blockingConn) Closed(engine.Reason, error) { c.b.closed.Add(1) }

// Server.Close while a session's Handler.Open is still running tells its Conn that it closed,
// once Open has returned it. (Before, the session, published before its Conn was set, was
// closed with no Conn to tell, and its Conn never heard of it.)
func TestCloseDuringOpen(t *testing.T) {
	t.Parallel()
	b := &blocking{entered: make(chan *engine.Session), release: make(chan struct{})}
	srv := engine.NewServer(b, nil)
	handshook := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?EIO=4&transport=polling", nil))
		handshook <- w.Code
	}()
	s := <-b.entered
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	<-s.Context().Done() // Close has closed the session
	close(b.release)
	<-handshook
	<-closed
	if n := b.closed.Load(); n != 1 {
		t.Fatalf("Conn.Closed calls: %d; want 1", n)
	}
}
