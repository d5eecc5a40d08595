package hub_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

type userKey struct{}

// authenticate is an application's middleware: it puts the request's user in its context.
func authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-User"); u != "" {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, u))
		}
		next.ServeHTTP(w, r)
	})
}

// The values the application's middleware put in the handshake request's context reach the
// socket — in Use middleware, in handlers through Socket.Context and Socket.Request — over
// polling after the handshake request has ended, and over a WebSocket-only connection; the
// socket's Context keeps the socket's cancellation.
func TestRequestContextValues(t *testing.T) {
	for _, transports := range [][]string{{client.TransportPolling}, {client.TransportWebSocket}} {
		t.Run(transports[0], func(t *testing.T) {
			srv := hub.New(nil)
			middlewareSaw := make(chan any, 1)
			srv.Use(func(s *hub.Socket) error {
				middlewareSaw <- s.Context().Value(userKey{})
				return nil
			})
			gone := make(chan *hub.Socket, 1)
			srv.OnConnection(func(s *hub.Socket) {
				s.On("whoami", func(ack hub.Ack) {
					ack(s.Context().Value(userKey{}), s.Request().Context().Value(userKey{}), s.Context().Err() != nil)
				})
				s.OnDisconnect(func(hub.DisconnectReason) { gone <- s })
			})
			ts := hubtest.NewServer(srv, authenticate(srv.Handler(nil)))
			defer ts.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := ts.Dial(ctx, "/", &client.Options{Transports: transports, Header: http.Header{"X-User": {"alice"}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := <-middlewareSaw; got != "alice" {
				t.Fatalf("middleware: %v; want alice", got)
			}
			// A later event, on a later request (over polling): still the handshake's values.
			res, err := c.EmitWithAck(ctx, "whoami")
			if err != nil {
				t.Fatal(err)
			}
			var fromCtx, fromReq string
			var done bool
			res.Decode(0, &fromCtx)
			res.Decode(1, &fromReq)
			res.Decode(2, &done)
			if fromCtx != "alice" || fromReq != "alice" || done {
				t.Fatalf("handler: %q %q done %v; want alice alice false", fromCtx, fromReq, done)
			}
			c.Close()
			s := <-gone
			if s.Context().Err() == nil {
				t.Fatal("the socket's context is not done after its disconnect")
			}
			if got := s.Context().Value(userKey{}); got != "alice" {
				t.Fatalf("after the disconnect: %v; want alice", got)
			}
		})
	}
}

// ClientsCount counts Engine.IO sessions, whatever namespaces they joined.
func TestClientsCount(t *testing.T) {
	srv := hub.New(nil)
	srv.Of("/admin")
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("ClientsCount %d; want 0", n)
	}
	a, err := ts.Dial(ctx, "/", &client.Options{DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Manager().Socket("/admin", nil).Connect(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := ts.Dial(ctx, "/", &client.Options{DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.ClientsCount(); n != 2 {
		t.Fatalf("ClientsCount %d; want 2 (two connections, three sockets)", n)
	}
	// A connection stops counting the moment it starts closing.
	if err := srv.DisconnectSockets(true); err != nil {
		t.Fatal(err)
	}
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("ClientsCount %d after the connections were closed; want 0", n)
	}
	a.Manager().Close()
	b.Close()
}

// OnUpgrade handlers run, on the handler goroutine, when the connection moves to a
// WebSocket; a panicking one is recovered and the next runs.
func TestOnUpgrade(t *testing.T) {
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) {
		s.OnUpgrade(func(string) { panic("upgrade handler bug") })
		s.OnUpgrade(func(transport string) { s.Emit("upgraded", transport, s.Transport()) })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := client.NewManager(ts.URL, &client.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got := make(chan string, 1)
	s := m.Socket("/", nil)
	s.On("upgraded", func(transport, now string) { got <- transport + " " + now })
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g != "websocket websocket" {
			t.Fatalf("upgrade event %q; want websocket websocket", g)
		}
	case <-ctx.Done():
		t.Fatal("no upgrade event")
	}
}

// The engine's hooks and the cookie, through hub's Options.
func TestEngineHooksOptions(t *testing.T) {
	var mu sync.Mutex
	var errs []string
	srv := hub.New(&hub.Options{
		Cookie: &http.Cookie{Name: "lb", Secure: true},
		OnConnectionError: func(e *hub.ConnectionError) {
			mu.Lock()
			defer mu.Unlock()
			b, _ := json.Marshal(e.Context)
			errs = append(errs, e.Request.Method+" "+e.Message+" "+string(b))
		},
		InitialHeaders:  func(h http.Header, r *http.Request) { h.Set("X-Initial", "1") },
		Headers:         func(h http.Header, r *http.Request) { h.Set("X-Every", "1") },
		DisableUpgrades: true,
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	res, err := http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var open struct {
		SID      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	if err := json.Unmarshal(body[1:], &open); err != nil {
		t.Fatal(err)
	}
	if open.Upgrades == nil || len(open.Upgrades) != 0 {
		t.Errorf("upgrades %v; want []", open.Upgrades)
	}
	if got, want := res.Header.Get("Set-Cookie"), "lb="+open.SID+"; Path=/; HttpOnly; Secure; SameSite=Lax"; got != want {
		t.Errorf("Set-Cookie %q; want %q", got, want)
	}
	if res.Header.Get("X-Initial") != "1" || res.Header.Get("X-Every") != "1" {
		t.Errorf("handshake headers: %v", res.Header)
	}
	res, err = http.Post(ts.URL+"/socket.io/?EIO=4&transport=polling&sid="+open.SID, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Initial") != "" || res.Header.Get("X-Every") != "1" || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("upload headers: %v", res.Header)
	}
	res, err = http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling&sid=nope")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if want := []string{`GET Session ID unknown {"sid":"nope"}`}; strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("connection errors %q; want %q", errs, want)
	}
}

// Hostile hooks: a panicking one is recovered and logged (a handshake it fails is refused
// with 500, a refusal it was told of is still written), and a header value with CR/LF
// injects nothing.
func TestEngineHooksHostile(t *testing.T) {
	logs := &logBuffer{}
	srv := hub.New(&hub.Options{
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		InitialHeaders: func(h http.Header, r *http.Request) {
			if r.URL.Query().Has("panic") {
				panic("initial headers bug")
			}
		},
		Headers:           func(h http.Header, r *http.Request) { h.Set("X-Crlf", "a\r\nSet-Cookie: evil=1") },
		OnConnectionError: func(*hub.ConnectionError) { panic("connection error bug") },
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	get := func(query string) *http.Response {
		t.Helper()
		res, err := http.Get(ts.URL + "/socket.io/?" + query)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(res.Body)
		res.Body.Close()
		return res
	}
	if res := get("EIO=4&transport=polling&panic=1"); res.StatusCode != 500 {
		t.Fatalf("handshake with a panicking hook: %d; want 500", res.StatusCode)
	}
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("ClientsCount %d after a refused handshake", n)
	}
	res := get("EIO=4&transport=polling")
	if res.StatusCode != 200 || res.Header.Get("X-Crlf") != "a  Set-Cookie: evil=1" || len(res.Cookies()) != 0 {
		t.Fatalf("handshake: %d %v", res.StatusCode, res.Header)
	}
	if res := get("EIO=4&transport=polling&sid=nope"); res.StatusCode != 400 {
		t.Fatalf("unknown sid with a panicking hook: %d; want 400", res.StatusCode)
	}
	for _, want := range []string{"initial headers bug", "connection error bug"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("%q is not logged", want)
		}
	}
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
