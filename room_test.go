package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub"
)

// peer is one test client with its server-side socket in the main namespace.
type peer struct {
	c *wsClient
	s *hub.Socket
}

// connectPeers connects n clients to "/" of srv, which must send every new socket to
// sockets.
func connectPeers(t *testing.T, url string, sockets <-chan *hub.Socket, n int) []peer {
	t.Helper()
	peers := make([]peer, n)
	for i := range peers {
		c := dial(t, url, "")
		sid := c.connect("/", "")
		s := recv(t, sockets)
		equal(t, "socket", s.ID(), sid)
		peers[i] = peer{c, s}
	}
	return peers
}

// expectOnly checks that exactly the peers in want received text next: after a marker
// event sent to everyone, each peer must see text then the marker, or the marker alone.
func expectOnly(t *testing.T, srv *hub.Server, peers []peer, text string, want ...int) {
	t.Helper()
	success(t, srv.Emit("marker"))
	for i, p := range peers {
		if slices.Contains(want, i) {
			equal(t, fmt.Sprintf("peer %d", i), p.c.nextText(), text)
		}
		equal(t, fmt.Sprintf("peer %d marker", i), p.c.nextText(), `42["marker"]`)
	}
}

func TestRoomsAndBroadcast(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	p := connectPeers(t, url, sockets, 3)
	a, b, c := p[0].s, p[1].s, p[2].s
	a.Join("r1")
	b.Join("r1", "r2")
	equal(t, "rooms of b", b.Rooms(), sortedRooms(b.ID(), "r1", "r2"))

	// A socket in another namespace is never reached by the main namespace's broadcasts.
	srv.Of("/other")
	other := dial(t, url, "")
	other.connect("/other", "")

	success(t, srv.To("r1").Emit("e", 1))
	expectOnly(t, srv, p, `42["e",1]`, 0, 1)
	success(t, srv.To("r1", "r2").Emit("e", 2)) // b is in both: once
	expectOnly(t, srv, p, `42["e",2]`, 0, 1)
	success(t, srv.Except("r2").Emit("e", 3))
	expectOnly(t, srv, p, `42["e",3]`, 0, 2)
	success(t, srv.In("r1").Except("r2").Emit("e", 4))
	expectOnly(t, srv, p, `42["e",4]`, 0)
	success(t, a.Broadcast().Emit("e", 5))
	expectOnly(t, srv, p, `42["e",5]`, 1, 2)
	success(t, a.To("r1").Emit("e", 6)) // room members but not the sender
	expectOnly(t, srv, p, `42["e",6]`, 1)
	success(t, srv.To(c.ID()).Emit("e", 7)) // every socket is in its own room
	expectOnly(t, srv, p, `42["e",7]`, 2)
	success(t, srv.Of("/").Emit("e", 8))
	expectOnly(t, srv, p, `42["e",8]`, 0, 1, 2)

	// The operator chain is immutable.
	base := srv.To("r1")
	_ = base.Except("r2")
	success(t, base.Emit("e", 9))
	expectOnly(t, srv, p, `42["e",9]`, 0, 1)

	b.Leave("r1")
	success(t, srv.To("r1").Emit("e", 10))
	expectOnly(t, srv, p, `42["e",10]`, 0)
	a.Join("x", "y", "z")
	a.Leave("x", "z") // as many as Join takes
	equal(t, "rooms after leaving two", a.Rooms(), sortedRooms(a.ID(), "r1", "y"))
	other.quiet(0) // nothing reached /other
}

func sortedRooms(rooms ...string) []string {
	slices.Sort(rooms)
	return rooms
}

func TestServerWideOperations(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	reasons := make(chan string, 3)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnDisconnect(func(r hub.DisconnectReason) { reasons <- s.ID() + " " + string(r) })
		sockets <- s
	})
	p := connectPeers(t, url, sockets, 3)
	a, b, c := p[0].s, p[1].s, p[2].s
	a.Join("r1")
	b.Join("r1")
	a.SetData(map[string]int{"n": 1})

	ctx := context.Background()
	ids := func(rs []*hub.RemoteSocket) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	all, err := srv.FetchSockets(ctx)
	success(t, err)
	equal(t, "all", ids(all), sortedRooms(a.ID(), b.ID(), c.ID()))
	inR1, err := srv.In("r1").FetchSockets(ctx)
	success(t, err)
	equal(t, "in r1", ids(inR1), sortedRooms(a.ID(), b.ID()))
	exceptR1, err := srv.Except("r1").FetchSockets(ctx)
	success(t, err)
	equal(t, "except r1", ids(exceptR1), []string{c.ID()})
	for _, r := range inR1 {
		if r.ID == a.ID() {
			equal(t, "data", r.Data, any(map[string]int{"n": 1}))
			equal(t, "rooms", r.Rooms, sortedRooms(a.ID(), "r1"))
			equal(t, "handshake", r.Handshake.Auth, a.Handshake().Auth)
		}
	}

	success(t, srv.In("r1").SocketsJoin("r2", "r3"))
	equal(t, "a rooms", a.Rooms(), sortedRooms(a.ID(), "r1", "r2", "r3"))
	equal(t, "c rooms", c.Rooms(), []string{c.ID()})
	success(t, srv.In("r2").SocketsLeave("r1"))
	equal(t, "b rooms", b.Rooms(), sortedRooms(b.ID(), "r2", "r3"))

	// RemoteSocket operations.
	rc, err := srv.In(c.ID()).FetchSockets(ctx)
	success(t, err)
	equal(t, "one", len(rc), 1)
	success(t, rc[0].Join("r9"))
	equal(t, "c joined", c.Rooms(), sortedRooms(c.ID(), "r9"))
	success(t, rc[0].Emit("direct", "hi"))
	p[2].c.expect(`42["direct","hi"]`)

	success(t, srv.In("r3").DisconnectSockets(false))
	p[0].c.expect("41")
	p[1].c.expect("41")
	got := []string{recv(t, reasons), recv(t, reasons)}
	slices.Sort(got)
	equal(t, "reasons", got, sortedRooms(a.ID()+" server namespace disconnect", b.ID()+" server namespace disconnect"))
	remaining, err := srv.FetchSockets(ctx)
	success(t, err)
	equal(t, "remaining", ids(remaining), []string{c.ID()})
	equal(t, "namespace sockets", len(srv.Of("/").Sockets()), 1)

	success(t, srv.DisconnectSockets(true))
	equal(t, "closing frames", p[2].c.waitClosed(), []string{"41"})
	equal(t, "reason", recv(t, reasons), c.ID()+" server namespace disconnect")
}

func TestBroadcastWithAck(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	p := connectPeers(t, url, sockets, 3)

	type result struct {
		answers []hub.Args
		err     error
	}
	results := make(chan result, 1)
	answer := func(peers []peer, event string) {
		t.Helper()
		for i, pr := range peers {
			msg := pr.c.nextText()
			id, rest, ok := strings.Cut(strings.TrimPrefix(msg, "42"), "[")
			if !ok || rest != `"`+event+`"]` {
				t.Fatalf("got %q; want an event %q with an ack id", msg, event)
			}
			pr.c.send(fmt.Sprintf("43%s[%d]", id, i))
		}
	}
	decode := func(as []hub.Args) []int {
		var out []int
		for _, a := range as {
			var n int
			success(t, a.Decode(0, &n))
			out = append(out, n)
		}
		slices.Sort(out)
		return out
	}

	go func() {
		as, err := srv.EmitWithAck(context.Background(), "all")
		results <- result{as, err}
	}()
	answer(p, "all")
	r := recv(t, results)
	success(t, r.err)
	equal(t, "answers", decode(r.answers), []int{0, 1, 2})

	// The third peer does not answer.
	go func() {
		as, err := srv.Timeout(100*time.Millisecond).EmitWithAck(context.Background(), "some")
		results <- result{as, err}
	}()
	answer(p[:2], "some")
	p[2].c.nextText()
	r = recv(t, results)
	errorIs(t, r.err, context.DeadlineExceeded)
	equal(t, "partial answers", decode(r.answers), []int{0, 1})

	// Nobody selected: an immediate empty answer.
	as, err := srv.To("empty-room").EmitWithAck(context.Background(), "none")
	success(t, err)
	equal(t, "no answers", len(as), 0)
}

func TestDynamicNamespaces(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	parent := srv.OfPattern(regexp.MustCompile(`^/dyn-[a-z0-9]+$`))
	parent.Use(func(s *hub.Socket) error {
		if string(s.Handshake().Auth) == `{"bad":true}` {
			return errors.New("refused by the parent")
		}
		return nil
	})
	parent.OnConnection(func(s *hub.Socket) { s.Emit("nsp", s.Namespace().Name()) })
	byFunc := srv.OfFunc(func(name string, auth json.RawMessage) bool {
		return strings.HasPrefix(name, "/fn-") && string(auth) == `{"ok":1}`
	})
	byFunc.OnConnection(func(s *hub.Socket) { s.Emit("fn", s.Namespace().Name()) })

	c1 := dial(t, url, "")
	c1.connect("/dyn-1", "")
	c1.expect(`42/dyn-1,["nsp","/dyn-1"]`)
	c2 := dial(t, url, "")
	c2.connect("/dyn-2", "")
	c2.expect(`42/dyn-2,["nsp","/dyn-2"]`)
	c2.send(`40/dyn-3,{"bad":true}`)
	c2.expect(`44/dyn-3,{"message":"refused by the parent"}`)
	c2.send(`40/DYN-4,`)
	c2.expect(`44/DYN-4,{"message":"Invalid namespace"}`)
	c2.send(`40/fn-a,{"ok":2}`)
	c2.expect(`44/fn-a,{"message":"Invalid namespace"}`)
	c2.connect("/fn-a", `{"ok":1}`)
	c2.expect(`42/fn-a,["fn","/fn-a"]`)

	equal(t, "child sockets", len(srv.Of("/dyn-1").Sockets()), 1)
	equal(t, "parent sockets", len(parent.Sockets()), 2)
	success(t, parent.Emit("all", 1))
	c1.expect(`42/dyn-1,["all",1]`)
	c2.expect(`42/dyn-2,["all",1]`)
	_, err := parent.FetchSockets(context.Background())
	errorIs(t, err, hub.ErrParentNamespace)
}
