package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/hubtest"
)

func ExampleSocket_Use() {
	srv := hub.New(nil)
	refusals := make(chan error, 1)
	srv.OnConnection(func(s *hub.Socket) {
		// Packet middleware sees every event before its handlers.
		s.Use(func(ev *hub.Event) error {
			if ev.Name == "delete" && s.Handshake().Query.Get("role") != "admin" {
				ev.Ack("forbidden") // optional: otherwise the client's callback never runs
				return errors.New("unauthorized event")
			}
			return nil
		})
		s.OnError(func(err error) { refusals <- err }) // Node's socket.on("error")
		s.On("delete", func(id int, ack hub.Ack) { ack("deleted") })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	answer, err := c.EmitWithAck(ctx, "delete", 42)
	if err != nil {
		log.Fatal(err)
	}
	var text string
	answer.Decode(0, &text)
	fmt.Println("client got:", text)
	fmt.Println("server refused:", <-refusals)
	// Output:
	// client got: forbidden
	// server refused: unauthorized event
}

func ExampleSocket_Once() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.Once("hello", func(name string) { fmt.Println("first hello from", name) })
		remove := s.Once("never", func() { fmt.Println("not printed") })
		remove() // On, Once, OnAny… return the func that removes that registration
		s.On("sync", func(ack hub.Ack) { ack() })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	c.Emit("hello", "alice")
	c.Emit("hello", "bob")
	c.Emit("never")
	if _, err := c.EmitWithAck(ctx, "sync"); err != nil { // the events before it are handled
		log.Fatal(err)
	}
	// Output: first hello from alice
}

func ExampleSocket_OnAnyOutgoing() {
	srv := hub.New(nil)
	sent := make(chan string, 4)
	srv.OnConnection(func(s *hub.Socket) {
		// Sees what the socket's own emits and the broadcasts reaching it send. It runs on
		// the socket's handler goroutine, after the event was queued.
		s.OnAnyOutgoing(func(event string, args hub.Args) { sent <- event + " " + args.String() })
		s.Emit("welcome", "alice")
		srv.Emit("news", map[string]int{"online": 1})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ts.Dial(ctx, "/", nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-sent)
	fmt.Println(<-sent)
	// Output:
	// welcome ["alice"]
	// news [{"online":1}]
}

func ExampleNamespace_ServerSideEmitWithAck() {
	srv := hub.New(nil)
	// On every server of a cluster: answer the other servers' questions.
	srv.OnServerSideEmitWithAck(func(event string, args hub.Args, ack hub.Ack) {
		if event == "load" {
			ack(0.25)
		}
	})
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// One Args per other server. With the in-memory adapter there is none: no answers, at
	// once. With a cluster adapter (adapter/redis), each other server's first ack argument.
	answers, err := srv.Of("/").ServerSideEmitWithAck(ctx, "load")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(answers), "answers")
	for _, a := range answers {
		var load float64
		a.Decode(0, &load)
		fmt.Println(load)
	}
	// Output: 0 answers
}
