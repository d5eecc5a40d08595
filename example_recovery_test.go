package hub_test

import (
	"context"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

// With connection state recovery, a client that lost its connection for a moment gets its
// socket back — same id, rooms and data — and the events it missed meanwhile. A recovered
// socket is a new *Socket: register its handlers again, but skip the setup it keeps.
func ExampleConnectionStateRecovery() {
	srv := hub.New(&hub.Options{ConnectionStateRecovery: &hub.ConnectionStateRecovery{}})
	srv.OnConnection(func(s *hub.Socket) {
		if !s.Recovered() {
			s.Join("news")
		}
		s.On("drop", func() { s.CloseConn() }) // as a network failure would
		s.OnDisconnect(func(reason hub.DisconnectReason) {
			srv.To("news").Emit("news", "sent while the client was away")
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.URL, &client.Options{ReconnectionDelay: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	news := make(chan string, 4)
	c.On("news", func(msg string) { news <- msg }) // the offset, a last argument, is not needed here
	reconnected := make(chan bool, 1)
	var away atomic.Bool
	c.On("disconnect", func(reason string) { away.Store(true) })
	c.On("connect", func() {
		if away.Load() { // not the first connection
			reconnected <- c.Recovered()
		}
	})
	id := c.ID()

	srv.To("news").Emit("news", "first")
	fmt.Println(<-news)
	c.Emit("drop")
	fmt.Println("recovered:", <-reconnected, "same id:", c.ID() == id)
	fmt.Println(<-news)
	// Output:
	// first
	// recovered: true same id: true
	// sent while the client was away
}
