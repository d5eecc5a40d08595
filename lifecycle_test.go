package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// A broadcast with acknowledgements forgets what it asked for on every outcome: answered,
// timed out, cancelled, or ended by the default timeout when none was given.
func TestBroadcastWithAckLeavesNoEntries(t *testing.T) {
	t.Parallel()
	// A short default wait (PingInterval+PingTimeout), but a PingTimeout a loaded machine
	// keeps (the clients answer pings from their read loops).
	srv, url := newServer(t, &hub.Options{PingInterval: 150 * time.Millisecond, PingTimeout: time.Second})
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	p := connectPeers(t, url, sockets, 2) // they never answer
	drain := func(n int) {
		for _, pr := range p {
			for range n {
				pr.c.nextText()
			}
		}
	}
	pending := func(when string) {
		t.Helper()
		for i, pr := range p {
			if n := hub.PendingAcks(pr.s); n != 0 {
				t.Errorf("%s: socket %d: %d acknowledgements still awaited; want 0", when, i, n)
			}
		}
	}

	const timedOut = 500
	for range timedOut {
		_, err := srv.Timeout(time.Microsecond).EmitWithAck(context.Background(), "t")
		errorIs(t, err, context.DeadlineExceeded)
	}
	drain(timedOut)
	pending("after timed-out broadcasts")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := srv.EmitWithAck(ctx, "c")
		done <- err
	}()
	drain(1)
	cancel()
	errorIs(t, recv(t, done), context.Canceled)
	pending("after a cancelled broadcast")

	// No timeout and a context without deadline: the default (PingInterval+PingTimeout) ends it.
	start := time.Now()
	go func() {
		_, err := srv.EmitWithAck(context.Background(), "d")
		done <- err
	}()
	drain(1)
	errorIs(t, recv(t, done), context.DeadlineExceeded)
	if d := time.Since(start); d < 1150*time.Millisecond || d > 4*time.Second {
		t.Errorf("default wait: %v; want about 1.15s", d)
	}
	pending("after the default timeout")
}

// A Join racing the socket's disconnect never leaves the socket in a room after it is gone.
func TestJoinRacingDisconnectLeavesNoRoom(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	gone := make(chan struct{}, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnDisconnect(func(hub.DisconnectReason) { gone <- struct{}{} })
		sockets <- s
	})
	adapter := srv.Of("/").Adapter()
	c := dial(t, url, "")
	stale := 0
	for range 200 {
		c.connect("/", "")
		s := recv(t, sockets)
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			for {
				select {
				case <-stop:
					return
				default:
					s.Join("r")
				}
			}
		}()
		s.Disconnect(false)
		c.expect("41")
		recv(t, gone)
		close(stop)
		<-stopped
		if rooms := adapter.SocketRooms(s.ID()); rooms != nil {
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("%d of 200 disconnected sockets still in rooms", stale)
	}
}

// A panicking OnServerSideEmit handler is logged; it does not reach the adapter's goroutine
// (where it would end the process) and the next handlers still run.
func TestServerSideEmitHandlerPanicIsRecovered(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 16)
	var seams seams
	srv, _ := newServer(t, &hub.Options{Logger: slog.New(logs), Adapter: seams.factory})
	ns := srv.Of("/cluster")
	got := make(chan string, 1)
	ns.OnServerSideEmit(func(event string, args hub.Args) { panic("boom") })
	ns.OnServerSideEmit(func(event string, args hub.Args) { got <- event })
	p := &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/cluster", ID: socketio.NoAckID, Data: json.RawMessage(`["ping",1]`)}
	err := seams.of(t, "/cluster").ReceiveServerSideEmit(p, nil)
	success(t, err)
	equal(t, "event seen by the second handler", recv(t, got), "ping")
	equal(t, "log", recv(t, (<-chan string)(logs)), "hub: panic in server-side emit handler")
}

// Dynamic child namespaces go once their last socket has left: a client cannot make the
// server hold namespaces without bound (Node: cleanupEmptyChildNamespaces, off by default).
func TestEmptyDynamicNamespacesAreReclaimed(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	parent := srv.OfPattern(regexp.MustCompile(`^/d-[0-9]+$`))
	refused := srv.OfFunc(func(name string, _ json.RawMessage) bool { return strings.HasPrefix(name, "/r-") })
	refused.Use(func(*hub.Socket) error { return errors.New("no") })
	c := dial(t, url, "")
	const total, batch = 10000, 100
	for i := 0; i < total; i += batch {
		for j := i; j < i+batch; j++ {
			c.send(fmt.Sprintf("40/d-%d,", j))
		}
		for range batch {
			hasPrefix(t, "CONNECT reply", c.nextText(), "40/d-")
		}
		for j := i; j < i+batch; j++ {
			c.send(fmt.Sprintf("41/d-%d,", j))
		}
		c.send(fmt.Sprintf("40/r-%d,", i)) // refused by middleware
		c.expect(fmt.Sprintf(`44/r-%d,{"message":"no"}`, i))
	}
	// The handler goroutine runs the disconnects before this CONNECT.
	c.connect("/", "")
	all, children := hub.Namespaces(srv, parent)
	equal(t, "namespaces", all, 1)
	equal(t, "children", children, 0)
	_, children = hub.Namespaces(srv, refused)
	equal(t, "children refused", children, 0)

	// A name used again makes a new child, which works.
	got := make(chan string, 1)
	parent.OnConnection(func(s *hub.Socket) { got <- s.Namespace().Name() })
	c.connect("/d-7", "")
	equal(t, "namespace", recv(t, got), "/d-7")
	success(t, parent.Emit("hi"))
	c.expect(`42/d-7,["hi"]`)
	all, children = hub.Namespaces(srv, parent)
	equal(t, "namespaces with /d-7", all, 2)
	equal(t, "children with /d-7", children, 1)
}

// A panic in a dynamic namespace check refuses that namespace, as an error does in Node;
// the client can go on, and try again.
func TestDynamicNamespaceCheckPanic(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	srv.OfFunc(func(name string, _ json.RawMessage) bool {
		if name == "/boom" {
			panic("boom")
		}
		return name == "/ok"
	})
	c := dial(t, url, "")
	for range 2 {
		c.send("40/boom,")
		c.expect(`44/boom,{"message":"Invalid namespace"}`)
	}
	c.connect("/ok", "")
	c.connect("/", "")
}

// Clients joining and leaving one dynamic namespace at the same time never leave a socket in
// a reclaimed child (which the parent would no longer reach).
func TestDynamicNamespaceReclaimRace(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	parent := srv.OfPattern(regexp.MustCompile(`^/same$`))
	orphans := make(chan string, 1)
	parent.OnConnection(func(s *hub.Socket) {
		if hub.HasChild(parent, s.Namespace()) {
			return
		}
		select {
		case orphans <- s.ID():
		default:
		}
	})
	const clients, rounds = 4, 100
	done := make(chan struct{}, clients)
	for range clients {
		c := dial(t, url, "")
		go func() {
			defer func() { done <- struct{}{} }()
			for range rounds {
				c.connect("/same", "")
				c.send("41/same,")
			}
		}()
	}
	for range clients {
		recv(t, done)
	}
	select {
	case id := <-orphans:
		t.Errorf("socket %s connected to a reclaimed namespace", id)
	default:
	}
	c := dial(t, url, "")
	c.connect("/same", "")
	c.send("41/same,")
	c.connect("/", "") // after the handler goroutine ran the disconnect
	_, children := hub.Namespaces(srv, parent)
	if children > 1 {
		t.Errorf("children: got %d; want at most 1 (another client's leave may be under way)", children)
	}
}

// panickyAdapter is the in-memory adapter, except that adding a socket to its own room panics:
// a bug outside any user handler, on the handler goroutine.
type panickyAdapter struct{ *adapter.Memory }

func (a panickyAdapter) AddAll(id string, rooms ...string) {
	if len(rooms) == 1 && rooms[0] == id {
		panic("adapter bug")
	}
	a.Memory.AddAll(id, rooms...)
}

// A panic on the handler goroutine outside the user's handlers (which are recovered one by
// one) closes that client's connection, with the stack logged; the server goes on.
func TestPanicOnHandlerGoroutineClosesTheConnection(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 16)
	_, url := newServer(t, &hub.Options{
		Logger:  slog.New(logs),
		Adapter: func(ns adapter.Namespace) adapter.Adapter { return panickyAdapter{adapter.NewMemory(ns)} },
	})
	c := dial(t, url, "")
	c.send("40")
	c.waitClosed()
	for msg := ""; msg != "hub: panic on the handler goroutine; closing the connection"; {
		msg = recv(t, (<-chan string)(logs))
	}
}
