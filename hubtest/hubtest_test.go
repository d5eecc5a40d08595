package hubtest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

const waitFor = 20 * time.Second // generous: the machine is shared

func quiet() *hub.Options { return &hub.Options{Logger: slog.New(slog.DiscardHandler)} }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func next(t *testing.T, ctx context.Context, r *hubtest.Recorder, v ...any) {
	t.Helper()
	if err := r.Next(ctx, v...); err != nil {
		t.Fatal(err)
	}
}

func TestRecordArguments(t *testing.T) {
	t.Parallel()
	type photo struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	for _, transport := range []string{client.TransportPolling, client.TransportWebSocket, client.TransportSSE} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			srv := hub.New(quiet())
			srv.OnConnection(func(s *hub.Socket) {
				s.On("send", func(n int) {
					for i := range n {
						s.Emit("photo", i, photo{Name: "p", Data: []byte{byte(i), 0xff}}, []byte("raw"), "last")
					}
				})
			})
			ts := hubtest.NewServer(srv, nil)
			defer ts.Close()
			ctx := testContext(t)
			c, err := ts.Dial(ctx, "/", &client.Options{Transports: []string{transport}, DisableReconnection: true})
			if err != nil {
				t.Fatal(err)
			}
			photos := hubtest.Record(c, "photo")
			c.Emit("send", 3)
			for i := range 3 {
				var (
					n    int
					p    photo
					raw  []byte
					last string
					none any = "untouched"
				)
				next(t, ctx, photos, &n, &p, &raw, &last, &none)
				if n != i || p.Name != "p" || string(p.Data) != string([]byte{byte(i), 0xff}) || string(raw) != "raw" || last != "last" {
					t.Errorf("event %d: got %d %+v %q %q", i, n, p, raw, last)
				}
				if none != nil {
					t.Errorf("event %d: an absent argument decodes null into an any: got %v; want nil", i, none)
				}
			}
			// Fewer targets than arguments ignores the rest.
			c.Emit("send", 1)
			var n int
			next(t, ctx, photos, &n)
			if n != 0 || photos.Len() != 0 {
				t.Errorf("got %d with %d left; want 0 with 0 left", n, photos.Len())
			}
		})
	}
}

func TestRecordDecodeError(t *testing.T) {
	t.Parallel()
	srv := hub.New(quiet())
	srv.OnConnection(func(s *hub.Socket) { s.Emit("n", "not a number") })
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	ctx := testContext(t)
	c := ts.Socket("/", nil)
	ns := hubtest.Record(c, "n")
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := ns.Next(ctx, &n); err == nil {
		t.Fatal("decoding a string into an int: got no error")
	}
	if ns.Len() != 0 {
		t.Errorf("an event that does not decode is taken all the same: %d left", ns.Len())
	}
}

func TestRecordNextStopsWithContext(t *testing.T) {
	t.Parallel()
	ts := hubtest.NewServer(hub.New(quiet()), nil)
	defer ts.Close()
	c, err := ts.Dial(testContext(t), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	never := hubtest.Record(c, "never")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := never.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want an error wrapping context.Canceled", err)
	}
}

func TestRecordOwnEvents(t *testing.T) {
	t.Parallel()
	srv := hub.New(quiet())
	srv.Use(func(s *hub.Socket) error {
		if s.Handshake().Query.Get("token") != "ok" {
			return &hub.ConnectError{Message: "no entry", Data: map[string]int{"code": 403}}
		}
		return nil
	})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("kick me", func() { s.Disconnect(false) })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	ctx := testContext(t)

	refused := ts.Socket("/", nil)
	errs := hubtest.Record(refused, "connect_error")
	var ce *client.ConnectError
	if err := refused.Connect(ctx); !errors.As(err, &ce) {
		t.Fatalf("got %v; want a *client.ConnectError", err)
	}
	var (
		msg  string
		data struct{ Code int }
	)
	next(t, ctx, errs, &msg, &data)
	if msg != "no entry" || data.Code != 403 {
		t.Errorf("connect_error: got %q %+v; want \"no entry\" {Code:403}", msg, data)
	}

	c := ts.Socket("/", &client.Options{Query: map[string][]string{"token": {"ok"}}, DisableReconnection: true})
	connects := hubtest.Record(c, "connect")
	reasons := hubtest.Record(c, "disconnect")
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	next(t, ctx, connects)
	c.Emit("kick me")
	var reason client.DisconnectReason
	next(t, ctx, reasons, &reason)
	if reason != client.ReasonServerDisconnect {
		t.Errorf("disconnect: got %q; want %q", reason, client.ReasonServerDisconnect)
	}
}

func TestDialRefused(t *testing.T) {
	t.Parallel()
	srv := hub.New(quiet())
	srv.Of("/admin").Use(func(s *hub.Socket) error { return errors.New("admins only") })
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()
	c, err := ts.Dial(testContext(t), "/admin", nil)
	var ce *client.ConnectError
	if c != nil || !errors.As(err, &ce) || ce.Message != "admins only" {
		t.Errorf("got %v, %v; want nil and a *client.ConnectError \"admins only\"", c, err)
	}
}

func TestServerHandlerAndClose(t *testing.T) {
	t.Parallel()
	srv := hub.New(quiet())
	reasons := make(chan hub.DisconnectReason, 2)
	srv.OnConnection(func(s *hub.Socket) { s.OnDisconnect(func(r hub.DisconnectReason) { reasons <- r }) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	ts := hubtest.NewServer(srv, srv.Handler(mux))
	ctx := testContext(t)

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "page" {
		t.Errorf("GET /: got %q; want \"page\"", body)
	}
	http.DefaultClient.CloseIdleConnections()

	a, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	b := ts.Socket("/", nil) // never connected: Close releases it all the same
	gone := hubtest.Record(a, "disconnect")

	ts.Close()
	var reason client.DisconnectReason
	next(t, ctx, gone, &reason)
	if reason != client.ReasonClientDisconnect {
		t.Errorf("client saw %q; want %q", reason, client.ReasonClientDisconnect)
	}
	select {
	case r := <-reasons:
		if r != hub.ReasonClientNamespaceDisconnect && r != hub.ReasonTransportClose {
			t.Errorf("server saw %q; want the client going", r)
		}
	default:
		t.Error("Close returned before the server's disconnect handler ran")
	}
	if a.Connected() || b.Connected() {
		t.Error("sockets still connected after Close")
	}
	if _, err := http.Get(ts.URL + "/"); err == nil {
		t.Error("the listener still answers after Close")
	}
	ts.Close() // idempotent

	late := ts.Socket("/", nil)
	if err := late.Connect(ctx); err == nil {
		t.Error("a socket made after Close connected")
	}
}
