//go:build !unix

package transport

import (
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

// readMore reads more into the buffer.
func (c *wsConn) readMore() error { return c.readConn() }

// readIdle reads more into the empty buffer, between messages.
func (c *wsConn) readIdle() (parked bool, err error) { return false, c.readConn() }

func (c *wsConn) clearIdleDeadline() {}
