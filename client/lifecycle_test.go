package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hubkit/hub/client"
)

// These tests are not parallel: each checks that the client leaves no goroutine behind, which
// needs the other tests to be done. (Go runs top-level tests one after the other; only the
// subtests of forEachMode run in parallel, and they finish before the next test starts.)

// ownGoroutines returns the stacks of goroutines running code of the client package itself.
func ownGoroutines() string {
	var out []string
	for g := range strings.SplitSeq(clientGoroutines(), "\n\n") {
		if strings.Contains(g, "github.com/hubkit/hub/client.") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// waitOwnGoroutines waits up to d for the client package's goroutines to exit.
func waitOwnGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		g := ownGoroutines()
		if g == "" || time.Now().After(deadline) {
			return g
		}
		time.Sleep(time.Millisecond) // polling for a condition, with a deadline
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	for _, srv := range servers {
		for _, md := range srv.modes {
			t.Run(srv.name+"/"+md.name, func(t *testing.T) {
				if g := waitGoroutines(waitFor); g != "" {
					t.Fatalf("goroutines before the test:\n%s", g)
				}
				m, err := client.NewManager(srv.url, &client.Options{Transports: md.transports})
				must(t, err)
				main := m.Socket("/", nil)
				admin := m.Socket("/admin", &client.SocketOptions{Auth: map[string]string{"token": "secret"}})
				echoes := on[[]byte](main, "echo")
				must(t, main.Connect(ctxFor(t)))
				must(t, admin.Connect(ctxFor(t)))
				must(t, main.Emit("echo", []byte("bin")))
				recv(t, echoes)
				_, err = admin.EmitWithAck(ctxFor(t), "ack-me", "x")
				must(t, err)
				// An EmitWithAck still waiting when Close comes.
				waiting := make(chan error, 1)
				go func() {
					_, err := main.EmitWithAck(context.Background(), "no-such-event", "never acknowledged")
					waiting <- err
				}()
				must(t, m.Close())
				// Close has waited for them; they may still be on their way out (past the
				// signal Close waited for), hence the short bound.
				if g := waitOwnGoroutines(time.Second); g != "" {
					t.Fatalf("client goroutines after Close returned:\n%s", g)
				}
				if err := recv(t, waiting); !errors.Is(err, client.ErrDisconnected) && !errors.Is(err, client.ErrClosed) {
					t.Errorf("pending EmitWithAck ended with %v; want ErrDisconnected or ErrClosed", err)
				}
				if g := waitGoroutines(waitFor); g != "" {
					t.Fatalf("goroutines after Close:\n%s", g)
				}
			})
		}
	}
}

func TestCloseFromHandler(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			m, err := client.NewManager(srv.url, nil)
			must(t, err)
			s := m.Socket("/", nil)
			closed := make(chan error, 1)
			s.On("echo", func() { closed <- m.Close() })
			reasons := disconnects(s)
			must(t, s.Connect(ctxFor(t)))
			must(t, s.Emit("echo"))
			must(t, recv(t, closed))
			if r := recv(t, reasons); r != client.ReasonClientDisconnect {
				t.Errorf("reason %q", r)
			}
			must(t, m.Close())
			if g := waitGoroutines(waitFor); g != "" {
				t.Fatalf("goroutines after Close from a handler:\n%s", g)
			}
		})
	}
}

func TestDialFailureLeavesNothing(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			_, err := client.Dial(ctxFor(t), srv.url+"/admin", nil)
			var ce *client.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v; want a ConnectError", err)
			}
			if g := waitGoroutines(waitFor); g != "" {
				t.Fatalf("goroutines after a failed Dial:\n%s", g)
			}
		})
	}
}

// closedAddr returns the URL of a port nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestReconnectionAttemptsExhausted(t *testing.T) {
	m, err := client.NewManager(closedAddr(t), &client.Options{
		ReconnectionAttempts: 2,
		ReconnectionDelay:    time.Millisecond,
		ReconnectionDelayMax: 2 * time.Millisecond,
	})
	must(t, err)
	defer m.Close()
	s := m.Socket("/", nil)
	var connectErrors atomic.Int32
	s.On("connect_error", func(err error) { connectErrors.Add(1) })
	err = s.Connect(ctxFor(t))
	if !errors.Is(err, client.ErrReconnectFailed) {
		t.Fatalf("Connect: %v; want ErrReconnectFailed", err)
	}
	must(t, m.Close())
	// The first attempt and two reconnection attempts, as socket.io-client.
	if n := connectErrors.Load(); n != 3 {
		t.Errorf("%d connect_error events; want 3", n)
	}
}

func TestConnectWithoutReconnectionFailsAtOnce(t *testing.T) {
	m, err := client.NewManager(closedAddr(t), &client.Options{DisableReconnection: true})
	must(t, err)
	defer m.Close()
	s := m.Socket("/", nil)
	errs := make(chan error, 1)
	s.On("connect_error", func(err error) { errs <- err })
	err = s.Connect(ctxFor(t))
	if err == nil || !strings.HasPrefix(err.Error(), "client: ") {
		t.Fatalf("Connect: %v", err)
	}
	if got := recv(t, errs); got.Error() != err.Error() {
		t.Errorf("connect_error got %v; Connect returned %v", got, err)
	}
}

func TestConnectContextEnds(t *testing.T) {
	m, err := client.NewManager(closedAddr(t), &client.Options{ReconnectionDelay: 5 * time.Millisecond})
	must(t, err)
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = m.Socket("/", nil).Connect(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last error") {
		t.Fatalf("Connect: %v; want the deadline and the last connection error", err)
	}
}

// fakeServer is a hand-written Engine.IO WebSocket server for the cases the real servers
// cannot be made to produce. Each connection runs script.
func fakeServer(t *testing.T, script func(ctx context.Context, c *websocket.Conn)) string {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		script(r.Context(), c)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// openAndConnect plays the handshake and the namespace connection for "/".
func openAndConnect(ctx context.Context, c *websocket.Conn, pingInterval, pingTimeout int) error {
	open := fmt.Sprintf(`0{"sid":"e1","upgrades":[],"pingInterval":%d,"pingTimeout":%d,"maxPayload":1000000}`, pingInterval, pingTimeout)
	if err := c.Write(ctx, websocket.MessageText, []byte(open)); err != nil {
		return err
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		return err
	}
	if string(b) != "40" {
		return fmt.Errorf("got %q; want 40", b)
	}
	return c.Write(ctx, websocket.MessageText, []byte(`40{"sid":"s1"}`))
}

func TestPingTimeout(t *testing.T) {
	url := fakeServer(t, func(ctx context.Context, c *websocket.Conn) {
		if openAndConnect(ctx, c, 50, 50) != nil {
			return
		}
		c.Read(ctx) // never pings; waits for the client to go
	})
	var reasons <-chan client.DisconnectReason
	connect(t, url, "/", &client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true},
		func(s *client.Socket) { reasons = disconnects(s) })
	if r := recv(t, reasons); r != client.ReasonPingTimeout {
		t.Fatalf("reason %q; want %q", r, client.ReasonPingTimeout)
	}
}

func TestPingsKeepTheConnection(t *testing.T) {
	const pings = 6
	pongs := make(chan string, pings)
	url := fakeServer(t, func(ctx context.Context, c *websocket.Conn) {
		// A heartbeat window of 300ms; pings every 100ms for twice that.
		if openAndConnect(ctx, c, 100, 200) != nil {
			return
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range pings {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			if c.Write(ctx, websocket.MessageText, []byte("2")) != nil {
				return
			}
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			pongs <- string(b)
		}
		c.Write(ctx, websocket.MessageText, []byte(`42["done"]`))
		c.Read(ctx)
	})
	var (
		reasons <-chan client.DisconnectReason
		done    = make(chan struct{}, 1)
	)
	s := connect(t, url, "/", &client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true},
		func(s *client.Socket) {
			reasons = disconnects(s)
			s.On("done", func() { done <- struct{}{} })
		})
	for range pings {
		if p := recv(t, pongs); p != "3" {
			t.Fatalf("client answered %q to a ping; want 3", p)
		}
	}
	recv(t, done)
	select {
	case r := <-reasons:
		t.Fatalf("disconnected (%q) while the server pinged", r)
	default:
	}
	if !s.Connected() {
		t.Fatal("not connected")
	}
}

func TestParseError(t *testing.T) {
	for _, bad := range []string{"4zzz", `42{}`, `42["connect"]`, `45["x"]`} {
		t.Run(bad, func(t *testing.T) {
			url := fakeServer(t, func(ctx context.Context, c *websocket.Conn) {
				if openAndConnect(ctx, c, 10000, 10000) != nil {
					return
				}
				c.Write(ctx, websocket.MessageText, []byte(bad))
				c.Read(ctx)
			})
			var reasons <-chan client.DisconnectReason
			connect(t, url, "/", &client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true},
				func(s *client.Socket) { reasons = disconnects(s) })
			if r := recv(t, reasons); r != client.ReasonParseError {
				t.Fatalf("reason %q; want %q", r, client.ReasonParseError)
			}
		})
	}
}

func TestHandshakeRefused(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"code":4,"message":"Forbidden"}`))
	}))
	defer hs.Close()
	_, err := client.Dial(ctxFor(t), hs.URL, &client.Options{DisableReconnection: true})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("Dial: %v; want the 403 and the server's message", err)
	}
}

func TestDisconnectWhileConnecting(t *testing.T) {
	got40x := make(chan struct{})
	release := make(chan struct{})
	frames := make(chan string, 8)
	url := fakeServer(t, func(ctx context.Context, c *websocket.Conn) {
		if openAndConnect(ctx, c, 10000, 10000) != nil {
			return
		}
		_, b, err := c.Read(ctx)
		if err != nil || string(b) != "40/x," {
			frames <- "unexpected " + string(b)
			return
		}
		close(got40x)
		select {
		case <-release:
		case <-ctx.Done():
			return
		}
		c.Write(ctx, websocket.MessageText, []byte(`40/x,{"sid":"x1"}`))
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			frames <- string(b)
		}
	})
	m, err := client.NewManager(url, &client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true})
	must(t, err)
	defer m.Close()
	must(t, m.Socket("/", nil).Connect(ctxFor(t)))
	x := m.Socket("/x", nil)
	first := make(chan error, 1)
	go func() { first <- x.Connect(context.Background()) }()
	recv(t, got40x)
	x.Disconnect() // while the CONNECT is unanswered
	if err := recv(t, first); err == nil {
		t.Fatal("Connect interrupted by Disconnect returned nil")
	}
	second := make(chan error, 1)
	go func() { second <- x.Connect(context.Background()) }()
	deadline := time.Now().Add(waitFor)
	for client.ConnectWaiters(x) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second Connect never started")
		}
		time.Sleep(time.Millisecond) // polling for a condition, with a deadline
	}
	// The second Connect waits for the answer to the first CONNECT rather than sending
	// another (which the Node server would take as a protocol violation).
	for !m.Socket("/x", nil).Connected() {
		select {
		case release <- struct{}{}:
		case err := <-second:
			must(t, err)
		case f := <-frames:
			t.Fatalf("server got %q before answering", f)
		case <-time.After(waitFor):
			t.Fatal("timed out")
		}
	}
	must(t, x.Emit("after"))
	if f := recv(t, frames); f != `42/x,["after"]` {
		t.Fatalf("server got %q; want the event (and no second CONNECT)", f)
	}
}
