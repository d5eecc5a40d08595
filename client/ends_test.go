package client_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/socketio"
)

// The server (hub) and this client share one Socket.IO core. Each test here does the same
// thing at both ends, the server handling what the client sends and the client handling
// what the server sends, and asks for the same outcome: if one end drifts, it fails.

// ends is a hub server and a client socket connected to it.
type ends struct {
	srv     *hub.Server
	socket  *hub.Socket // the server's end of the connection
	client  *client.Socket
	srvErrs chan error // what reaches the server's OnError
	cliErrs chan error // what reaches the client's OnError
}

// connectEnds starts a hub server whose sockets get onServer's handlers, and connects a
// client whose socket gets onClient's; both ends' errors go to channels.
func connectEnds(t *testing.T, onServer func(*hub.Socket), onClient func(*client.Socket)) *ends {
	t.Helper()
	e := &ends{srvErrs: make(chan error, 8), cliErrs: make(chan error, 8)}
	e.srv = hub.New(&hub.Options{
		OnError: func(_ *hub.Socket, _ string, err error) { e.srvErrs <- err },
	})
	sockets := make(chan *hub.Socket, 1)
	e.srv.OnConnection(func(s *hub.Socket) {
		onServer(s)
		sockets <- s
	})
	ts := httptest.NewServer(e.srv)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		e.srv.Close()
		ts.Close()
	})
	e.client = connect(t, ts.URL, "/", nil, func(s *client.Socket) {
		s.OnError(func(err error) { e.cliErrs <- err })
		onClient(s)
	})
	e.socket = recv(t, sockets)
	return e
}

// TestEndsArgsAreRawAndKept: a func(Args) handler gets all the arguments as they are, at both
// ends, and the Args stay valid after the handler returns, also once more events came.
func TestEndsArgsAreRawAndKept(t *testing.T) {
	t.Parallel()
	srvArgs, cliArgs := make(chan hub.Args, 4), make(chan client.Args, 4)
	e := connectEnds(t,
		func(s *hub.Socket) { s.On("raw", func(a hub.Args) { srvArgs <- a }) },
		func(s *client.Socket) { s.On("raw", func(a client.Args) { cliArgs <- a }) })
	for _, payload := range [][]any{{1, "two", []byte{3}}, {4, "five", []byte{6}}, {7, "eight", []byte{9}}} {
		must(t, e.client.Emit("raw", payload...))
		must(t, e.socket.Emit("raw", payload...))
	}
	for end, got := range map[string][]hub.Args{
		"server": {recv(t, srvArgs), recv(t, srvArgs), recv(t, srvArgs)},
		"client": {recv(t, cliArgs), recv(t, cliArgs), recv(t, cliArgs)},
	} {
		// The first Args, kept while two more events were handled, are intact.
		for i, want := range []string{`[1,"two",{"_placeholder":true,"num":0}]`, `[4,"five",{"_placeholder":true,"num":0}]`, `[7,"eight",{"_placeholder":true,"num":0}]`} {
			if got[i].Len() != 3 || got[i].String() != want {
				t.Errorf("%s end, event %d: func(Args) got %d arguments %s; want 3: %s", end, i, got[i].Len(), got[i], want)
			}
			var b []byte
			if err := got[i].Decode(2, &b); err != nil || len(b) != 1 || b[0] != byte(3*i+3) {
				t.Errorf("%s end, event %d: binary argument %v, %v; want [%d]", end, i, b, err, 3*i+3)
			}
		}
	}
}

// TestEndsSecondAckCall: the second call of an ack sends nothing and returns
// ErrAckAlreadySent, at both ends.
func TestEndsSecondAckCall(t *testing.T) {
	t.Parallel()
	type calls struct{ first, second error }
	srvCalls, cliCalls := make(chan calls, 1), make(chan calls, 1)
	e := connectEnds(t,
		func(s *hub.Socket) {
			s.On("twice", func(ack hub.Ack) { srvCalls <- calls{ack("one"), ack("two")} })
		},
		func(s *client.Socket) {
			s.On("twice", func(ack client.AckFunc) { cliCalls <- calls{ack("one"), ack("two")} })
		})
	if hub.ErrAckAlreadySent != client.ErrAckAlreadySent {
		t.Fatal("hub.ErrAckAlreadySent and client.ErrAckAlreadySent differ")
	}
	ctx := ctxFor(t)
	fromServer, err := e.client.EmitWithAck(ctx, "twice")
	must(t, err)
	fromClient, err := e.socket.EmitWithAck(ctx, "twice")
	must(t, err)
	for end, c := range map[string]struct {
		answer hub.Args
		calls  calls
	}{"server": {fromServer, recv(t, srvCalls)}, "client": {fromClient, recv(t, cliCalls)}} {
		if c.answer.String() != `["one"]` {
			t.Errorf("%s end answered %s; want the first call's [\"one\"]", end, c.answer)
		}
		if c.calls.first != nil || !errors.Is(c.calls.second, client.ErrAckAlreadySent) {
			t.Errorf("%s end: ack calls returned %v, %v; want nil, ErrAckAlreadySent", end, c.calls.first, c.calls.second)
		}
	}
}

// TestEndsHandlerPanic: a handler's panic is recovered and reaches the error hook as a
// *PanicError with its value and stack, at both ends; the socket goes on.
func TestEndsHandlerPanic(t *testing.T) {
	t.Parallel()
	srvOK, cliOK := make(chan string, 1), make(chan string, 1)
	e := connectEnds(t,
		func(s *hub.Socket) {
			s.On("boom", func(v string) { panic(v) })
			s.On("ok", func(v string) { srvOK <- v })
		},
		func(s *client.Socket) {
			s.On("boom", func(v string) { panic(v) })
			s.On("ok", func(v string) { cliOK <- v })
		})
	must(t, e.client.Emit("boom", "server value"))
	must(t, e.socket.Emit("boom", "client value"))
	for end, c := range map[string]struct {
		err  error
		want string
	}{"server": {recv(t, e.srvErrs), "server value"}, "client": {recv(t, e.cliErrs), "client value"}} {
		var pe *hub.PanicError
		ok := errors.As(c.err, &pe)
		if !ok || pe.Event != "boom" || pe.Value != c.want || len(pe.Stack) == 0 {
			t.Errorf("%s end: error hook got %v; want a *PanicError for boom with value %q and a stack", end, c.err, c.want)
		}
	}
	must(t, e.client.Emit("ok", "after"))
	must(t, e.socket.Emit("ok", "after"))
	if a, b := recv(t, srvOK), recv(t, cliOK); a != "after" || b != "after" {
		t.Errorf("after the panic: got %q, %q; want the sockets to go on", a, b)
	}
}

// TestEndsBadArguments: arguments that do not fit the handler are a *DecodeError matching
// ErrBadArguments for the error hook, and the handler is not called, at both ends.
func TestEndsBadArguments(t *testing.T) {
	t.Parallel()
	called := make(chan string, 2)
	e := connectEnds(t,
		func(s *hub.Socket) { s.On("num", func(s string, n int) { called <- "server" }) },
		func(s *client.Socket) { s.On("num", func(s string, n int) { called <- "client" }) })
	must(t, e.client.Emit("num", "a", "not a number"))
	must(t, e.socket.Emit("num", "a", "not a number"))
	for end, err := range map[string]error{"server": recv(t, e.srvErrs), "client": recv(t, e.cliErrs)} {
		var de *hub.DecodeError
		ok := errors.As(err, &de)
		if !ok || de.Event != "num" || de.Arg != 1 || !errors.Is(err, hub.ErrBadArguments) || !errors.Is(err, client.ErrBadArguments) {
			t.Errorf("%s end: error hook got %v; want a *DecodeError for argument 1 of num matching ErrBadArguments", end, err)
		}
	}
	select {
	case end := <-called:
		t.Errorf("%s end called the handler with arguments that do not fit", end)
	default:
	}
}

// TestEndsNumericEventNames: the client names an event the server sent with a number as the
// server names one a client sent (hub's TestNumericEventNames reads the same table): as
// JavaScript's String(n) does.
func TestEndsNumericEventNames(t *testing.T) {
	t.Parallel()
	var names [][2]string // wire form, name
	b, err := os.ReadFile("../socketio/testdata/numeric_event_names.json")
	if err == nil {
		err = json.Unmarshal(b, &names)
	}
	must(t, err)
	got := make(chan string, len(names))
	e := connectEnds(t, func(*hub.Socket) {}, func(s *client.Socket) {
		s.OnAny(func(event string, args client.Args) {
			var wire string
			args.Decode(0, &wire)
			got <- wire + " " + event
		})
	})
	nsp := e.srv.Of("/")
	for _, c := range names {
		data, _ := json.Marshal(c[0])
		p := &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: socketio.NoAckID,
			Data: json.RawMessage("[" + c[0] + "," + string(data) + "]")}
		must(t, nsp.Adapter().Broadcast(p, adapter.BroadcastOptions{}))
	}
	for _, c := range names {
		if g, want := recv(t, got), c[0]+" "+c[1]; g != want {
			t.Errorf("event [%s, …]: got name %q; want %q", c[0], g, want)
		}
	}
}

// TestEndsPanicLoggedWithoutHook: without an error hook, a handler's panic is logged, at
// both ends.
func TestEndsPanicLoggedWithoutHook(t *testing.T) {
	t.Parallel()
	logged := make(chan string, 2)
	srv := hub.New(&hub.Options{
		Logger: slog.New(&onMessage{msg: "hub: panic in handler", f: func() { logged <- "server" }}),
	})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("boom", func() { panic("boom") })
		s.Emit("boom")
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		srv.Close()
		ts.Close()
	})
	s := connect(t, ts.URL, "/", &client.Options{
		Logger: slog.New(&onMessage{msg: "client: panic in handler", f: func() { logged <- "client" }}),
	}, func(s *client.Socket) { s.On("boom", func() { panic("boom") }) })
	must(t, s.Emit("boom"))
	got := map[string]bool{recv(t, logged): true, recv(t, logged): true}
	if !got["server"] || !got["client"] {
		t.Errorf("panics logged by %v; want both ends", got)
	}
}
