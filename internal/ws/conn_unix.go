//go:build unix

package ws

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// rawConn returns the connection's syscall.RawConn if it is a plain socket, or nil. Only a
// *net.TCPConn or *net.UnixConn itself qualifies: a type that wraps one (a TLS connection, a
// PROXY-protocol connection, a byte counter) may hold bytes of its own or transform them, so
// it is read and written through its own methods.
func rawConn(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch nc := nc.(type) {
	case *net.TCPConn:
		sc = nc
	case *net.UnixConn:
		sc = nc
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// readMore reads more into the buffer. On a socket, it reads without blocking while bytes are
// there, and waits for more with no buffer held when none are buffered: an idle connection
// keeps no read buffer.
func (c *Conn) readMore() error {
	_, err := c.read(false)
	return err
}

// readIdle reads more into the empty buffer, between messages. On a socket, when nothing is
// there to read, it waits for the socket to be readable — for idleGrace at most if there is a
// poller: then it parks the connection in the poller (see park) and reports it, and the
// caller's goroutine must return without touching the connection. A busy connection thus
// keeps its goroutine, and only one idle for a while gives it up: parking and waking again
// cost more CPU than waiting in Go's netpoller.
func (c *Conn) readIdle() (parked bool, err error) {
	return c.read(true)
}

// idleGrace is how long a connection with nothing to read keeps its reading goroutine before
// it is parked in the poller.
const idleGrace = 100 * time.Millisecond

func (c *Conn) read(idle bool) (parked bool, err error) {
	if c.raw == nil {
		return false, c.readConn()
	}
	canPark := idle && pollerUp()
	var n int
	var rerr error
	parking := false // the grace period is over: park if there is still nothing to read
	read := func(fd uintptr) bool {
		if c.buf == nil {
			c.buf, c.r, c.w = readPool.get(), 0, 0
		}
		for {
			n, rerr = syscall.Read(int(fd), (*c.buf)[c.w:])
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			if c.r == c.w {
				c.release()
				switch {
				case parking:
					// While the poller holds the fd, raw.Read holds a reference to it: the
					// fd cannot be closed, let alone reused, under our feet.
					parked, rerr = c.park(fd)
					if parked || rerr != nil {
						return true
					}
				case canPark:
					// The deadline is not cleared when bytes come: moved only when it is
					// near, it costs a busy connection nothing per message.
					now := time.Now()
					if c.idleBy == 0 || now.UnixNano() > c.idleBy-int64(idleGrace/2) {
						by := now.Add(idleGrace)
						if c.nc.SetReadDeadline(by) == nil {
							c.idleBy = by.UnixNano()
						}
					}
				}
			}
			return false // wait until the socket is readable, then again
		}
		return true
	}
	for {
		err = c.raw.Read(read)
		if parked {
			return true, nil // the connection is the poller's: touch nothing
		}
		if c.idleBy != 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			// Idle for the grace period: park. Or inside a message, where the grace
			// period does not apply: read on.
			c.clearIdleDeadline()
			parking = canPark
			continue
		}
		break
	}
	switch {
	case err != nil:
		return false, err
	case rerr != nil:
		if rerr == net.ErrClosed {
			return false, rerr
		}
		return false, os.NewSyscallError("read", rerr)
	case n == 0:
		return false, io.EOF
	}
	c.w += n
	return false, nil
}

// clearIdleDeadline clears the read deadline of the grace period (see read).
func (c *Conn) clearIdleDeadline() {
	if c.idleBy != 0 {
		c.nc.SetReadDeadline(time.Time{})
		c.idleBy = 0
	}
}
