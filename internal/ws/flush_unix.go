//go:build unix

package ws

import (
	"os"
	"runtime"
	"sync"
	"syscall"
)

// flushQueue is the process's WebSocket writers for connections with a raw socket: a queue of
// connections with something to write, and at most maxFlushers goroutines that take them in
// turn — they run only while the queue is not empty. A flusher writes one batch per visit,
// without blocking (a non-blocking write(2) on the socket), then puts the connection back at
// the end of the queue; it lets it go when the session has nothing more for it. So a
// broadcast starts no goroutine per recipient, and the more the flushers are behind, the more
// frames each write(2) carries: a connection gets one write per turn of the queue, with every
// frame queued for it since its last one. A connection whose socket buffer is full (a client
// that does not read) is handed to a goroutine of its own, which waits for it, as writeLoop
// does: it holds up no other connection.
type flushQueue struct {
	mu      sync.Mutex
	q       []*Conn
	head    int // q[head:] are waiting
	running int // flusher goroutines
}

var flushers flushQueue

// push queues c, which has a writer's count (c.writers.Add) and a raw socket, and starts a
// flusher if fewer than maxFlushers run.
func (f *flushQueue) push(c *Conn) {
	f.mu.Lock()
	f.q = append(f.q, c)
	start := f.running < maxFlushers()
	if start {
		f.running++
	}
	f.mu.Unlock()
	if start {
		go f.run()
	}
}

// requeue puts c back at the end of the queue, from a flusher.
func (f *flushQueue) requeue(c *Conn) {
	f.mu.Lock()
	f.q = append(f.q, c)
	f.mu.Unlock()
}

// pop takes the next connection, or returns nil — and the calling flusher must exit — when
// the queue is empty.
func (f *flushQueue) pop() *Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.head == len(f.q) {
		f.running--
		if cap(f.q) > maxKeptQueue {
			f.q = nil
		}
		f.q, f.head = f.q[:0], 0
		return nil
	}
	c := f.q[f.head]
	f.q[f.head] = nil
	f.head++
	if f.head >= compactAfter && f.head*2 >= len(f.q) {
		// The queue may never drain (connections requeued as fast as they are taken): move
		// what waits to the front, or the array would grow by every visit. Half of it at
		// least was taken, so the copies cost O(1) a visit.
		n := copy(f.q, f.q[f.head:])
		clear(f.q[n:])
		f.q, f.head = f.q[:n], 0
	}
	return c
}

// compactAfter is how many taken entries the queue lets pile up at its front before it
// compacts (see pop).
const compactAfter = 1024

// maxKeptQueue bounds the queue array kept while no flusher runs.
const maxKeptQueue = 4096

func (f *flushQueue) run() {
	// As writeLoop: let whoever woke us (a broadcast, most likely) queue more first.
	runtime.Gosched()
	for c := f.pop(); c != nil; c = f.pop() {
		if f.visit(c) {
			f.requeue(c)
		}
	}
}

// visit is c.flush, with a panic (in the session, most likely) turned into the end of c
// alone: the flusher goes on with the other connections.
func (f *flushQueue) visit(c *Conn) (again bool) {
	defer func() {
		if r := recover(); r != nil {
			again = false
			c.panicked("writing", r)
			c.writers.Done()
		}
	}()
	return c.flush()
}

// flush writes one batch of c's, from a flusher. It reports whether c is to be visited again;
// if not, it has released c's writer count (c.writers.Done), or handed it to a goroutine
// that finishes a write the socket could not take at once.
func (c *Conn) flush() (again bool) {
	// Once Frames finds nothing, the session may call ready and another flusher visit c
	// while this one returns: nothing of c's is touched after.
	b := c.take()
	if !b.ok {
		c.writers.Done()
		return false
	}
	if !c.wmu.TryLock() {
		// Another write holds the connection — the reading goroutine's pong or close frame,
		// which may be waiting for a client that does not read: never wait for it here.
		go c.writeRest(b, 0, false)
		return false
	}
	if len(b.buf) == 0 || c.closeSent {
		c.wmu.Unlock()
		b.release()
		return c.flushed(b.closed, nil)
	}
	c.sending(b.closed)
	n, err := c.writeNow(b.buf)
	if err == nil && n < len(b.buf) {
		// The socket buffer is full: a goroutine of the connection's own writes the rest,
		// keeping wmu (no other frame cuts into this one), and then writes on as writeLoop.
		go c.writeRest(b, n, true)
		return false
	}
	c.wmu.Unlock()
	b.release()
	return c.flushed(b.closed, err)
}

// flushed ends a visit that wrote a batch (or had nothing to write): it reports whether c is
// to be visited again (a TryPull that finds nothing is owed), and releases c's writer count
// if not.
func (c *Conn) flushed(closed bool, err error) bool {
	if err != nil {
		c.s.Fail(err)
	}
	if err != nil || closed {
		c.writers.Done()
		return false
	}
	return true
}

// writeRest writes b from byte n on, waiting for the client to read, then writes on as
// writeLoop does. With locked, the flusher holds wmu for it (part of b is out: no other frame
// may cut in); without, it has not started writing b, and waits for wmu.
func (c *Conn) writeRest(b batch, n int, locked bool) {
	defer c.writers.Done()
	defer c.recoverOther("writing")
	var err error
	if locked {
		func() {
			defer c.wmu.Unlock()
			c.setWriteDeadline()
			_, err = c.nc.Write(b.buf[n:])
			c.clearWriteDeadline()
		}()
	} else {
		err = c.writeBatch(b.buf, b.closed)
	}
	b.release()
	if err != nil {
		c.s.Fail(err)
		return
	}
	if !b.closed {
		c.writeOn()
	}
}

// writeNow writes b without waiting: it returns how much the socket took (0 when its buffer
// is full).
func (c *Conn) writeNow(b []byte) (int, error) {
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true // done, whatever happened: never wait here
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, os.NewSyscallError("write", werr)
	}
	return n, nil
}

// maxFlushers is how many flushers may run: half the Ps, at least one. The other half runs
// what queues the packets (handlers, broadcasts, readers); and flushers that fall behind
// write more frames per write(2). On two cores, one flusher cost less CPU per delivered
// message than two, with more frames per write(2) and no worse p99 (BENCHMARKS.md).
func maxFlushers() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}
