package hubtest_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/hubtest"
)

func Example() {
	// The server under test: it greets every user and answers "ping" with "pong".
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) {
		s.Emit("welcome", s.ID() != "")
		s.On("ping", func(n int) { s.Emit("pong", n+1) })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := ts.Socket("/", nil)
	welcome := hubtest.Record(c, "welcome") // before Connect: the server greets at once
	pongs := hubtest.Record(c, "pong")
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}

	var greeted bool
	if err := welcome.Next(ctx, &greeted); err != nil {
		log.Fatal(err)
	}
	fmt.Println("welcomed with an id:", greeted)

	c.Emit("ping", 1)
	var n int
	if err := pongs.Next(ctx, &n); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pong", n)
	// Output:
	// welcomed with an id: true
	// pong 2
}
