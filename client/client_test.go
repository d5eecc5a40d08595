package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// The tests in this file run against every server in servers (the Node reference, and hub)
// and, where the transport matters, every transport mode.

// welcome is what the servers' "/" namespace emits on connection.
type welcome struct {
	ID     string         `json:"id"`
	Auth   map[string]any `json:"auth"`
	Query  *string        `json:"query"`
	Header *string        `json:"header"`
}

func opts(m mode) *client.Options {
	return &client.Options{Transports: m.transports, DisableReconnection: true}
}

func TestWelcome(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		o := opts(md)
		o.Auth = map[string]any{"user": "ann"}
		o.Query = url.Values{"k": {"v1"}}
		o.Header = http.Header{"X-Test": {"h1"}}
		var welcomes <-chan welcome
		s := connect(t, srv.url, "/", o, func(s *client.Socket) { welcomes = on[welcome](s, "welcome") })
		w := recv(t, welcomes)
		if w.ID == "" || w.ID != s.ID() {
			t.Errorf("welcome id %q; socket id %q", w.ID, s.ID())
		}
		if !reflect.DeepEqual(w.Auth, map[string]any{"user": "ann"}) {
			t.Errorf("auth %v; want user=ann", w.Auth)
		}
		if w.Query == nil || *w.Query != "v1" {
			t.Errorf("query k = %v; want v1", w.Query)
		}
		if w.Header == nil || *w.Header != "h1" {
			t.Errorf("header x-test = %v; want h1", w.Header)
		}
		if !s.Connected() {
			t.Error("Connected() = false after Connect")
		}
	})
}

type item struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type blob struct {
	Label string `json:"label"`
	Data  []byte `json:"data"`
}

func TestEcho(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		type echoed struct {
			s    string
			n    float64
			it   item
			b    []byte
			nest blob
		}
		got := make(chan echoed, 1)
		s := connect(t, srv.url, "/", opts(md), func(s *client.Socket) {
			s.On("echo", func(str string, n float64, it item, b []byte, nest blob) {
				got <- echoed{str, n, it, b, nest}
			})
		})
		bin := []byte{0, 1, 2, 255}
		must(t, s.Emit("echo", "héllo <&>", 4.5, item{"x", []string{"a", "b"}}, bin, blob{"inner", []byte("deep")}))
		e := recv(t, got)
		if e.s != "héllo <&>" || e.n != 4.5 || !reflect.DeepEqual(e.it, item{"x", []string{"a", "b"}}) {
			t.Errorf("got %q %v %+v", e.s, e.n, e.it)
		}
		if !bytes.Equal(e.b, bin) {
			t.Errorf("binary argument %v; want %v", e.b, bin)
		}
		if e.nest.Label != "inner" || string(e.nest.Data) != "deep" {
			t.Errorf("nested binary %+v", e.nest)
		}
	})
}

func TestEmitWithAck(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		s := connect(t, srv.url, "/", opts(md), nil)
		args, err := s.EmitWithAck(ctxFor(t), "ack-me", 1, "two", []byte{3, 4}, map[string]int{"k": 5})
		must(t, err)
		if args.Len() != 4 {
			t.Fatalf("ack has %d arguments; want 4", args.Len())
		}
		var (
			n   int
			str string
			b   []byte
			obj map[string]int
		)
		must(t, args.Decode(0, &n))
		must(t, args.Decode(1, &str))
		must(t, args.Decode(2, &b))
		must(t, args.Decode(3, &obj))
		if n != 1 || str != "two" || !bytes.Equal(b, []byte{3, 4}) || obj["k"] != 5 {
			t.Errorf("ack decoded to %v %q %v %v", n, str, b, obj)
		}
		if err := args.Decode(4, &n); err != nil || n != 1 {
			t.Errorf("Decode of a missing argument: %v, n = %d; want no error and n untouched", err, n)
		}
		if vals := args.Values(); len(vals) != 4 || !bytes.Equal(asBytes(vals[2]), []byte{3, 4}) {
			t.Errorf("Values() = %#v", vals)
		}
		var wrong int
		if err := args.Decode(1, &wrong); err == nil {
			t.Error(`Decode of "two" into an int succeeded`)
		}
	})
}

func TestEmitWithAckTimeout(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		s := connect(t, srv.url, "/", nil, nil)
		// The server's echo handler never acknowledges.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := s.EmitWithAck(ctx, "echo", "no ack")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; want a deadline error", err)
		}
	})
}

func TestServerAck(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		type result struct {
			Result []any  `json:"result"`
			Error  string `json:"error"`
		}
		var results <-chan result
		s := connect(t, srv.url, "/", opts(md), func(s *client.Socket) {
			s.On("question", func(q string, n int, ack client.AckFunc) {
				if err := ack(q+"!", n+1, []byte{9, 8}); err != nil {
					t.Errorf("ack: %v", err)
				}
				if err := ack("again"); err == nil {
					t.Error("a second ack call succeeded")
				}
			})
			results = on[result](s, "server-ack-result")
		})
		must(t, s.Emit("server-ack", "question", "why", 41))
		r := recv(t, results)
		if r.Error != "" {
			t.Fatalf("server saw error %q", r.Error)
		}
		if len(r.Result) != 3 || r.Result[0] != "why!" || r.Result[1] != float64(42) ||
			!bytes.Equal(asBytes(r.Result[2]), []byte{9, 8}) {
			t.Fatalf("server got ack %#v", r.Result)
		}
	})
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	return b
}

func TestOrder(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		const n = 300
		var seq <-chan int
		s := connect(t, srv.url, "/", opts(md), func(s *client.Socket) { seq = on[int](s, "seq") })
		must(t, s.Emit("count", n))
		for i := range n {
			if got := recv(t, seq); got != i {
				t.Fatalf("event %d carries %d", i, got)
			}
		}
	})
}

func TestOnAnyAndVariadic(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		type anyEvent struct {
			event string
			n     int
		}
		anys := make(chan anyEvent, 16)
		rest := make(chan []string, 1)
		s := connect(t, srv.url, "/", nil, func(s *client.Socket) {
			s.OnAny(func(event string, args client.Args) { anys <- anyEvent{event, args.Len()} })
			s.On("echo", func(first int, more ...string) { rest <- more })
		})
		must(t, s.Emit("echo", 1, "a", "b"))
		for {
			e := recv(t, anys)
			if e.event == "welcome" {
				continue
			}
			if e.event != "echo" || e.n != 3 {
				t.Fatalf("OnAny saw %q with %d arguments; want echo with 3", e.event, e.n)
			}
			break
		}
		if got := recv(t, rest); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("variadic got %q", got)
		}
	})
}

func TestDecodeErrorGoesToOnError(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		errs := make(chan error, 4)
		nums := make(chan int, 4)
		s := connect(t, srv.url, "/", nil, func(s *client.Socket) {
			s.OnError(func(err error) { errs <- err })
			s.On("echo", func(n int) { nums <- n })
		})
		must(t, s.Emit("echo", "not a number"))
		err := recv(t, errs)
		var de *client.DecodeError
		if !errors.As(err, &de) || de.Event != "echo" || de.Arg != 0 {
			t.Fatalf("OnError got %v; want a *DecodeError for argument 0 of echo", err)
		}
		// The socket goes on.
		must(t, s.Emit("echo", 7))
		if n := recv(t, nums); n != 7 {
			t.Fatalf("got %d; want 7", n)
		}
	})
}

func TestHandlerErrorAndPanic(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		errs := make(chan error, 4)
		s := connect(t, srv.url, "/", nil, func(s *client.Socket) {
			s.OnError(func(err error) { errs <- err })
			s.On("echo", func(what string) error {
				if what == "panic" {
					panic("boom")
				}
				return errors.New("handler says " + what)
			})
		})
		must(t, s.Emit("echo", "no"))
		if err := recv(t, errs); err.Error() != "handler says no" {
			t.Fatalf("OnError got %v", err)
		}
		must(t, s.Emit("echo", "panic"))
		if err := recv(t, errs); !bytes.Contains([]byte(err.Error()), []byte("boom")) {
			t.Fatalf("OnError got %v; want the panic", err)
		}
	})
}

func TestNamespacesShareOneConnection(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		rt := newCountingTransport(t)
		o := opts(md)
		o.HTTPClient = &http.Client{Transport: rt}
		m, err := client.NewManager(srv.url, o)
		must(t, err)
		t.Cleanup(func() { m.Close() })
		main := m.Socket("/", nil)
		admin := m.Socket("/admin", &client.SocketOptions{Auth: func() any { return map[string]string{"token": "secret"} }})
		welcomes := on[welcome](main, "welcome")
		adminWelcomes := on[string](admin, "admin-welcome")
		must(t, main.Connect(ctxFor(t)))
		must(t, admin.Connect(ctxFor(t)))
		w := recv(t, welcomes)
		aw := recv(t, adminWelcomes)
		if w.ID != main.ID() || aw != admin.ID() || main.ID() == admin.ID() {
			t.Errorf("ids: welcome %q main %q admin-welcome %q admin %q", w.ID, main.ID(), aw, admin.ID())
		}
		echoes := on[string](admin, "echo")
		must(t, admin.Emit("echo", "to admin"))
		if got := recv(t, echoes); got != "to admin" {
			t.Errorf("admin echo %q", got)
		}
		if n := rt.handshakes.Load(); n != 1 {
			t.Errorf("%d Engine.IO handshakes; want 1 for both namespaces", n)
		}
	})
}

func TestMiddlewareRejection(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		_, err := client.Dial(ctxFor(t), srv.url+"/admin", &client.Options{Auth: map[string]string{"token": "wrong"}})
		var ce *client.ConnectError
		if !errors.As(err, &ce) {
			t.Fatalf("Dial error %v; want a *ConnectError", err)
		}
		if ce.Message != "not authorized" || string(ce.Data) != `{"code":401}` {
			t.Fatalf("ConnectError %q data %s; want \"not authorized\" {\"code\":401}", ce.Message, ce.Data)
		}

		// The connect_error handler sees it too, and the socket is left disconnected.
		m, err := client.NewManager(srv.url, nil)
		must(t, err)
		defer m.Close()
		var token atomic.Value
		token.Store("wrong")
		s := m.Socket("/admin", &client.SocketOptions{Auth: func() any { return map[string]any{"token": token.Load()} }})
		errs := make(chan error, 1)
		s.On("connect_error", func(err error) { errs <- err })
		if err := s.Connect(ctxFor(t)); !errors.As(err, &ce) {
			t.Fatalf("Connect error %v; want a *ConnectError", err)
		}
		if err := recv(t, errs); !errors.As(err, &ce) || ce.Message != "not authorized" {
			t.Fatalf("connect_error handler got %v", err)
		}
		if s.Connected() {
			t.Fatal("rejected socket is connected")
		}
		if m.Socket("/admin", nil) != s {
			t.Fatal("Manager.Socket returned another socket for the same namespace")
		}
		// The auth func is called again for the next attempt.
		token.Store("secret")
		must(t, s.Connect(ctxFor(t)))
		if !s.Connected() || s.ID() == "" {
			t.Fatal("not connected with the right token")
		}
	})
}

func TestInvalidNamespace(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		_, err := client.Dial(ctxFor(t), srv.url+"/no-such-namespace", nil)
		var ce *client.ConnectError
		if !errors.As(err, &ce) || ce.Message != "Invalid namespace" {
			t.Fatalf("Dial error %v; want ConnectError \"Invalid namespace\"", err)
		}
	})
}

// disconnects records the reasons a socket's "disconnect" handler sees.
func disconnects(s *client.Socket) <-chan client.DisconnectReason {
	ch := make(chan client.DisconnectReason, 8)
	s.On("disconnect", func(reason client.DisconnectReason) { ch <- reason })
	return ch
}

func TestServerDisconnect(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		o := opts(md)
		o.DisableReconnection = false
		o.ReconnectionDelay = 10 * time.Millisecond
		var reasons <-chan client.DisconnectReason
		plain := make(chan string, 4) // a handler as in JavaScript, taking a string
		connects := make(chan struct{}, 4)
		s := connect(t, srv.url, "/", o, func(s *client.Socket) {
			reasons = disconnects(s)
			s.On("disconnect", func(reason string) { plain <- reason })
			s.On("connect", func() { connects <- struct{}{} })
		})
		recv(t, connects)
		must(t, s.Emit("disconnect-me", false))
		if r := recv(t, reasons); r != client.ReasonServerDisconnect {
			t.Fatalf("disconnect reason %q; want %q", r, client.ReasonServerDisconnect)
		}
		if r := recv(t, plain); r != string(client.ReasonServerDisconnect) {
			t.Fatalf("disconnect reason as a string %q; want %q", r, client.ReasonServerDisconnect)
		}
		if s.Connected() {
			t.Fatal("socket still connected")
		}
		// It does not reconnect by itself (as socket.io-client), but Connect reconnects it.
		must(t, s.Connect(ctxFor(t)))
		recv(t, connects)
	})
}

func TestClientDisconnect(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		var reasons <-chan client.DisconnectReason
		s := connect(t, srv.url, "/", opts(md), func(s *client.Socket) { reasons = disconnects(s) })
		id := s.ID()
		s.Disconnect()
		if r := recv(t, reasons); r != client.ReasonClientDisconnect {
			t.Fatalf("disconnect reason %q; want %q", r, client.ReasonClientDisconnect)
		}
		if err := s.Emit("echo", "buffered"); err != nil {
			t.Fatalf("Emit on a disconnected socket: %v; want it buffered", err)
		}
		if r := serverReason(t, srv, id); r != "client namespace disconnect" {
			t.Fatalf("server saw %q; want client namespace disconnect", r)
		}
	})
}

// serverReason asks the server, from another client, why it saw socket id go; it waits for
// the server to have seen it go.
func serverReason(t *testing.T, srv server, id string) string {
	t.Helper()
	other := connect(t, srv.url, "/", nil, nil)
	deadline := time.Now().Add(waitFor)
	for {
		args, err := other.EmitWithAck(ctxFor(t), "get-reason", id)
		must(t, err)
		var reason *string
		must(t, args.Decode(0, &reason))
		if reason != nil {
			return *reason
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never saw the disconnect")
		}
	}
}

// TestDisconnectDuringUpgrade disconnects between a successful WebSocket probe and the
// upgrade. As engine.io-client's close(), the client finishes the upgrade and sends the
// namespace disconnect and its close on the WebSocket: the server has let go of the old
// transport already (an SSE stream ends when the probe succeeds). It used to give up the
// upgrade, take the end of the stream for the server's answer to its close and end the
// session before its "41" was written: the server saw a ping timeout.
func TestDisconnectDuringUpgrade(t *testing.T) {
	forEachModeWhere(t, func(md mode) bool { return len(md.transports) > 1 }, func(t *testing.T, srv server, md mode) {
		o := opts(md)
		// The probe waits for the socket to connect: a server holds what it sends (the
		// CONNECT reply) during an upgrade, and the test holds the upgrade.
		connected := make(chan struct{})
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		o.HTTPClient = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			if r.URL.Query().Get("transport") == client.TransportWebSocket {
				select {
				case <-connected:
				case <-r.Context().Done():
					return nil, r.Context().Err()
				}
			}
			return tr.RoundTrip(r)
		})}
		upgraded := make(chan struct{})
		o.Logger = slog.New(&onMessage{msg: "client: upgraded", f: func() { close(upgraded) }})
		var s *client.Socket
		probed := make(chan string, 1)
		client.SetAfterProbe(o, func() {
			// The probe has succeeded; the session has not moved to the WebSocket yet.
			id := s.ID()
			s.Disconnect()
			probed <- id
		})
		var reasons <-chan client.DisconnectReason
		s = connect(t, srv.url, "/", o, func(s *client.Socket) { reasons = disconnects(s) })
		close(connected)
		id := recv(t, probed)
		if r := recv(t, reasons); r != client.ReasonClientDisconnect {
			t.Fatalf("disconnect reason %q; want %q", r, client.ReasonClientDisconnect)
		}
		recv(t, upgraded)
		if r := serverReason(t, srv, id); r != "client namespace disconnect" {
			t.Fatalf("server saw %q; want client namespace disconnect", r)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// onMessage is a slog.Handler that calls f for each record with message msg, at any level.
type onMessage struct {
	msg string
	f   func()
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }

func (h *onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.f()
	}
	return nil
}

func (h *onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *onMessage) WithGroup(string) slog.Handler      { return h }

func TestReconnectDeliversBufferedEmits(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		o := opts(md)
		o.DisableReconnection = false
		o.ReconnectionDelay = 20 * time.Millisecond
		o.ReconnectionDelayMax = 50 * time.Millisecond
		o.Query = url.Values{"cid": {t.Name()}} // lets the hub app find the connections to cut
		var (
			reasons <-chan client.DisconnectReason
			echoes  <-chan string
		)
		connects := make(chan string, 4)
		var s *client.Socket
		s = connect(t, srv.url, "/", o, func(sock *client.Socket) {
			echoes = on[string](sock, "echo")
			sock.On("connect", func() { connects <- sock.ID() })
			reasons = disconnects(sock)
			// Emitted while disconnected: buffered, and sent once reconnected.
			sock.On("disconnect", func(reason client.DisconnectReason) {
				if reason == client.ReasonClientDisconnect {
					return // the test is over
				}
				if err := sock.Emit("echo", "buffered while away"); err != nil {
					t.Errorf("Emit while disconnected: %v", err)
				}
			})
		})
		first := recv(t, connects)
		// Node closes the connection; the hub app cuts its TCP connections, which a poll
		// in flight sees as a transport error.
		want := []client.DisconnectReason{client.ReasonTransportClose}
		if srv.name == "hub" {
			want = append(want, client.ReasonTransportError)
		}
		must(t, s.Emit("drop"))
		if r := recv(t, reasons); !slices.Contains(want, r) {
			t.Fatalf("disconnect reason %q; want one of %q", r, want)
		}
		second := recv(t, connects)
		if second == "" || second == first {
			t.Errorf("socket id after reconnection %q; before %q", second, first)
		}
		if got := recv(t, echoes); got != "buffered while away" {
			t.Fatalf("echo %q", got)
		}
		if !s.Connected() {
			t.Fatal("not connected after reconnection")
		}
	})
}

func TestRooms(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		room := "room-" + t.Name()
		a := connect(t, srv.url, "/", nil, nil)
		b := connect(t, srv.url, "/", nil, nil)
		c := connect(t, srv.url, "/", nil, nil)
		aNews, bNews, cNews := on[string](a, "news"), on[string](b, "news"), on[string](c, "news")
		for _, s := range []*client.Socket{a, b} {
			args, err := s.EmitWithAck(ctxFor(t), "join", room)
			must(t, err)
			var rooms []string
			must(t, args.Decode(0, &rooms))
			if !slices.Contains(rooms, room) || !slices.Contains(rooms, s.ID()) {
				t.Fatalf("rooms after join %q", rooms)
			}
		}
		must(t, c.Emit("to-room", room, "news", "for the room"))
		if got := recv(t, aNews); got != "for the room" {
			t.Errorf("a got %q", got)
		}
		if got := recv(t, bNews); got != "for the room" {
			t.Errorf("b got %q", got)
		}
		// c is not in the room: an echo sent after the broadcast arrives with nothing before it.
		echo := on[string](c, "echo")
		must(t, c.Emit("echo", "after"))
		recv(t, echo)
		select {
		case got := <-cNews:
			t.Errorf("c, outside the room, got %q", got)
		default:
		}
	})
}

func TestUpgradeToWebSocket(t *testing.T) {
	upgrades := func(md mode) bool { return len(md.transports) > 1 }
	forEachModeWhere(t, upgrades, func(t *testing.T, srv server, md mode) {
		rt := newCountingTransport(t)
		o := opts(md)
		o.HTTPClient = &http.Client{Transport: rt}
		var echoes <-chan string
		s := connect(t, srv.url, "/", o, func(s *client.Socket) { echoes = on[string](s, "echo") })
		deadline := time.Now().Add(waitFor)
		for s.Manager().Transport() != client.TransportWebSocket {
			if time.Now().After(deadline) {
				t.Fatalf("transport %q; want websocket after the upgrade", s.Manager().Transport())
			}
			must(t, s.Emit("echo", "while upgrading"))
			recv(t, echoes)
		}
		if rt.upgrades.Load() != 1 {
			t.Errorf("%d WebSocket requests with a sid; want 1", rt.upgrades.Load())
		}
		// Traffic now goes over the WebSocket: a round trip makes no HTTP request.
		before := rt.requests.Load()
		for i := range 5 {
			must(t, s.Emit("echo", "after upgrade"))
			if got := recv(t, echoes); got != "after upgrade" {
				t.Fatalf("echo %d: %q", i, got)
			}
		}
		if after := rt.requests.Load(); after != before {
			t.Errorf("%d HTTP requests after the upgrade", after-before)
		}
	})
}

func TestDisableUpgrade(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		rt := newCountingTransport(t)
		o := opts(modeUpgrade)
		o.DisableUpgrade = true
		o.HTTPClient = &http.Client{Transport: rt}
		s := connect(t, srv.url, "/", o, nil)
		args, err := s.EmitWithAck(ctxFor(t), "ack-me", 1)
		must(t, err)
		if args.Len() != 1 || s.Manager().Transport() != client.TransportPolling {
			t.Errorf("transport %q", s.Manager().Transport())
		}
		if n := rt.upgrades.Load(); n != 0 {
			t.Errorf("%d upgrade requests with DisableUpgrade", n)
		}
	})
}

func TestConcurrentEmits(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		const goroutines, each = 8, 25
		s := connect(t, srv.url, "/", opts(md), nil)
		var wg sync.WaitGroup
		var failed atomic.Int32
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					args, err := s.EmitWithAck(ctxFor(t), "ack-me", g, i)
					var gg, ii int
					if err != nil || args.Decode(0, &gg) != nil || args.Decode(1, &ii) != nil || gg != g || ii != i {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := failed.Load(); n != 0 {
			t.Fatalf("%d acks failed or mismatched", n)
		}
	})
}

func TestDialAndClose(t *testing.T) {
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		s, err := client.Dial(ctxFor(t), srv.url, opts(md))
		must(t, err)
		if s.Namespace() != "/" || s.ID() == "" {
			t.Errorf("namespace %q id %q", s.Namespace(), s.ID())
		}
		reasons := disconnects(s)
		must(t, s.Close())
		if r := recv(t, reasons); r != client.ReasonClientDisconnect {
			t.Errorf("reason %q", r)
		}
		if err := s.Emit("echo", 1); !errors.Is(err, client.ErrClosed) {
			t.Errorf("Emit after Close: %v; want ErrClosed", err)
		}
		if err := s.Connect(ctxFor(t)); !errors.Is(err, client.ErrClosed) {
			t.Errorf("Connect after Close: %v; want ErrClosed", err)
		}
		must(t, s.Close()) // idempotent
	})
}

// countingTransport counts the HTTP requests a Manager makes.
type countingTransport struct {
	base       *http.Transport
	requests   atomic.Int32 // every request
	handshakes atomic.Int32 // requests without a sid: new Engine.IO sessions
	upgrades   atomic.Int32 // WebSocket requests with a sid
}

func newCountingTransport(t *testing.T) *countingTransport {
	rt := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(rt.base.CloseIdleConnections)
	return rt
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	q := r.URL.Query()
	if q.Get("sid") == "" {
		c.handshakes.Add(1)
	} else if q.Get("transport") == client.TransportWebSocket {
		c.upgrades.Add(1)
	}
	return c.base.RoundTrip(r)
}

func TestJSONFidelity(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		raws := make(chan json.RawMessage, 1)
		s := connect(t, srv.url, "/", nil, func(s *client.Socket) {
			s.On("echo", func(raw json.RawMessage) { raws <- raw })
		})
		must(t, s.Emit("echo", json.RawMessage(`{"b":1,"a":[true,null,"<x>"]}`)))
		if got := string(recv(t, raws)); got != `{"b":1,"a":[true,null,"<x>"]}` {
			t.Fatalf("raw round trip %s", got)
		}
	})
}

func TestLargePayloads(t *testing.T) {
	// More than the servers' maxPayload (1e6 bytes) queued at once: polling POSTs must be
	// split as engine.io-client splits them, or the server answers 413.
	forEachMode(t, func(t *testing.T, srv server, md mode) {
		const n, size = 6, 200_000
		var (
			echoes  <-chan []byte
			reasons <-chan client.DisconnectReason
		)
		s := connect(t, srv.url, "/", opts(md), func(s *client.Socket) {
			echoes = on[[]byte](s, "echo")
			reasons = disconnects(s)
		})
		for i := range n {
			must(t, s.Emit("echo", bytes.Repeat([]byte{byte(i)}, size)))
		}
		for i := range n {
			var b []byte
			select {
			case b = <-echoes:
			case r := <-reasons:
				t.Fatalf("disconnected (%s) after %d echoes", r, i)
			case <-time.After(waitFor):
				t.Fatalf("timed out after %d echoes", i)
			}
			if len(b) != size || b[0] != byte(i) || b[size-1] != byte(i) {
				t.Fatalf("echo %d: %d bytes starting with %d", i, len(b), b[0])
			}
		}
	})
}

func TestAuthMustBeAnObject(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv server) {
		_, err := client.Dial(ctxFor(t), srv.url, &client.Options{Auth: "not an object"})
		if err == nil || !strings.Contains(err.Error(), "auth must be a JSON object") {
			t.Fatalf("Dial: %v", err)
		}
	})
}

func TestCustomPath(t *testing.T) {
	t.Parallel()
	srv := hub.New(&hub.Options{Path: "/rt/"})
	srv.OnConnection(func(s *hub.Socket) { s.On("ping-me", func(ack hub.Ack) { ack("pong") }) })
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	for _, md := range []mode{modePolling, modeWebSocket, modeSSE} {
		s, err := client.Dial(ctxFor(t), "ws"+strings.TrimPrefix(hs.URL, "http"), &client.Options{Path: "/rt", Transports: md.transports})
		must(t, err)
		args, err := s.EmitWithAck(ctxFor(t), "ping-me")
		must(t, err)
		var got string
		must(t, args.Decode(0, &got))
		if got != "pong" {
			t.Errorf("%s: ack %q", md.name, got)
		}
		must(t, s.Close())
	}
}
