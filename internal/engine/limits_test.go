package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// Headers past Options.MaxHeaderBytes get 431, as past Node's maxHeaderSize; under it the
// handshake goes through.
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		limit  int
		header int // bytes in one header value
		want   int
	}{
		{"under the default", 0, 15 << 10, 200},
		{"over the default", 0, 17 << 10, 431},
		{"way over the default", 0, 512 << 10, 431},
		{"raised limit", 64 << 10, 32 << 10, 200},
		{"lowered limit", 1 << 10, 2 << 10, 431},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, _, _ := newServer(t, &engine.Options{MaxHeaderBytes: c.limit})
			for _, u := range []string{"/?EIO=4&transport=polling", "/?EIO=4&transport=polling&sid=unknown"} {
				code := getWithHeader(t, ts.URL+u, c.header)
				want := c.want
				if want == 200 && strings.Contains(u, "sid") {
					want = 400
				}
				if code != want {
					t.Fatalf("%s with a %d-byte header: got %d; want %d", u, c.header, code, want)
				}
			}
		})
	}
}

func getWithHeader(t *testing.T, url string, n int) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Big", strings.Repeat("a", n))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Handshakes with big headers cost the server bounded memory: refused ones nothing, accepted
// ones at most about MaxHeaderBytes each, for as long as their sessions live. (Before the
// limit, 100 handshakes with a 256 KiB header kept 25 MiB.) Not parallel: it measures the heap.
func TestHandshakeMemoryBound(t *testing.T) {
	srv := engine.NewServer(&echo{}, nil) // no reasons channel: 100 sessions close at the end
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	const n = 100
	before := heapInUse()
	refused := 0
	for range n {
		if code := getWithHeader(t, ts.URL+"/?EIO=4&transport=polling", 256<<10); code == 431 {
			refused++
		}
	}
	grown := int64(heapInUse()) - int64(before)
	if bound := int64(2 << 20); grown > bound {
		t.Fatalf("%d handshakes with 256 KiB headers grew the heap by %d bytes; want at most %d", n, grown, bound)
	}
	if refused != n {
		t.Fatalf("handshakes with a 256 KiB header refused with 431: %d of %d", refused, n)
	}
	if got := srv.Sessions(); got != 0 {
		t.Fatalf("sessions after refused handshakes: %d; want 0", got)
	}

	before = heapInUse()
	for range n {
		if code := getWithHeader(t, ts.URL+"/?EIO=4&transport=polling", 15<<10); code != 200 {
			t.Fatalf("handshake with a 15 KiB header: got %d; want 200", code)
		}
	}
	grown = int64(heapInUse()) - int64(before)
	if bound := int64(n * (16<<10 + 8<<10)); grown > bound {
		t.Fatalf("%d sessions with 15 KiB headers grew the heap by %d bytes; want at most %d", n, grown, bound)
	}
	if got := srv.Sessions(); got != n {
		t.Fatalf("sessions: %d; want %d", got, n)
	}
}

// An idle WebSocket session keeps nothing of the HTTP request it came by: net/http's read and
// write buffers (4 KiB each) and the request go once the connection is the transport's. (A
// binding that kept the ResponseWriter held them: about 10 KiB per connection.) The client
// ends here read their handshake answers through a small buffer they drop. Not parallel: it
// measures the heap.
func TestIdleWebSocketMemory(t *testing.T) {
	srv := engine.NewServer(&echo{}, &engine.Options{PingInterval: time.Hour}) // no reasons channel: 200 sessions close at the end
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	const n = 200
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	before := heapInUse()
	for range n {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, requestWS); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReaderSize(c, 512)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", res, err)
		}
		if op, p := readFrame(t, br); op != 1 || p[0] != '0' { // the open packet
			t.Fatalf("open packet: %#x %q", op, p)
		}
	}
	perConn := (int64(heapInUse()) - int64(before)) / n
	if bound := int64(6 << 10); perConn > bound {
		t.Fatalf("an idle WebSocket session holds %d bytes of heap; want at most %d", perConn, bound)
	}
	t.Logf("heap per idle WebSocket session (engine only, client end included): %d bytes", perConn)
}

// A polling or SSE POST whose chunked body trickles in and never ends (a slowloris) is
// answered 400 and dropped once PingInterval + PingTimeout have passed, and its goroutine
// exits. (Before the read deadline, it was held for as long as the client kept trickling.)
// Not parallel: it counts the server's POST goroutines.
func TestSlowBodyDropped(t *testing.T) {
	for _, tr := range []string{"polling", "sse"} {
		t.Run(tr, func(t *testing.T) {
			ts, _, _ := newServer(t, &engine.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
			sid := handshakeOn(t, ts.URL, tr)
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() }) // runs before the server's cleanup: never hangs it
			fmt.Fprintf(conn, "POST /?EIO=4&transport=%s&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n", tr, sid)
			stop := make(chan struct{})
			trickled := make(chan struct{})
			go func() { // one byte every 10 ms until the server hangs up or the test ends
				defer close(trickled)
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					if _, err := io.WriteString(conn, "1\r\n4\r\n"); err != nil {
						return
					}
					select {
					case <-tick.C:
					case <-stop:
						return
					}
				}
			}()
			defer func() { close(stop); <-trickled }()
			start := time.Now()
			conn.SetReadDeadline(start.Add(5 * time.Second))
			// Dropped without an answer, as Node destroys the request.
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil {
				res.Body.Close()
				t.Fatalf("never-ending body: got %d; want the connection dropped", res.StatusCode)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("never-ending body: %v; want the connection dropped within 5s", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("never-ending body dropped after %v; want about 200ms", d)
			}
			waitFor(t, "the POST's goroutine to exit", func() bool { return goroutines("transport.servePost") == 0 })
		})
	}
}

// handshakeOn opens a session on transport tr ("polling" or "sse") and returns its id.
func handshakeOn(t *testing.T, base, tr string) string {
	t.Helper()
	if tr == "polling" {
		return handshake(t, base).SID
	}
	res, err := http.Get(base + "/?EIO=4&transport=sse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: 0{") {
		t.Fatalf("SSE handshake: got %q, %v", line, err)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(strings.TrimSpace(line[len("data: 0"):])), &o); err != nil {
		t.Fatal(err)
	}
	return o.SID
}

// Shutdown returns by its context's deadline while a request is stuck reading a body that
// never comes, and Close then cuts that request short and returns. (Before, Shutdown waited for
// the stuck request as long as the client held it.) Not parallel: it counts the server's POST
// goroutines.
func TestShutdownStuckRequest(t *testing.T) {
	ts, _, srv := newServer(t, nil)
	sid := handshake(t, ts.URL).SID
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A POST that announces 100 bytes and sends 1.
	fmt.Fprintf(conn, "POST /?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 100\r\n\r\n4", sid)
	waitFor(t, "the POST to be reading its body", func() bool { return goroutines("transport.servePost", "io.ReadAll") == 1 })

	bounded := func(what string, limit time.Duration, f func()) {
		t.Helper()
		done := make(chan struct{})
		start := time.Now()
		go func() { f(); close(done) }()
		select {
		case <-done:
		case <-time.After(limit):
			conn.Close() // let the stuck request, and f, go
			<-done
			t.Fatalf("%s took more than %v (%v)", what, limit, time.Since(start))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var serr error
	bounded("Shutdown with a 200ms context", 2*time.Second, func() { serr = srv.Shutdown(ctx) })
	if serr != context.DeadlineExceeded {
		t.Fatalf("Shutdown: got %v; want %v", serr, context.DeadlineExceeded)
	}
	bounded("Close after Shutdown", 2*time.Second, func() { srv.Close() })
	if n := goroutines("transport.servePost"); n != 0 {
		t.Fatalf("POST goroutines after Close: %d; want 0", n)
	}
}
