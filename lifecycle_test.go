package hub_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/hubkit/hub"
)

// A broadcast with acknowledgements forgets what it asked for on every outcome: answered,
// timed out, cancelled, or ended by the default timeout when none was given.
func TestBroadcastWithAckLeavesNoEntries(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, &hub.Options{PingInterval: 150 * time.Millisecond, PingTimeout: 150 * time.Millisecond})
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
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("default wait: %v; want about 300ms", d)
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
		s.OnDisconnect(func(string) { gone <- struct{}{} })
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
	srv, _ := newServer(t, &hub.Options{Logger: slog.New(logs)})
	ns := srv.Of("/cluster")
	got := make(chan string, 1)
	ns.OnServerSideEmit(func(event string, args hub.Args) { panic("boom") })
	ns.OnServerSideEmit(func(event string, args hub.Args) { got <- event })
	err := ns.ReceiveServerSideEmit(&hub.Packet{Type: hub.PacketEvent, Namespace: "/cluster", ID: hub.NoAckID, Data: json.RawMessage(`["ping",1]`)})
	success(t, err)
	equal(t, "event seen by the second handler", recv(t, got), "ping")
	equal(t, "log", recv(t, (<-chan string)(logs)), "hub: panic in server-side emit handler")
}
