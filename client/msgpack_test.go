package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// startMsgpackHub starts a hub server with the msgpack parser: "/" echoes, acknowledges,
// asks the client for acknowledgements and broadcasts; "/admin" refuses sockets without
// the token.
func startMsgpackHub(t *testing.T) string {
	t.Helper()
	srv := hub.New(&hub.Options{Parser: hub.MsgpackParser()})
	srv.OnConnection(func(s *hub.Socket) {
		s.Emit("welcome", s.ID(), map[string]any{"bin": []byte{9, 8}, "n": 9007199254740993})
		s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
		s.On("ack-me", func(args hub.Args, ack hub.Ack) { ack(args.Values()...) })
		s.On("server-ack", func(event string) {
			go func() {
				ctx, cancel := context.WithTimeout(s.Context(), waitFor)
				defer cancel()
				res, err := s.EmitWithAck(ctx, event, []byte{1}, "q")
				if err != nil {
					s.Emit("server-ack-result", err.Error())
					return
				}
				s.Emit("server-ack-result", res.Values()...)
			}()
		})
		s.On("to-all", func(args hub.Args) { srv.Emit("all", args.Values()...) })
	})
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct{ Token string }
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	admin.OnConnection(func(s *hub.Socket) {
		s.On("ack-me", func(args hub.Args, ack hub.Ack) { ack(args.Values()...) })
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		srv.Close()
		ts.Close()
	})
	return ts.URL
}

func msgpackOpts(transports []string) *client.Options {
	return &client.Options{Transports: transports, DisableReconnection: true, Parser: client.MsgpackParser()}
}

// TestMsgpackWithHub: the Go client and hub, both with the msgpack parser, over each
// transport: events with binary values at depth both ways, acknowledgements both ways,
// namespaces, a connect error and a broadcast.
func TestMsgpackWithHub(t *testing.T) {
	t.Parallel()
	url := startMsgpackHub(t)
	for _, md := range []mode{modePolling, modeWebSocket, modeUpgrade, modeSSE} {
		t.Run(md.name, func(t *testing.T) {
			t.Parallel()
			type welcomeMsg struct {
				id   string
				bin  []byte
				n    int64
				errs error
			}
			welcomes := make(chan welcomeMsg, 1)
			s := connect(t, url, "/", msgpackOpts(md.transports), func(s *client.Socket) {
				s.On("welcome", func(id string, extra struct {
					Bin []byte `json:"bin"`
					N   int64  `json:"n"`
				}) {
					welcomes <- welcomeMsg{id: id, bin: extra.Bin, n: extra.N}
				})
			})
			w := recv(t, welcomes)
			if w.id != s.ID() || !bytes.Equal(w.bin, []byte{9, 8}) || w.n != 9007199254740993 {
				t.Errorf("welcome %+v; want id %s, bin [9 8], n 9007199254740993 exactly", w, s.ID())
			}

			// an event with binary values at depth, echoed
			echoes := make(chan []any, 1)
			s.On("echo", func(a string, b blob, c [][]byte, d map[string]any) { echoes <- []any{a, b, c, d} })
			must(t, s.Emit("echo", "x", blob{"in", []byte("deep")}, [][]byte{{1}, {}, {2, 3}}, map[string]any{"f": 1.5, "t": true, "nil": nil}))
			got := recv(t, echoes)
			want := []any{"x", blob{"in", []byte("deep")}, [][]byte{{1}, {}, {2, 3}}, map[string]any{"f": 1.5, "t": true, "nil": nil}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("echo: got %#v; want %#v", got, want)
			}

			// the client's acknowledgement
			args, err := s.EmitWithAck(ctxFor(t), "ack-me", 1, []byte{4, 5})
			must(t, err)
			var n int
			var b []byte
			must(t, args.Decode(0, &n))
			must(t, args.Decode(1, &b))
			if n != 1 || !bytes.Equal(b, []byte{4, 5}) {
				t.Errorf("ack: %d %v; want 1 [4 5]", n, b)
			}

			// the server's acknowledgement
			results := make(chan []any, 1)
			s.On("ask", func(b []byte, q string, ack client.AckFunc) { ack(q+"!", b) })
			s.On("server-ack-result", func(args client.Args) { results <- args.Values() })
			must(t, s.Emit("server-ack", "ask"))
			res := recv(t, results)
			if len(res) != 2 || string(asRaw(res[0])) != `"q!"` || !bytes.Equal(asBytes(res[1]), []byte{1}) {
				t.Errorf("server ack result %#v; want [q! [1]]", res)
			}
		})
	}
}

// TestMsgpackNamespacesAndBroadcast: with msgpack, a namespace's middleware error reaches
// the client with its data, and a broadcast reaches every client.
func TestMsgpackNamespacesAndBroadcast(t *testing.T) {
	t.Parallel()
	url := startMsgpackHub(t)
	m, err := client.NewManager(url, msgpackOpts([]string{client.TransportWebSocket}))
	must(t, err)
	t.Cleanup(func() { m.Close() })
	refused := m.Socket("/admin", nil)
	err = refused.Connect(ctxFor(t))
	var ce *client.ConnectError
	if !errors.As(err, &ce) || ce.Message != "not authorized" || string(ce.Data) != `{"code":401}` {
		t.Errorf("connect to /admin without a token: %v; want not authorized, data {\"code\":401}", err)
	}
	o := msgpackOpts([]string{client.TransportWebSocket})
	o.Auth = map[string]string{"token": "secret"}
	admin := connect(t, url, "/admin", o, nil)
	args, err := admin.EmitWithAck(ctxFor(t), "ack-me", "nsp", []byte{7})
	must(t, err)
	if args.String() != `["nsp",{"_placeholder":true,"num":0}]` {
		t.Errorf("/admin ack %s", args)
	}

	var alls []<-chan []any
	var socks []*client.Socket
	for range 3 {
		ch := make(chan []any, 1)
		s := connect(t, url, "/", msgpackOpts([]string{client.TransportPolling}), func(s *client.Socket) {
			s.On("all", func(args client.Args) { ch <- args.Values() })
		})
		alls, socks = append(alls, ch), append(socks, s)
	}
	must(t, socks[0].Emit("to-all", "hi", []byte{1, 2}))
	for i, ch := range alls {
		got := recv(t, ch)
		if len(got) != 2 || string(asRaw(got[0])) != `"hi"` || !bytes.Equal(asBytes(got[1]), []byte{1, 2}) {
			t.Errorf("client %d got broadcast %#v", i, got)
		}
	}
}

func asRaw(v any) json.RawMessage {
	r, _ := v.(json.RawMessage)
	return r
}
