// Package interop is the Go half of the interop test app: js/interop/APP.md written on hub,
// line by line like its Node twin js/interop/node-server.mjs. The interop suite drives both
// with the official socket.io-client, and every assertion must hold for both.
package interop

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hubkit/hub"
)

// New returns the app's server, to be mounted at /socket.io/.
func New() *hub.Server {
	opts := &hub.Options{
		Path:              "/socket.io/",
		PingInterval:      1000 * time.Millisecond,
		PingTimeout:       1000 * time.Millisecond,
		ConnectTimeout:    2000 * time.Millisecond,
		MaxHTTPBufferSize: 100000,
		// CORS off, connection state recovery off, upgradeTimeout default.
	}
	a := &app{reasons: make(map[string]string)}
	a.engineHooks(opts)
	srv := hub.New(opts)
	a.srv = srv
	srv.OnConnection(a.onMain)

	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct {
			Token any `json:"token"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	admin.OnConnection(func(s *hub.Socket) {
		s.Emit("admin-welcome", s.ID())
		echoHandlers(s)
	})

	srv.OfPattern(regexp.MustCompile(`^/dyn-[a-z0-9]+$`)).OnConnection(func(s *hub.Socket) {
		s.Emit("nsp", s.Namespace().Name())
	})

	listeners := srv.Of("/listeners")
	listeners.OnConnection(func(s *hub.Socket) { onListeners(listeners, s) })
	return srv
}

// onListeners sets up a socket of "/listeners": the per-socket listener API and server-side
// emits.
func onListeners(ns *hub.Namespace, s *hub.Socket) {
	s.Use(func(ev *hub.Event) error {
		if ev.Name == "forbidden" {
			return errors.New("forbidden event")
		}
		return nil
	})
	s.OnError(func(err error) { s.Emit("refused", err.Error()) })
	s.On("forbidden", func(ack hub.Ack) { ack("leaked") })
	s.Once("once", func(args hub.Args) { s.Emit("once-got", args.Values()...) })
	s.OnAnyOutgoing(func(event string, args hub.Args) {
		if event != "outgoing" {
			s.Emit("outgoing", append([]any{event}, args.Values()...)...)
		}
	})
	echoHandlers(s)
	s.On("to-all", func(args hub.Args) { ns.Emit(str(args, 0), rest(args, 1)...) })
	s.On("sse-ack", func(event string, ack hub.Ack) {
		go func() { // like the Node promise, this does not hold up the client's other events
			responses, err := ns.ServerSideEmitWithAck(s.Context(), event)
			if err != nil {
				ack(map[string]string{"error": err.Error()})
				return
			}
			vals := make([]json.RawMessage, 0, len(responses))
			for _, r := range responses {
				vals = append(vals, r.Raw(0))
			}
			ack(map[string]any{"responses": vals})
		}()
	})
	s.Emit("hello", 1)
}

type app struct {
	srv *hub.Server

	mu      sync.Mutex
	reasons map[string]string // disconnect reason by socket id, for "/"; guarded by mu
	lastErr map[string]any    // the last connection error; guarded by mu
}

func echoHandlers(s *hub.Socket) {
	s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
	s.On("ack-me", func(args hub.Args, ack hub.Ack) { ack(args.Values()...) })
}

// roomOp returns srv.In(room), or every socket of "/" when room is null.
func (a *app) roomOp(room json.RawMessage) hub.BroadcastOperator {
	rooms := roomList(room)
	if rooms == nil {
		return a.srv.Except()
	}
	return a.srv.In(rooms...)
}

// roomList reads a room argument: a name, or an array of names (JavaScript's io.to accepts
// both). null or absent gives nil.
func roomList(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case float64:
		return []string{jsString(raw)}
	case []any:
		var out []string
		for _, e := range v {
			b, _ := json.Marshal(e)
			out = append(out, roomList(b)...)
		}
		return out
	}
	return nil
}

// rest returns the arguments from i on, ready to emit again.
func rest(args hub.Args, i int) []any {
	vals := args.Values()
	if i >= len(vals) {
		return nil
	}
	return vals[i:]
}

func str(args hub.Args, i int) string {
	var s string
	args.Decode(i, &s)
	return s
}

func (a *app) onMain(s *hub.Socket) {
	var query *string
	if q := s.Handshake().Query; q.Has("k") {
		k := q.Get("k")
		query = &k
	}
	s.Emit("welcome", struct {
		ID    string          `json:"id"`
		Auth  json.RawMessage `json:"auth"`
		Query *string         `json:"query"`
	}{s.ID(), s.Handshake().Auth, query})
	s.OnDisconnect(func(reason hub.DisconnectReason) {
		a.mu.Lock()
		a.reasons[s.ID()] = string(reason)
		a.mu.Unlock()
	})
	// Events named by a number are named as String(n): 1.5 is "1.5", 1e21 is "1e+21".
	for _, name := range []string{"7", "1.5", "1e+21"} {
		s.On(name, func(ack hub.Ack) { ack(name) })
	}

	echoHandlers(s)

	s.On("server-ack", func(args hub.Args) {
		event := str(args, 0)
		vals := rest(args, 1)
		go func() { // like the Node callback, this does not hold up the client's other events
			ctx, cancel := context.WithTimeout(s.Context(), 2000*time.Millisecond)
			defer cancel()
			res, err := s.EmitWithAck(ctx, event, vals...)
			if err != nil {
				s.Emit("server-ack-result", map[string]string{"error": "operation has timed out"})
				return
			}
			s.Emit("server-ack-result", map[string]any{"result": res.Values()})
		}()
	})
	s.On("join", func(room json.RawMessage, ack hub.Ack) {
		s.Join(roomList(room)...)
		ack(s.Rooms())
	})
	s.On("leave", func(room string, ack hub.Ack) {
		s.Leave(room)
		ack(s.Rooms())
	})
	s.On("to-room", func(args hub.Args) {
		a.srv.To(roomList(args.Raw(0))...).Emit(str(args, 1), rest(args, 2)...)
	})
	s.On("to-all", func(args hub.Args) { a.srv.Emit(str(args, 0), rest(args, 1)...) })
	s.On("broadcast", func(args hub.Args) { s.Broadcast().Emit(str(args, 0), rest(args, 1)...) })
	s.On("except", func(args hub.Args) {
		a.srv.Except(roomList(args.Raw(0))...).Emit(str(args, 1), rest(args, 2)...)
	})
	s.On("room-broadcast", func(args hub.Args) {
		s.To(roomList(args.Raw(0))...).Emit(str(args, 1), rest(args, 2)...)
	})
	s.On("broadcast-ack", func(event string, ack hub.Ack) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 1000*time.Millisecond)
			defer cancel()
			answers, err := a.srv.EmitWithAck(ctx, event)
			responses := make([]json.RawMessage, 0, len(answers))
			for _, ans := range answers {
				first := ans.Raw(0) // Node's callback gets each client's first argument
				if first == nil {
					first = json.RawMessage("null")
				}
				responses = append(responses, first)
			}
			jsSort(responses)
			var msg *string
			if err != nil {
				m := "operation has timed out"
				msg = &m
			}
			ack(map[string]any{"error": msg, "responses": responses})
		}()
	})
	s.On("fetch-sockets", func(room json.RawMessage, ack hub.Ack) {
		sockets, err := a.roomOp(room).FetchSockets(s.Context())
		if err != nil {
			return
		}
		ids := make([]string, 0, len(sockets))
		for _, rs := range sockets {
			ids = append(ids, rs.ID)
		}
		slices.Sort(ids)
		ack(ids)
	})
	s.On("sockets-join", func(room, target json.RawMessage, ack hub.Ack) {
		a.roomOp(room).SocketsJoin(roomList(target)...)
		ack()
	})
	s.On("sockets-leave", func(room, target json.RawMessage, ack hub.Ack) {
		a.roomOp(room).SocketsLeave(roomList(target)...)
		ack()
	})
	s.On("disconnect-sockets", func(room json.RawMessage, close bool) {
		a.roomOp(room).DisconnectSockets(close)
	})
	s.On("disconnect-me", func(close bool) { s.Disconnect(close) })
	s.On("kill-transport", func() { s.CloseConn() })
	s.On("header", func(name string, ack hub.Ack) {
		if v := s.Handshake().Headers.Values(name); len(v) > 0 {
			ack(v[0])
			return
		}
		ack(nil)
	})
	flakyCalls := 0 // a socket's handlers run one at a time
	s.On("flaky", func(n int, ack hub.Ack) {
		if flakyCalls++; flakyCalls >= n {
			ack(flakyCalls)
		}
	})
	s.On("get-reason", func(id string, ack hub.Ack) {
		a.mu.Lock()
		reason, ok := a.reasons[id]
		a.mu.Unlock()
		if !ok {
			ack(nil)
			return
		}
		ack(reason)
	})
	s.On("volatile", func(args hub.Args) { s.EmitVolatile(str(args, 0), rest(args, 1)...) })
	a.engineEvents(s)
}

// jsSort sorts JSON values as JavaScript's default Array.prototype.sort does: by their
// string conversion.
func jsSort(vals []json.RawMessage) {
	slices.SortStableFunc(vals, func(x, y json.RawMessage) int {
		a, b := jsString(x), jsString(y)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
}

// jsString approximates JavaScript's String(v) for a JSON value.
func jsString(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "[object Object]"
	}
	return string(raw)
}
