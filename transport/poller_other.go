//go:build !linux

package transport

// Without a poller (see poller_linux.go), an idle connection keeps its reading goroutine,
// waiting in a read.

func pollerUp() bool { return false }

func (c *wsConn) park(fd uintptr) (bool, error) { return false, nil }
func (c *wsConn) unregister()                   {}
func (c *wsConn) unpoll()                       {}
