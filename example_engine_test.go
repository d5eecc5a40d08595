package hub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

type sessionUser struct{}

// An application's own net/http middleware — here a cookie session — reaches the sockets:
// the values it puts in the handshake request's context are in each socket's Context (and
// its Request's) for as long as the connection lives, so that a handler's database call made
// with s.Context() carries the user, a trace span…, and ends when the socket does.
func ExampleSocket_Context() {
	sessions := map[string]string{"s3cr3t": "alice"} // session id → user
	withSession := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("session")
			if err != nil || sessions[c.Value] == "" {
				http.Error(w, "log in first", http.StatusUnauthorized)
				return
			}
			ctx := context.WithValue(r.Context(), sessionUser{}, sessions[c.Value])
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}

	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("whoami", func(ack hub.Ack) {
			user, _ := s.Context().Value(sessionUser{}).(string)
			ack(user)
		})
	})
	mux := http.NewServeMux()
	ts := hubtest.NewServer(srv, withSession(srv.Handler(mux))) // http.ListenAndServe(":8080", withSession(srv.Handler(mux)))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", &client.Options{Header: http.Header{"Cookie": {"session=s3cr3t"}}})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.EmitWithAck(ctx, "whoami")
	if err != nil {
		log.Fatal(err)
	}
	var user string
	res.Decode(0, &user)
	fmt.Println("the socket's user:", user)
	// Output: the socket's user: alice
}

// A client that connects with HTTP long-polling moves to a WebSocket once it can; the
// socket's upgrade handlers are told (Node's socket.conn.on("upgrade")).
func ExampleSocket_OnUpgrade() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnUpgrade(func(transport string) { s.Emit("moved", transport) })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := ts.Socket("/", nil)
	moved := hubtest.Record(c, "moved")
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	var transport string
	if err := moved.Next(ctx, &transport); err != nil {
		log.Fatal(err)
	}
	fmt.Println("upgraded to", transport)
	// Output: upgraded to websocket
}

// The engine's hooks (Node's io.engine events): the refused requests, headers added to the
// engine's responses, a cookie for a load balancer's sticky sessions, and the number of
// connections.
func ExampleOptions_engine() {
	srv := hub.New(&hub.Options{
		Cookie: &http.Cookie{Name: "lb"}, // lb=<session id>; Path=/; HttpOnly; SameSite=Lax
		OnConnectionError: func(e *hub.ConnectionError) {
			fmt.Println("refused:", e.Code, e.Message, e.Context["sid"])
		},
		InitialHeaders: func(h http.Header, r *http.Request) { h.Set("X-Handshake", "1") },
		Headers:        func(h http.Header, r *http.Request) { h.Set("X-Served-By", "hub") },
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	res, err := http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println(res.Header.Get("X-Handshake"), res.Header.Get("X-Served-By"), res.Cookies()[0].Name)
	fmt.Println("clients:", srv.ClientsCount())

	res, err = http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling&sid=gone")
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	// Output:
	// 1 hub lb
	// clients: 1
	// refused: 1 Session ID unknown gone
}
