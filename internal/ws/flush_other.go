//go:build !unix

package ws

// flushQueue has no flushers where connections have no raw socket: every connection has a
// writer goroutine of its own (writeLoop).
type flushQueue struct{}

var flushers flushQueue

// push gives c a writer goroutine, there being no flushers here (ready does not call it:
// no connection has a raw socket).
func (flushQueue) push(c *Conn) { go c.writeLoop() }
