//go:build unix

package ws

import "testing"

// A flush queue that never drains fully — connections requeued as fast as they are taken —
// keeps an array the size of what waits, not of every visit so far.
func TestFlushQueueBounded(t *testing.T) {
	var f flushQueue
	f.running = 1 // as if a flusher were visiting
	a, b := new(Conn), new(Conn)
	f.requeue(a)
	f.requeue(b)
	for range 1_000_000 {
		c := f.pop()
		if c == nil {
			t.Fatal("the queue ran dry")
		}
		f.requeue(c)
	}
	if n := cap(f.q); n > 4096 {
		t.Fatalf("after 1M visits with 2 connections waiting, the queue's array holds %d entries; want at most 4096", n)
	}
	if c := f.pop(); c != a {
		t.Fatal("the queue lost its order")
	}
}
