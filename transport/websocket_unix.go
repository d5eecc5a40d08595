//go:build unix

package transport

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawConn returns the connection's syscall.RawConn, or nil if it has none (a TLS connection).
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
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
func (c *wsConn) readMore() error {
	if c.raw == nil {
		return c.readConn()
	}
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
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
			}
			return false // wait until the socket is readable, then again
		}
		return true
	})
	switch {
	case err != nil:
		return err
	case rerr != nil:
		return os.NewSyscallError("read", rerr)
	case n == 0:
		return io.EOF
	}
	c.w += n
	return nil
}
