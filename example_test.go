package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// serve runs srv on a local test server and returns its URL and a stop function. The
// examples talk to it with hub's Go client; the official JavaScript client works the same.
func serve(srv *hub.Server) (string, func()) {
	ts := httptest.NewServer(srv.Handler(http.NotFoundHandler()))
	return ts.URL, func() {
		srv.Close()
		ts.Close()
	}
}

func Example() {
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string) {
			srv.Emit("chat message", "echo: "+msg) // to everyone
		})
	})
	url, stop := serve(srv)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := client.NewManager(url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	c := m.Socket("/", nil)
	got := make(chan string, 1)
	c.On("chat message", func(msg string) { got <- msg })
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	c.Emit("chat message", "hello")
	fmt.Println(<-got)
	// Output: echo: hello
}

func ExampleSocket_On() {
	type order struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) {
		// Arguments are decoded into the parameter types; the last parameter answers
		// the client's acknowledgement callback.
		s.On("order", func(o order, note string, ack hub.Ack) {
			ack(fmt.Sprintf("%d × %s (%s)", o.Quantity, o.Item, note))
		})
	})
	url, stop := serve(srv)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	answer, err := c.EmitWithAck(ctx, "order", map[string]any{"item": "tea", "quantity": 2}, "no sugar")
	if err != nil {
		log.Fatal(err)
	}
	var text string
	answer.Decode(0, &text)
	fmt.Println(text)
	// Output: 2 × tea (no sugar)
}

func ExampleSocket_EmitWithAck() {
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	result := make(chan string, 1)
	srv.OnConnection(func(s *hub.Socket) {
		ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
		defer cancel()
		answer, err := s.EmitWithAck(ctx, "sum", 1, 2)
		if err != nil {
			result <- err.Error()
			return
		}
		var n int
		answer.Decode(0, &n)
		result <- fmt.Sprint("the client says 1 + 2 = ", n)
	})
	url, stop := serve(srv)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := client.NewManager(url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	c := m.Socket("/", nil)
	c.On("sum", func(a, b int, ack client.AckFunc) { ack(a + b) })
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-result)
	// Output: the client says 1 + 2 = 3
}

func ExampleNamespace_Use() {
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		if s.Handshake().Query.Get("token") != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	url, stop := serve(srv)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := client.Dial(ctx, url+"/admin?token=guess", &client.Options{DisableReconnection: true})
	var refused *client.ConnectError
	if errors.As(err, &refused) {
		fmt.Println(refused.Message, string(refused.Data))
	}
	// Output: not authorized {"code":401}
}

func ExampleBroadcastOperator() {
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	joined := make(chan struct{}, 2)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("join", func(room string) {
			s.Join(room)
			joined <- struct{}{}
		})
	})
	url, stop := serve(srv)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	news := make(chan string, 2)
	for _, name := range []string{"alice", "bob"} {
		m, err := client.NewManager(url, nil)
		if err != nil {
			log.Fatal(err)
		}
		defer m.Close()
		c := m.Socket("/", nil)
		c.On("news", func(text string) { news <- name + " got " + text })
		if err := c.Connect(ctx); err != nil {
			log.Fatal(err)
		}
		c.Emit("join", "room-"+name)
	}
	<-joined
	<-joined
	srv.To("room-alice").Emit("news", "a private note")
	fmt.Println(<-news)
	srv.Except("room-alice").Emit("news", "something for the others")
	fmt.Println(<-news)
	// Output:
	// alice got a private note
	// bob got something for the others
}
