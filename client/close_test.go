package client_test

import (
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// Close called outside the handlers waits for the running handler; called from a handler, of
// its own Manager or of another, it does not wait (two Managers whose handlers close each
// other do not deadlock).
func TestCloseWaitsForHandlersUnlessCalledFromOne(t *testing.T) {
	t.Parallel()
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) { s.On("echo", func() { s.Emit("echo") }) })
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	dial := func() *client.Socket {
		s, err := client.Dial(ctxFor(t), hs.URL, &client.Options{Transports: []string{client.TransportWebSocket}})
		must(t, err)
		return s
	}

	// From outside: Close returns only once the handler has.
	s := dial()
	started, release := make(chan struct{}), make(chan struct{})
	s.On("echo", func() { close(started); <-release })
	must(t, s.Emit("echo"))
	recv(t, started)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a handler was running")
	case <-time.After(100 * time.Millisecond): // a bounded negative check
	}
	close(release)
	must(t, recv(t, closed))

	// Two Managers whose handlers close each other at the same time.
	a, b := dial(), dial()
	var both sync.WaitGroup
	both.Add(2)
	done := make(chan error, 2)
	a.On("echo", func() { both.Done(); both.Wait(); done <- b.Close() })
	b.On("echo", func() { both.Done(); both.Wait(); done <- a.Close() })
	must(t, a.Emit("echo"))
	must(t, b.Emit("echo"))
	must(t, recv(t, done))
	must(t, recv(t, done))
	must(t, a.Close())
	must(t, b.Close())
}
