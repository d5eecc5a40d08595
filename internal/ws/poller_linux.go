//go:build linux

package ws

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The poller watches idle WebSocket connections so that they need no goroutine: a
// connection's reading goroutine, finding nothing more to read between messages, registers
// the socket in the poller's epoll instance (EPOLLONESHOT) and returns; when the socket is
// readable (bytes, the client's FIN, an error), the poller starts a reading goroutine for the
// connection, which reads until nothing is left and parks the connection again.
//
// There is one poller per process, set up on first use. Its epoll instance is itself waited
// for through Go's netpoller (an epoll fd is pollable), so the poller's goroutine blocks no
// thread; the goroutine runs only while connections are registered, and exits with the last
// one (an eventfd in the same epoll wakes it for that).
//
// A registration carries the connection's id, never reused, not its fd: an event that was
// already on its way when the connection ended finds no connection and is dropped, and a
// reused fd cannot reach a connection that has ended. Ownership of a connection's reading
// side passes, under Conn.mu, from its reading goroutine to the poller (park, parked=true)
// and back to a new reading goroutine (wake) — or, if the session ends while the connection
// is parked, to the goroutine that saw it end (sessionEnded), which ends the connection.
type poller struct {
	once sync.Once
	ok   bool            // the epoll instance is set up (after once)
	epfd int             // the epoll instance
	efd  int             // an eventfd in it, with id 0: wakes the loop so that it can exit
	rc   syscall.RawConn // epfd, through Go's netpoller

	mu      sync.Mutex
	conns   map[uint64]*Conn // registered connections, parked or not
	next    uint64           // the last id given out
	running bool             // the loop's goroutine runs
	broken  atomic.Bool      // waiting on epfd failed: connections are not parked any more
	exited  sync.Cond        // on mu: the loop exited, or a connection registered
}

var wsPoller poller

// pollerUp reports whether idle connections can be parked in the poller.
func pollerUp() bool { return wsPoller.setUp() && !wsPoller.broken.Load() }

// setUp creates the epoll instance once; it reports whether the poller can be used.
func (p *poller) setUp() bool {
	p.once.Do(func() {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		efd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if errno != 0 {
			syscall.Close(epfd)
			return
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN} // level-triggered, id 0
		if syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(efd), &ev) != nil || syscall.SetNonblock(epfd, true) != nil {
			syscall.Close(int(efd))
			syscall.Close(epfd)
			return
		}
		// os.NewFile puts a non-blocking fd in Go's netpoller; SetReadDeadline fails if it
		// could not (the file would then not be pollable).
		f := os.NewFile(uintptr(epfd), "hub-websocket-poller")
		rc, err := f.SyscallConn()
		if err != nil || f.SetReadDeadline(time.Time{}) != nil {
			f.Close()
			syscall.Close(int(efd))
			return
		}
		p.epfd, p.efd, p.rc = epfd, int(efd), rc
		p.conns = make(map[uint64]*Conn)
		p.exited.L = &p.mu
		p.ok = true
		keepFile = f // the file closes its fd when collected
	})
	return p.ok
}

var keepFile *os.File

// add registers c under a new id and starts the loop if it is not running.
func (p *poller) add(c *Conn) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	id := p.next
	p.conns[id] = c
	p.exited.Broadcast() // a remove waiting for the loop to exit waits no more
	if !p.running {
		p.running = true
		go p.loop()
	}
	return id
}

// remove drops the registration id. If it was the last one, it wakes the loop and, if wait,
// waits until the loop has exited (or a connection registered again): the poller's goroutine
// does not outlive the last connection, nor Server.Close.
func (p *poller) remove(id uint64, wait bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, id)
	if len(p.conns) > 0 || !p.running {
		return
	}
	p.wake()
	for wait && p.running && len(p.conns) == 0 {
		p.exited.Wait()
	}
}

// wake makes the loop's wait return.
func (p *poller) wake() {
	one := uint64(1)
	syscall.Write(p.efd, (*[8]byte)(unsafe.Pointer(&one))[:])
}

// loop waits for events and starts a reading goroutine for each connection that has
// become readable. It exits once no connection is registered.
func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 128)
	var woken []*Conn
	for {
		var n int
		var werr error
		err := p.rc.Read(func(fd uintptr) bool {
			for {
				n, werr = syscall.EpollWait(int(fd), events, 0)
				if werr != syscall.EINTR {
					break
				}
			}
			return n > 0 || werr != nil
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			p.fail()
			return
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				var b [8]byte
				syscall.Read(p.efd, b[:])
			} else if c := p.conns[id]; c != nil {
				woken = append(woken, c)
			}
		}
		if len(p.conns) == 0 {
			p.running = false
			p.exited.Broadcast()
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		for i, c := range woken {
			c.wake()
			woken[i] = nil
		}
		woken = woken[:0]
	}
}

// fail gives up on the poller after waiting on epfd failed: every parked connection gets a
// reading goroutine back, which will wait in reads from now on.
func (p *poller) fail() {
	p.mu.Lock()
	p.broken.Store(true)
	p.running = false
	p.exited.Broadcast()
	var all []*Conn
	for _, c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.wake()
	}
}

// park hands c, idle, to the poller; fd is c's socket, held by the caller (a raw.Read). It
// reports whether it did: the reading goroutine must then return without touching c. It
// returns net.ErrClosed if the connection is ending; false and no error when there is no
// poller to park in, and the reading goroutine waits itself.
func (c *Conn) park(fd uintptr) (bool, error) {
	p := &wsPoller
	if !p.setUp() {
		return false, nil
	}
	if p.broken.Load() {
		return false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ending {
		return false, net.ErrClosed
	}
	op := syscall.EPOLL_CTL_MOD
	if c.pollID == 0 {
		// Registered before the fd is added: no event can find the map without it.
		c.pollID = p.add(c)
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(c.pollID)),
		Pad:    int32(uint32(c.pollID >> 32)),
	}
	if err := syscall.EpollCtl(p.epfd, op, int(fd), &ev); err != nil {
		if op == syscall.EPOLL_CTL_ADD {
			p.remove(c.pollID, false)
			c.pollID = 0
		}
		return false, nil
	}
	c.parked = true
	return true, nil
}

// wake gives a parked connection a reading goroutine again.
func (c *Conn) wake() {
	c.mu.Lock()
	if !c.parked {
		c.mu.Unlock()
		return // not parked (any more): the event is stale
	}
	c.parked = false
	c.mu.Unlock()
	go c.loop()
}

// unregister removes the socket of c, parked, from the epoll instance, before the socket
// closes; c.ending is set, so it is not added again.
func (c *Conn) unregister() {
	c.mu.Lock()
	id := c.pollID
	c.mu.Unlock()
	if id == 0 {
		return
	}
	c.raw.Control(func(fd uintptr) {
		syscall.EpollCtl(wsPoller.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// unpoll ends c's registration in the poller: called once, by end, once the socket is
// closed (and unregistered).
func (c *Conn) unpoll() {
	c.mu.Lock()
	id := c.pollID
	c.pollID = 0
	c.mu.Unlock()
	if id != 0 {
		wsPoller.remove(id, true)
	}
}
