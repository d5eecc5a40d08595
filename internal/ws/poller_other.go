//go:build !linux

package ws

// Without a poller (see poller_linux.go), an idle connection keeps its reading goroutine,
// waiting in a read.

func pollerUp() bool { return false }

func (c *Conn) park(fd uintptr) (bool, error) { return false, nil }
func (c *Conn) unregister()                   {}
func (c *Conn) unpoll()                       {}
