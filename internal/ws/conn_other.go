//go:build !unix

package ws

import (
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

// readMore reads more into the buffer.
func (c *Conn) readMore() error { return c.readConn() }

// readIdle reads more into the empty buffer, between messages.
func (c *Conn) readIdle() (parked bool, err error) { return false, c.readConn() }

func (c *Conn) clearIdleDeadline() {}
