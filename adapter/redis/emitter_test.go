package redis_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
)

// TestEmitterToHubServers publishes with the Emitter to a cluster of two hub servers.
func TestEmitterToHubServers(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		opts.Key = newKey()
		sse := make(chan string, 4)
		var nodes []*node
		for range 2 {
			nodes = append(nodes, newNode(t, shared.addr(), opts, func(srv *hub.Server) {
				joinFromQuery(srv)
				srv.Of("/").OnServerSideEmit(func(event string, args hub.Args) {
					var s string
					args.Decode(0, &s)
					sse <- event + ":" + s
				})
			}))
		}
		waitServers(t, nodes[0], "/", 2)
		a := dial(t, nodes[0].url(), "/", "rooms=red")
		b := dial(t, nodes[1].url(), "/", "rooms=blue")
		adm := dial(t, nodes[1].url(), "/admin", "")
		waitServers(t, nodes[0], "/admin", 2)

		e := redis.NewEmitter(newRedisClient(t, shared.addr()), &opts)
		ctx := context.Background()
		check := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		check(e.Emit(ctx, "all", 1))
		check(e.To("red").Emit(ctx, "red", []byte{7}))
		check(e.Except("red").Emit(ctx, "not-red"))
		check(e.To("red", "blue").Except("blue").Emit(ctx, "red-again"))
		check(e.To(b.sid).Emit(ctx, "to-b"))
		check(e.Of("admin").Emit(ctx, "admin"))
		check(e.Emit(ctx, "end"))
		got := func(c *sioClient) []string {
			var names []string
			for ev := c.next(5 * time.Second); ev.name != "end"; ev = c.next(5 * time.Second) {
				names = append(names, ev.name)
				if ev.name == "red" && (len(ev.atts) != 1 || ev.atts[0][0] != 7) {
					t.Errorf("red: attachments %q", ev.atts)
				}
			}
			return names
		}
		if g := got(a); !slices.Equal(g, []string{"all", "red", "red-again"}) {
			t.Errorf("a got %v", g)
		}
		if g := got(b); !slices.Equal(g, []string{"all", "not-red", "to-b"}) {
			t.Errorf("b got %v", g)
		}
		adm.expect("admin")

		check(e.In("red").SocketsJoin(ctx, "green", "gold"))
		check(e.In("green").SocketsLeave(ctx, "gold"))
		check(e.ServerSideEmit(ctx, "job", "done"))
		var events []string
		for range 2 {
			select {
			case s := <-sse:
				events = append(events, s)
			case <-time.After(5 * time.Second):
				t.Fatal("server-side emit from the emitter not received")
			}
		}
		if !slices.Equal(events, []string{"job:done", "job:done"}) {
			t.Errorf("server-side emits %v", events)
		}
		// The server-side emit was published after the room operations: they are done.
		sockets, err := nodes[1].srv.In("green").FetchSockets(ctx)
		if err != nil || len(sockets) != 1 || sockets[0].ID != a.sid {
			t.Fatalf("in green: %v, %v", sockets, err)
		}
		rooms := slices.Clone(sockets[0].Rooms)
		sort.Strings(rooms)
		if want := []string{a.sid, "green", "red"}; !slices.Equal(rooms, sortedCopy(want)) {
			t.Errorf("rooms of a: %v", rooms)
		}

		check(e.In("blue").DisconnectSockets(ctx, true))
		select {
		case <-b.closed:
		case <-time.After(5 * time.Second):
			t.Fatal("b not disconnected")
		}
		check(e.Emit(ctx, "still"))
		a.expect("still")
	})
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
