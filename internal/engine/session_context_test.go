package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// TestSessionContext checks the session's context: not done while the session lives, then
// done with context.Canceled; context.AfterFunc and derived contexts fire once it finishes, a
// stopped AfterFunc does not, and one registered after the end runs at once.
func TestSessionContext(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	o := handshake(t, ts.URL)
	s := e.last()
	ctx := s.Context()
	if ctx.Err() != nil {
		t.Fatalf("Err of a live session: %v", ctx.Err())
	}
	fired := make(chan string, 3)
	context.AfterFunc(ctx, func() { fired <- "after" })
	stop := context.AfterFunc(ctx, func() { fired <- "stopped" })
	if !stop() {
		t.Fatal("stop before the end reported false")
	}
	child, cancel := context.WithCancel(ctx)
	defer cancel()

	// The client leaves: the session finishes.
	if code, _ := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID, "1"); code != 200 {
		t.Fatalf("close post: %d", code)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the session's context is not done after the session finished")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("Err: %v; want context.Canceled", ctx.Err())
	}
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a derived context is not done")
	}
	if got := <-fired; got != "after" {
		t.Fatalf("fired %q; want after", got)
	}
	context.AfterFunc(ctx, func() { fired <- "late" })
	if got := <-fired; got != "late" {
		t.Fatalf("fired %q; want late (an AfterFunc on a finished session runs at once)", got)
	}
	select {
	case got := <-fired:
		t.Fatalf("fired %q too", got)
	default:
	}
}
