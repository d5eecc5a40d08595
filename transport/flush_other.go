//go:build !unix

package transport

// flushQueue has no flushers where connections have no raw socket: every connection has a
// writer goroutine of its own (writeLoop).
type flushQueue struct{}

var flushers flushQueue

func (flushQueue) push(*wsConn) bool { return false }
