//go:build !unix

package transport

import (
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

// readMore reads more into the buffer.
func (c *wsConn) readMore() error { return c.readConn() }
