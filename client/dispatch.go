package client

import (
	"context"
	"reflect"
	"runtime"
	"sync"
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

// runDispatcher is the handler goroutine: go runDispatcher(d). It is a function of its own,
// never inlined, so that onHandlerGoroutine finds its frame.
//
//go:noinline
func runDispatcher(d *dispatcher) { d.run() }

// dispatcherEntry is the entry address of runDispatcher, as stack frames report it.
var dispatcherEntry = reflect.ValueOf(runDispatcher).Pointer()

// run calls the queued functions until the dispatcher is closed and drained.
func (d *dispatcher) run() {
	defer close(d.done)
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

// onHandlerGoroutine reports whether the caller is a handler, of any Manager: whether
// runDispatcher is on its goroutine's stack. It serves one purpose: Close, called from a
// handler, must not wait for the handler goroutine, which is its own caller's (or, for another
// Manager's handler, may be waiting for its caller's). It walks the stack: Close is rare.
func onHandlerGoroutine() bool {
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(1, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.Entry == dispatcherEntry {
			return true
		}
		if !more {
			return false
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
