package client

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// dispatchLimit is how many received events may wait for handlers before the connection's
// read loop stops reading (and so pushes back on the server).
const dispatchLimit = 1024

// dispatcher runs a Manager's handlers on one goroutine, in the order they were posted.
// Posting never blocks; the read loop calls wait to stay within dispatchLimit.
type dispatcher struct {
	mu     sync.Mutex
	queue  []func() // guarded by mu
	closed bool     // guarded by mu: run returns once the queue is empty
	wake   chan struct{}
	space  chan struct{} // signalled when the queue shrinks
	done   chan struct{} // closed when run has returned
	gid    atomic.Uint64 // id of the goroutine running handlers
}

func newDispatcher() *dispatcher {
	return &dispatcher{
		wake:  make(chan struct{}, 1),
		space: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// post queues fn; it is dropped once the dispatcher is closed.
func (d *dispatcher) post(fn func()) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, fn)
	d.mu.Unlock()
	signal(d.wake)
}

// wait blocks while the queue is at its limit, until ctx is done.
func (d *dispatcher) wait(ctx context.Context) {
	for {
		d.mu.Lock()
		n := len(d.queue)
		d.mu.Unlock()
		if n < dispatchLimit {
			return
		}
		select {
		case <-d.space:
		case <-d.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// run calls the queued functions until the dispatcher is closed and drained.
func (d *dispatcher) run() {
	defer close(d.done)
	d.gid.Store(goroutineID())
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			closed := d.closed
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.wake
			continue
		}
		fn := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		if len(d.queue) == 0 {
			d.queue = nil
		}
		d.mu.Unlock()
		signal(d.space)
		fn()
	}
}

// close makes run return once the functions already queued have run.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	signal(d.wake)
}

// onGoroutine reports whether the caller is a handler running on the dispatcher.
func (d *dispatcher) onGoroutine() bool { return d.gid.Load() == goroutineID() }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// goroutineID returns the calling goroutine's id. It is used for one thing only: noticing that
// Close is called from a handler, which must not wait for the handler goroutine to exit.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
