package redis_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
)

// protocols runs a test with the classic and the sharded protocol.
func protocols(t *testing.T, fn func(t *testing.T, opts redis.Options)) {
	for _, p := range []struct {
		name string
		opts redis.Options
	}{
		{"classic", redis.Options{}},
		{"classic-specific-response", redis.Options{PublishOnSpecificResponseChannel: true}},
		{"sharded", redis.Options{Sharded: true}},
		{"sharded-static", redis.Options{Sharded: true, SubscriptionMode: redis.SubscriptionStatic}},
		{"sharded-dynamic-private", redis.Options{Sharded: true, SubscriptionMode: redis.SubscriptionDynamicPrivate}},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			fn(t, p.opts)
		})
	}
}

func TestBroadcastAcrossServers(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		nodes := cluster(t, 3, opts)
		a := dial(t, nodes[0].url(), "/", "rooms=red")
		b := dial(t, nodes[1].url(), "/", "rooms=red,blue")
		c := dial(t, nodes[2].url(), "/", "rooms=blue")
		all := []*sioClient{a, b, c}

		// To all, from each server.
		for i, n := range nodes {
			if err := n.srv.Emit("hello", i, "x"); err != nil {
				t.Fatal(err)
			}
			for _, cl := range all {
				if e := cl.expect("hello"); e.arg(0) != string(rune('0'+i)) || e.arg(1) != `"x"` {
					t.Fatalf("got %v", e.args)
				}
			}
		}

		// To a room, to several rooms, except a room.
		nodes[2].srv.To("red").Emit("red")
		nodes[2].srv.To("red", "blue").Except("red").Emit("blue-only")
		nodes[1].srv.Except("blue").Emit("not-blue")
		nodes[0].srv.To(c.sid).Emit("to-c") // a socket's own room, on another server
		expectUntilMarkers(t, nodes,
			want{a, []string{"not-blue", "red"}},
			want{b, []string{"red"}}, // b is in red: excluded from blue-only
			want{c, []string{"blue-only", "to-c"}})

		// Local stays on its server.
		nodes[1].srv.Local().Emit("local")
		expectUntilMarkers(t, nodes, want{a, nil}, want{b, []string{"local"}}, want{c, nil})

		// Binary data crosses servers as binary.
		nodes[0].srv.To("blue").Emit("bin", []byte{0, 1, 2, 255}, map[string]any{"nested": []byte("hi")})
		for _, cl := range []*sioClient{b, c} {
			e := cl.expect("bin")
			if len(e.atts) != 2 || string(e.atts[0]) != "\x00\x01\x02\xff" || string(e.atts[1]) != "hi" {
				t.Fatalf("attachments %q, args %v", e.atts, e.args)
			}
		}

		// Another namespace is another channel.
		adm := dial(t, nodes[2].url(), "/admin", "")
		waitServers(t, nodes[0], "/admin", 3)
		nodes[0].srv.Of("/admin").Emit("admin-only")
		expectSeq(t, adm, "admin-only")
		expectUntilMarkers(t, nodes, want{a, nil}, want{b, nil}, want{c, nil})
		adm.none()
	})
}

// want is what a client must receive: exactly these events, in any order.
type want struct {
	c      *sioClient
	events []string
}

// expectUntilMarkers has every node emit a marker to all, reads each client's events until
// it has every marker and checks that the other events were exactly those wanted. A server
// publishes in order and each server handles another's messages in order, so what a server
// sent before its marker has arrived by then: absence is proven by order, not by time.
func expectUntilMarkers(t *testing.T, nodes []*node, wants ...want) {
	t.Helper()
	for i, n := range nodes {
		n.srv.Emit("marker", i)
	}
	for _, w := range wants {
		var got []string
		for markers := 0; markers < len(nodes); {
			e := w.c.next(5 * time.Second)
			if e.name == "marker" {
				markers++
				continue
			}
			got = append(got, e.name)
		}
		sort.Strings(got)
		exp := slices.Clone(w.events)
		sort.Strings(exp)
		if !slices.Equal(got, exp) {
			t.Fatalf("client %s: got events %v; want %v", w.c.sid, got, exp)
		}
	}
}

// expectSeq expects exactly these events, in this order, then nothing more.
func expectSeq(t *testing.T, c *sioClient, names ...string) {
	t.Helper()
	for _, name := range names {
		c.expect(name)
	}
	c.none()
}

func TestRoomOperationsAcrossServers(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		nodes := cluster(t, 3, opts)
		a := dial(t, nodes[0].url(), "/", "user=ann&rooms=red")
		b := dial(t, nodes[1].url(), "/", "user=bob")
		c := dial(t, nodes[2].url(), "/", "user=cat&rooms=red")
		ctx := context.Background()

		ids := func(n *node, op hub.BroadcastOperator) []string {
			t.Helper()
			sockets, err := op.FetchSockets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range sockets {
				out = append(out, s.ID)
			}
			sort.Strings(out)
			return out
		}
		sorted := func(s ...string) []string { sort.Strings(s); return s }

		// FetchSockets sees every server's sockets, with their rooms, data and handshake.
		sockets, err := nodes[1].srv.FetchSockets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sockets) != 3 {
			t.Fatalf("fetched %d sockets", len(sockets))
		}
		for _, s := range sockets {
			if s.ID == c.sid {
				if !slices.Contains(s.Rooms, "red") || !slices.Contains(s.Rooms, c.sid) {
					t.Errorf("rooms of c: %v", s.Rooms)
				}
				if m, _ := s.Data.(map[string]any); m["user"] != "cat" {
					t.Errorf("data of c: %#v", s.Data)
				}
				if s.Handshake.Query.Get("user") != "cat" || s.Handshake.Issued == 0 || s.Handshake.Time.IsZero() {
					t.Errorf("handshake of c: %+v", s.Handshake)
				}
			}
		}
		if got := ids(nodes[1], nodes[1].srv.In("red")); !slices.Equal(got, sorted(a.sid, c.sid)) {
			t.Errorf("in red: %v", got)
		}
		if got := ids(nodes[0], nodes[0].srv.Except("red")); !slices.Equal(got, []string{b.sid}) {
			t.Errorf("except red: %v", got)
		}
		if got := ids(nodes[0], nodes[0].srv.Local()); !slices.Equal(got, []string{a.sid}) {
			t.Errorf("local: %v", got)
		}

		// SocketsJoin and SocketsLeave from one server act on all. A request published
		// after them is handled after them, so FetchSockets sees the result.
		if err := nodes[0].srv.Except("red").SocketsJoin("green"); err != nil {
			t.Fatal(err)
		}
		if got := ids(nodes[2], nodes[2].srv.In("green")); !slices.Equal(got, []string{b.sid}) {
			// nodes[2] asks after nodes[0] published; wait for nodes[1] to have applied it.
			waitFor(t, 5*time.Second, "b in green", func() bool {
				return slices.Equal(ids(nodes[2], nodes[2].srv.In("green")), []string{b.sid})
			})
		}
		nodes[0].srv.SocketsJoin("all")
		nodes[0].srv.In("red").SocketsLeave("all")
		if got := ids(nodes[0], nodes[0].srv.In("all")); !slices.Equal(got, []string{b.sid}) {
			t.Errorf("in all: %v", got)
		}
		nodes[1].srv.To("green").Emit("green")
		expectSeq(t, b, "green")

		// RemoteSocket operations reach the socket's server.
		for _, s := range sockets {
			if s.ID == a.sid {
				s.Emit("direct", 1)
				s.Join("solo")
			}
		}
		a.expect("direct")
		waitFor(t, 5*time.Second, "a in solo", func() bool {
			return slices.Equal(ids(nodes[1], nodes[1].srv.In("solo")), []string{a.sid})
		})

		// DisconnectSockets from one server disconnects sockets on the others.
		nodes[1].srv.In("red").DisconnectSockets(false)
		for _, cl := range []*sioClient{a, c} {
			select {
			case <-cl.closed:
			case <-time.After(5 * time.Second):
				t.Fatalf("client %s not disconnected", cl.sid)
			}
		}
		waitFor(t, 5*time.Second, "only b left", func() bool {
			return slices.Equal(ids(nodes[0], nodes[0].srv.Of("/").To()), []string{b.sid})
		})
	})
}

func TestServerSideEmit(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		got := make(chan string, 10)
		opts.Key = newKey()
		var nodes []*node
		for i := range 3 {
			nodes = append(nodes, newNode(t, shared.addr(), opts, func(srv *hub.Server) {
				srv.Of("/").OnServerSideEmit(func(event string, args hub.Args) {
					var s string
					args.Decode(0, &s)
					got <- string(rune('0'+i)) + event + s
				})
			}))
		}
		waitServers(t, nodes[0], "/", 3)
		for i, n := range nodes[1:] {
			n.srv.Of("/").OnServerSideEmitWithAck(func(event string, args hub.Args, ack hub.Ack) {
				var s string
				args.Decode(0, &s)
				ack(map[string]any{"from": i + 1, "echo": s, "bin": []byte{byte(i)}})
			})
		}
		ctx := context.Background()
		if err := nodes[0].srv.Of("/").ServerSideEmit(ctx, "ping", "x"); err != nil {
			t.Fatal(err)
		}
		var seen []string
		for range 2 {
			select {
			case s := <-got:
				seen = append(seen, s)
			case <-time.After(5 * time.Second):
				t.Fatal("server-side emit not received")
			}
		}
		sort.Strings(seen)
		if !slices.Equal(seen, []string{"1pingx", "2pingx"}) {
			t.Errorf("received %v", seen)
		}

		answers, err := nodes[0].srv.Of("/").ServerSideEmitWithAck(ctx, "ask", "y")
		if err != nil {
			t.Fatal(err)
		}
		var from []string
		for _, a := range answers {
			var v struct {
				From int    `json:"from"`
				Echo string `json:"echo"`
				Bin  []byte `json:"bin"`
			}
			if err := a.Decode(0, &v); err != nil {
				t.Fatal(err)
			}
			if v.Echo != "y" || len(v.Bin) != 1 || int(v.Bin[0]) != v.From-1 {
				t.Errorf("answer %+v", v)
			}
			from = append(from, string(rune('0'+v.From)))
		}
		sort.Strings(from)
		if !slices.Equal(from, []string{"1", "2"}) {
			t.Errorf("answers from %v", from)
		}
		// As in Node, where every listener of the event gets it, the emit with ack also
		// reached the OnServerSideEmit handlers (which cannot answer).
		seen = seen[:0]
		for range 2 {
			select {
			case s := <-got:
				seen = append(seen, s)
			case <-time.After(5 * time.Second):
				t.Fatal("the emit with ack did not reach OnServerSideEmit")
			}
		}
		sort.Strings(seen)
		if !slices.Equal(seen, []string{"1asky", "2asky"}) {
			t.Errorf("received %v", seen)
		}
	})
}

func TestBroadcastWithAckAcrossServers(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		nodes := cluster(t, 3, opts)
		for i, n := range nodes {
			for j := range 2 {
				who := string(rune('a'+i)) + string(rune('0'+j))
				dialAck(t, n.url(), "/", "", func(e event) string { return `"` + who + `",{"ignored":true}` })
			}
		}
		answers, err := nodes[1].srv.Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range answers {
			var s string
			a.Decode(0, &s)
			got = append(got, s)
		}
		sort.Strings(got)
		if want := []string{"a0", "a1", "b0", "b1", "c0", "c1"}; !slices.Equal(got, want) {
			t.Errorf("answers %v; want %v", got, want)
		}
	})
}

func TestServerCountAndTimeouts(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		opts.RequestTimeout = 300 * time.Millisecond
		opts.Key = newKey()
		nodes := cluster(t, 2, opts)
		ctx := context.Background()
		if n, err := nodes[0].srv.Of("/").Adapter().ServerCount(ctx); err != nil || n != 2 {
			t.Fatalf("server count %d, %v", n, err)
		}
		// A server that listens but never answers: requests time out and say so.
		mute := newRedisClient(t, shared.addr())
		var ps *goredis.PubSub
		if opts.Sharded {
			ps = mute.SSubscribe(ctx, opts.Key+"#/#")
		} else {
			ps = mute.Subscribe(ctx, opts.Key+"-request#/#")
		}
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
			t.Fatal(err)
		}
		waitServers(t, nodes[0], "/", 3)
		start := time.Now()
		_, err := nodes[0].srv.FetchSockets(ctx)
		var te *redis.TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, redis.ErrTimeout) || te.Expected != 2 || te.Answered != 1 {
			t.Fatalf("FetchSockets with a mute server: %v", err)
		}
		if !strings.Contains(err.Error(), "1 of 2 servers did not answer") {
			t.Errorf("error text %q", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timed out after %v", d)
		}
		_, err = nodes[0].srv.ServerSideEmitWithAck(ctx, "ask")
		if !errors.Is(err, redis.ErrTimeout) {
			t.Errorf("ServerSideEmitWithAck: %v", err)
		}
		// A context ending first ends the wait too.
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := nodes[0].srv.FetchSockets(cctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("FetchSockets with a short context: %v", err)
		}
		// A server that closes leaves the count.
		nodes[1].srv.Close()
		ps.Close()
		waitServers(t, nodes[0], "/", 1)
		if sockets, err := nodes[0].srv.FetchSockets(ctx); err != nil || len(sockets) != 0 {
			t.Errorf("alone: %v, %v", sockets, err)
		}
	})
}

func TestAllRooms(t *testing.T) {
	t.Parallel()
	nodes := cluster(t, 2, redis.Options{})
	a := dial(t, nodes[0].url(), "/", "rooms=x")
	b := dial(t, nodes[1].url(), "/", "rooms=y,z")
	rooms, err := nodes[0].adapter(t, "/").AllRooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a.sid, b.sid, "x", "y", "z"}
	sort.Strings(want)
	if !slices.Equal(rooms, want) {
		t.Errorf("all rooms %v; want %v", rooms, want)
	}
}
