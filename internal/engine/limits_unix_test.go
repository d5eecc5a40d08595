//go:build unix

package engine_test

import (
	"bytes"
	"io"
	"net"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// An SSE client that stops reading holds its stream only until the write deadline
// (PingInterval + PingTimeout) passes: the stream's goroutine then exits. (Before, a write the
// client never took blocked for as long as the connection lived.) Not parallel: it counts the
// server's SSE goroutines.
func TestStalledReaderDropped(t *testing.T) {
	e := &echo{}
	srv := engine.NewServer(e, &engine.Options{
		PingInterval:   100 * time.Millisecond,
		PingTimeout:    100 * time.Millisecond,
		MaxQueuedBytes: 64 << 20,
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close() // first: never leave the server's cleanup stuck
	io.WriteString(conn, "GET /?EIO=4&transport=sse HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the session", func() bool { e.mu.Lock(); defer e.mu.Unlock(); return len(e.sessions) == 1 })
	chunk := engine.Packet{Type: engine.Message, Data: bytes.Repeat([]byte("a"), 64<<10)}
	for range 256 { // 16 MiB: more than the socket buffers hold
		e.last().Send(chunk)
	}
	waitFor(t, "the stalled stream's goroutine to exit", func() bool { return goroutines("transport.SSE.Serve") == 0 })
}
