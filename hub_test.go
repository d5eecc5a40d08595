package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fmt"
	"github.com/hubkit/hub"
)

func TestConnectMain(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	got := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { got <- s })

	c := dial(t, url, "&k=v")
	sid := c.connect("/", "")
	s := recv(t, got)
	equal(t, "socket id", s.ID(), sid)
	if sid == c.sid {
		t.Errorf("socket id %q is the engine sid", sid)
	}
	equal(t, "id length", len(sid), 20)
	equal(t, "auth", string(s.Handshake().Auth), "{}")
	equal(t, "query", s.Handshake().Query.Get("k"), "v")
	equal(t, "address", s.Handshake().Address, "127.0.0.1")
	equal(t, "transport", s.Transport(), "websocket")
	equal(t, "namespace", s.Namespace().Name(), "/")
	equal(t, "rooms", s.Rooms(), []string{sid})
	equal(t, "connected", s.Connected(), true)
	hasPrefix(t, "url", s.Handshake().URL, "/socket.io/?EIO=4")
}

func TestConnectAuthAndNamespaces(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	auths := make(chan string, 2)
	srv.Of("admin").OnConnection(func(s *hub.Socket) { auths <- s.Namespace().Name() + " " + string(s.Handshake().Auth) })
	srv.OnConnection(func(s *hub.Socket) { auths <- s.Namespace().Name() + " " + string(s.Handshake().Auth) })

	c := dial(t, url, "")
	sidAdmin := c.connect("/admin", `{"token":"t"}`)
	equal(t, "admin", recv(t, auths), `/admin {"token":"t"}`)
	sidMain := c.connect("/", "")
	equal(t, "main", recv(t, auths), `/ {}`)
	if sidAdmin == sidMain {
		t.Errorf("same socket id %q in two namespaces", sidMain)
	}
}

func TestUnknownNamespace(t *testing.T) {
	t.Parallel()
	_, url := newServer(t, nil)
	c := dial(t, url, "")
	c.send("40/random,")
	c.expect(`44/random,{"message":"Invalid namespace"}`)
	c.send("40/random") // no comma: valid too
	c.expect(`44/random,{"message":"Invalid namespace"}`)
	c.connect("/", "") // the connection is still open
}

func TestMiddlewareRejects(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct{ Token string }
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		s.SetData("checked")
		return nil
	})
	srv.Use(func(s *hub.Socket) error { return errors.New("go away") })
	data := make(chan any, 1)
	admin.OnConnection(func(s *hub.Socket) { data <- s.Data() })

	c := dial(t, url, "")
	c.send(`40/admin,{"token":"nope"}`)
	c.expect(`44/admin,{"message":"not authorized","data":{"code":401}}`)
	c.send(`40`)
	c.expect(`44{"message":"go away"}`)
	c.connect("/admin", `{"token":"secret"}`) // a refused namespace may be retried
	equal(t, "data", recv(t, data), any("checked"))
}

func TestEventsTyped(t *testing.T) {
	t.Parallel()
	type point struct {
		X, Y int
	}
	errs := make(chan error, 4)
	logs := make(logRecorder, 4)
	srv, url := newServer(t, &hub.Options{
		OnError: func(s *hub.Socket, event string, err error) {
			errs <- fmt.Errorf("%s: %w", event, err)
		},
		Logger: slog.New(logs),
	})
	calls := make(chan string, 8)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("none", func() { calls <- "none" })
		s.On("typed", func(name string, n int, p point) {
			calls <- name + strings.Repeat("!", n) + " " + string(rune('0'+p.X+p.Y))
		})
		s.On("variadic", func(args ...any) {
			b, _ := json.Marshal(args)
			calls <- string(b)
		})
		s.On("fails", func(string) error { return errors.New("nope") })
		s.On("str", func(m string) { calls <- "str " + m })
		s.On("strack", func(m string, ack hub.Ack) { ack(m + "!") })
		s.On("panics", func() { panic("boom") })
		s.OnAny(func(event string, args hub.Args) { calls <- "any " + event + " " + args.String() })
	})
	c := dial(t, url, "")
	c.connect("/", "")

	c.send(`42["none"]`)
	equal(t, "any", recv(t, calls), `any none []`)
	equal(t, "none", recv(t, calls), "none")

	c.send(`42["typed","hi",2,{"X":1,"Y":2}]`)
	recv(t, calls)
	equal(t, "typed", recv(t, calls), "hi!! 3")

	c.send(`42["typed","short"]`) // missing arguments are zero values
	recv(t, calls)
	equal(t, "typed short", recv(t, calls), "short 0")

	c.send(`42["variadic",1,"a",{"b":null},[true]]`)
	recv(t, calls)
	equal(t, "variadic", recv(t, calls), `[1,"a",{"b":null},[true]]`)

	c.send(`42["typed",1,2,3]`) // "typed" takes a string first
	recv(t, calls)
	err := recv(t, errs)
	errorIs(t, err, hub.ErrBadArguments)
	var de *hub.DecodeError
	if ok := errors.As(err, &de); !ok || de.Event != "typed" || de.Arg != 0 {
		t.Errorf("decode error: got %v; want a *DecodeError for argument 0 of typed", err)
	}

	// The non-reflective shapes decode as the others do.
	c.send(`42["str"]`)
	recv(t, calls)
	equal(t, "str missing", recv(t, calls), "str ")
	c.send(`42["str",5]`)
	recv(t, calls)
	err = recv(t, errs)
	errorIs(t, err, hub.ErrBadArguments)
	de = nil
	if ok := errors.As(err, &de); !ok || de.Event != "str" || de.Arg != 0 {
		t.Errorf("str decode error: got %v; want a *DecodeError for argument 0 of str", err)
	}
	c.send(`427["strack","x"]`)
	recv(t, calls)
	c.expect(`437["x!"]`)

	c.send(`42["fails","x"]`)
	recv(t, calls)
	equal(t, "returned error", recv(t, errs).Error(), "fails: nope")

	c.send(`42["panics"]`)
	recv(t, calls)
	err = recv(t, errs) // with OnError set, a panic goes there, not to the log
	var pe *hub.PanicError
	if ok := errors.As(err, &pe); !ok || pe.Value != "boom" || pe.Event != "panics" || len(pe.Stack) == 0 {
		t.Errorf("panic: got %v; want a *PanicError with the value, the event and a stack", err)
	}
	c.send(`42["none"]`) // the socket survives a panicking handler
	equal(t, "after panic", recv(t, calls), `any none []`)
	equal(t, "after panic", recv(t, calls), "none")
}

func TestOnRejectsBadHandlers(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	panics := make(chan string, 8)
	srv.OnConnection(func(s *hub.Socket) {
		for _, h := range []any{nil, 42, func() int { return 0 }, func(hub.Ack, string) {}, func(hub.Args, int) {}} {
			func() {
				defer func() { panics <- strings.SplitN(recover().(string), ":", 2)[0] }()
				s.On("x", h)
			}()
		}
		close(panics)
	})
	c := dial(t, url, "")
	c.connect("/", "")
	n := 0
	for p := range panics {
		equal(t, "panic", p, "hub")
		n++
	}
	equal(t, "panics", n, 5)
}

func TestEmitReserved(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, nil)
	for _, ev := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		errorIs(t, srv.Emit(ev), hub.ErrReservedEvent)
	}
	success(t, srv.Emit("fine", 1))
}

func TestAckFromClient(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("ack-me", func(args hub.Args, ack hub.Ack) {
			ack(args.Values()...)
			ack("ignored: only the first call counts")
		})
		s.On("typed-ack", func(n int, ack hub.Ack) error { return ack(n+1, []byte{1, 2}) })
		s.On("no-ack", func(ack hub.Ack) { ack("nobody asked") })
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`421["ack-me",1,"2",{"3":[true]}]`)
	c.expect(`431[1,"2",{"3":[true]}]`)
	c.send(`420["ack-me"]`)
	c.expect(`430[]`)
	c.send(`4299["typed-ack",41]`)
	c.expect(`461-99[42,{"_placeholder":true,"num":0}]`)
	equal(t, "attachment", c.nextBinary(), []byte{1, 2})
	c.send(`42["no-ack"]`)
	c.send(`427["ack-me","last"]`)
	c.expect(`437["last"]`) // nothing was sent for no-ack
}

func TestEmitWithAck(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	c := dial(t, url, "")
	c.connect("/", "")
	s := recv(t, sockets)

	type result struct {
		args hub.Args
		err  error
	}
	results := make(chan result, 1)
	go func() {
		a, err := s.EmitWithAck(context.Background(), "question", 1)
		results <- result{a, err}
	}()
	c.expect(`420["question",1]`)
	c.send(`430["answer",{"n":2}]`)
	r := recv(t, results)
	success(t, r.err)
	var word string
	var obj struct{ N int }
	success(t, r.args.Decode(0, &word))
	success(t, r.args.Decode(1, &obj))
	equal(t, "answer", word, "answer")
	equal(t, "n", obj.N, 2)

	// Binary answer.
	go func() {
		a, err := s.EmitWithAck(context.Background(), "bin")
		results <- result{a, err}
	}()
	c.expect(`421["bin"]`)
	c.send(`461-1[{"_placeholder":true,"num":0}]`)
	c.sendBinary([]byte{9, 8, 7})
	r = recv(t, results)
	success(t, r.err)
	var b []byte
	success(t, r.args.Decode(0, &b))
	equal(t, "binary answer", b, []byte{9, 8, 7})

	// Timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.EmitWithAck(ctx, "ignored")
	errorIs(t, err, context.DeadlineExceeded)
	c.expect(`422["ignored"]`)
	c.send(`432["too late"]`) // an unknown or expired ack id is ignored

	// Disconnect while waiting.
	go func() {
		a, err := s.EmitWithAck(context.Background(), "pending")
		results <- result{a, err}
	}()
	c.expect(`423["pending"]`)
	c.send(`41`)
	r = recv(t, results)
	errorIs(t, r.err, hub.ErrDisconnected)
	if !strings.Contains(r.err.Error(), "client namespace disconnect") {
		t.Errorf("error %q does not name the reason", r.err)
	}
	_, err = s.EmitWithAck(context.Background(), "after")
	errorIs(t, err, hub.ErrDisconnected)
	errorIs(t, s.Emit("after"), hub.ErrDisconnected)
}

func TestBinary(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	got := make(chan []byte, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("upload", func(name string, file struct {
			Data []byte `json:"data"`
		}) {
			got <- file.Data
			s.Emit("download", name, map[string]any{"parts": [][]byte{{1}, {2, 3}}})
		})
		s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`451-["upload","f",{"data":{"_placeholder":true,"num":0}}]`)
	c.sendBinary([]byte("hello"))
	equal(t, "upload", recv(t, got), []byte("hello"))
	c.expect(`452-["download","f",{"parts":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]}]`)
	equal(t, "part 0", c.nextBinary(), []byte{1})
	equal(t, "part 1", c.nextBinary(), []byte{2, 3})

	c.send(`452-["echo",{"_placeholder":true,"num":1},"x",{"_placeholder":true,"num":0}]`)
	c.sendBinary([]byte{0})
	c.sendBinary([]byte{1})
	c.expect(`452-["echo",{"_placeholder":true,"num":0},"x",{"_placeholder":true,"num":1}]`)
	equal(t, "echo 0", c.nextBinary(), []byte{1})
	equal(t, "echo 1", c.nextBinary(), []byte{0})
}

func TestHandlerMiddleware(t *testing.T) {
	t.Parallel()
	srv := hub.New(&hub.Options{Path: "/rt", ClientJS: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "client "+r.URL.Path)
	})})
	defer srv.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
	ts := httptest.NewServer(srv.Handler(mux))
	defer ts.Close()

	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(ts.URL + path)
		success(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := get("/hello")
	equal(t, "app", body, "app")
	code, _ = get("/other")
	equal(t, "not found", code, http.StatusNotFound)
	code, body = get("/rt/?EIO=4&transport=polling")
	equal(t, "handshake status", code, http.StatusOK)
	hasPrefix(t, "handshake", body, `0{"sid":"`)
	code, body = get("/rt/?EIO=4&transport=bogus")
	equal(t, "bad transport", code, http.StatusBadRequest)
	equal(t, "bad transport", body, `{"code":0,"message":"Transport unknown"}`)
	_, body = get("/rt/socket.io.min.js")
	equal(t, "client js", body, "client /rt/socket.io.min.js")
	_, body = get("/rt/socket.io.0123456789ab.js")
	equal(t, "versioned client js", body, "client /rt/socket.io.0123456789ab.js")
	code, _ = get("/rt/socket.io.js/x")
	equal(t, "not a client file", code, http.StatusBadRequest)
}

// hub serves its own browser client by default, and not when told so.
func TestDefaultClientJS(t *testing.T) {
	t.Parallel()
	srv := hub.New(nil)
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler(http.NotFoundHandler()))
	defer ts.Close()
	for _, path := range []string{"/socket.io/socket.io.js", "/socket.io/socket.io.min.js", srv.ClientJSVersionedPath()} {
		res, err := http.Get(ts.URL + path)
		success(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		equal(t, path+" status", res.StatusCode, http.StatusOK)
		equal(t, path+" content type", res.Header.Get("Content-Type"), "application/javascript; charset=utf-8")
		hasPrefix(t, path, string(b), "/*! hub socket.io client")
	}

	off := hub.New(&hub.Options{DisableClientJS: true})
	defer off.Close()
	ts2 := httptest.NewServer(off.Handler(http.NotFoundHandler()))
	defer ts2.Close()
	res, err := http.Get(ts2.URL + "/socket.io/socket.io.js")
	success(t, err)
	res.Body.Close()
	equal(t, "disabled client status", res.StatusCode, http.StatusBadRequest)
}
