package adapter_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
	"github.com/hubkit/hub/socketio"
)

// counting is an adapter that embeds the in-memory one, as an adapter for several servers
// does, and counts the broadcasts of its namespace: where such an adapter would also
// publish them to the other servers.
type counting struct {
	*adapter.Memory
	broadcasts chan string
}

func (a counting) Broadcast(p *socketio.Packet, opts adapter.BroadcastOptions) error {
	event, _, err := socketio.SplitEvent(p.Data, p.Attachments)
	if err != nil {
		return err
	}
	a.broadcasts <- fmt.Sprintf("%s %s to %q", a.Namespace().Name(), event, opts.Rooms)
	return a.Memory.Broadcast(p, opts)
}

// An adapter is made per namespace by the factory in hub.Options.Adapter, with the
// namespace's side of the seam, adapter.Namespace.
func Example() {
	broadcasts := make(chan string, 4)
	srv := hub.New(&hub.Options{Adapter: func(ns adapter.Namespace) adapter.Adapter {
		return counting{adapter.NewMemory(ns), broadcasts}
	}})
	srv.OnConnection(func(s *hub.Socket) {
		s.Join("lobby")
		s.On("hello", func(name string) { srv.To("lobby").Emit("welcome", name) })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	c.On("welcome", func(name string) { got <- name })
	c.Emit("hello", "ada")
	fmt.Println("client got", <-got)
	fmt.Println(<-broadcasts)
	// Output:
	// client got ada
	// / welcome to ["lobby"]
}
