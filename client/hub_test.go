package client_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// The hub version of testdata/server.cjs: the same app on hub, served by httptest. Keep the
// two in step.

var (
	modeSSE        = mode{"sse", []string{client.TransportSSE}}
	modeSSEUpgrade = mode{"sse+upgrade", []string{client.TransportSSE, client.TransportWebSocket}}
)

// hubApp is the running hub server of the tests.
type hubApp struct {
	srv   *hub.Server
	http  *httptest.Server
	conns connsByClient
}

var theHub *hubApp

// hubServers starts the hub server the behaviour tests also run against.
func hubServers() []server {
	theHub = startHub(nil)
	return []server{{
		name:  "hub",
		url:   theHub.http.URL,
		modes: []mode{modePolling, modeWebSocket, modeUpgrade, modeSSE, modeSSEUpgrade},
	}}
}

func stopHubServers() {
	if theHub != nil {
		theHub.stop()
	}
}

func (app *hubApp) stop() {
	app.http.CloseClientConnections()
	app.srv.Close()
	app.http.Close()
}

type connKey struct{}

// connsByClient remembers, for each cid query value, the TCP connections and Engine.IO
// session ids of the requests that carried it, so that "drop" can cut a client off: hub has
// no API to close a client's connection without telling it, which is what Node's
// socket.conn.close() amounts to. Dropping closes the connections, and answers later
// requests of those sessions with 400, as for an unknown session.
type connsByClient struct {
	mu    sync.Mutex
	conns map[string][]net.Conn
	sids  map[string][]string
	dead  map[string]bool // sid
}

// admit records a request; it reports false for a request of a dropped session.
func (c *connsByClient) admit(cid, sid string, conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns == nil {
		c.conns, c.sids, c.dead = make(map[string][]net.Conn), make(map[string][]string), make(map[string]bool)
	}
	if c.dead[sid] {
		return false
	}
	c.conns[cid] = append(c.conns[cid], conn)
	if sid != "" {
		c.sids[cid] = append(c.sids[cid], sid)
	}
	return true
}

func (c *connsByClient) drop(cid string) {
	c.mu.Lock()
	conns := c.conns[cid]
	for _, sid := range c.sids[cid] {
		c.dead[sid] = true
	}
	delete(c.conns, cid)
	delete(c.sids, cid)
	c.mu.Unlock()
	for _, conn := range conns {
		conn.Close()
	}
}

// startHub starts the app; csr, when set, turns connection state recovery on (as
// server.cjs --csr).
func startHub(csr *hub.ConnectionStateRecovery) *hubApp {
	app := &hubApp{srv: hub.New(&hub.Options{
		PingInterval:            2 * time.Second, // as testdata/server.cjs
		PingTimeout:             5 * time.Second,
		ConnectTimeout:          2 * time.Second,
		ConnectionStateRecovery: csr,
	})}
	srv := app.srv
	var reasons sync.Map

	common := func(s *hub.Socket) {
		s.OnDisconnect(func(reason hub.DisconnectReason) { reasons.Store(s.ID(), reason) })
		s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
		s.On("ack-me", func(args hub.Args, ack hub.Ack) { ack(args.Values()...) })
		s.On("server-ack", func(args hub.Args) {
			var event string
			args.Decode(0, &event)
			rest := args.Values()[1:]
			// EmitWithAck blocks: not on the client's handler goroutine.
			go func() {
				ctx, cancel := context.WithTimeout(s.Context(), 2*time.Second)
				defer cancel()
				res, err := s.EmitWithAck(ctx, event, rest...)
				if err != nil {
					s.Emit("server-ack-result", map[string]any{"error": err.Error()})
					return
				}
				s.Emit("server-ack-result", map[string]any{"result": res.Values()})
			}()
		})
		s.On("count", func(n int) {
			for i := range n {
				s.Emit("seq", i)
			}
		})
	}

	srv.OnConnection(func(s *hub.Socket) {
		h := s.Handshake()
		w := map[string]any{"id": s.ID(), "auth": h.Auth, "query": nil, "header": nil}
		if k := h.Query.Get("k"); k != "" {
			w["query"] = k
		}
		if x := h.Headers.Get("X-Test"); x != "" {
			w["header"] = x
		}
		s.Emit("welcome", w)
		common(s)
		s.On("join", func(room string, ack hub.Ack) {
			s.Join(room)
			rooms := s.Rooms()
			slices.Sort(rooms)
			ack(rooms)
		})
		s.On("to-room", func(args hub.Args) {
			var room, event string
			args.Decode(0, &room)
			args.Decode(1, &event)
			srv.To(room).Emit(event, args.Values()[2:]...)
		})
		s.On("disconnect-me", func(close bool) { s.Disconnect(close) })
		s.On("drop", func() { app.conns.drop(s.Handshake().Query.Get("cid")) })
		s.On("get-reason", func(id string, ack hub.Ack) {
			if r, ok := reasons.Load(id); ok {
				ack(r)
				return
			}
			ack(nil)
		})
	})

	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	admin.OnConnection(func(s *hub.Socket) {
		s.Emit("admin-welcome", s.ID())
		common(s)
	})

	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("cid") != "" {
			c, _ := r.Context().Value(connKey{}).(net.Conn)
			if !app.conns.admit(q.Get("cid"), q.Get("sid"), c) {
				http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
				return
			}
		}
		srv.ServeHTTP(w, r)
	}))
	hs.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	hs.Start()
	app.http = hs
	return app
}
