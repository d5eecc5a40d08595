package engine_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// BenchmarkWebSocketBroadcast sends a 100-byte message to every one of 100 WebSocket sessions
// over loopback, as a broadcast does, and waits until every client has read every message:
// the server's cost per recipient (the flushers, frames, write(2)), the clients' reads included.
func BenchmarkWebSocketBroadcast(b *testing.B) {
	const n = 100
	e := &echo{}
	srv := engine.NewServer(e, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	conns := make([]net.Conn, n)
	brs := make([]*bufio.Reader, n)
	sess := make([]*engine.Session, n)
	for i := range conns {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		br := bufio.NewReader(c)
		if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 101 {
			b.Fatalf("handshake: %v", err)
		}
		if _, _, err := readFrameErr(br); err != nil { // open
			b.Fatal(err)
		}
		conns[i], brs[i], sess[i] = c, br, e.last()
	}
	p := engine.Packet{Type: engine.Message, Data: []byte(strings.Repeat("x", 100))}
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, br := range brs {
		wg.Go(func() {
			for range b.N {
				if _, _, err := readFrameErr(br); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for range b.N {
		for _, s := range sess {
			s.Send(p)
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/recipient")
}
