package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hubkit/hub"
)

// This file holds the hostile-input tests of what one packet may cost: invalid UTF-8,
// argument floods, deep nesting and binary attachments.

// pollClient is a raw Engine.IO polling client: it POSTs bodies and GETs what is queued.
type pollClient struct {
	t    testing.TB
	base string
	sid  string
}

// pollOpen opens a polling session and joins the main namespace.
func pollOpen(t testing.TB, base string) *pollClient {
	t.Helper()
	c := &pollClient{t: t, base: base}
	open := c.get()
	var hs struct{ Sid string }
	if !strings.HasPrefix(open, "0{") || json.Unmarshal([]byte(open[1:]), &hs) != nil {
		t.Fatalf("handshake: got %q", open)
	}
	c.sid = hs.Sid
	equal(t, "connect", c.post("40"), http.StatusOK)
	if reply := c.get(); !strings.HasPrefix(reply, "40{") {
		t.Fatalf("CONNECT reply: got %q", reply)
	}
	return c
}

func (c *pollClient) url() string {
	u := c.base + "/socket.io/?EIO=4&transport=polling"
	if c.sid != "" {
		u += "&sid=" + c.sid
	}
	return u
}

// get returns the body of one poll.
func (c *pollClient) get() string {
	c.t.Helper()
	res, err := http.Get(c.url())
	success(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	success(c.t, err)
	return string(b)
}

// post sends body and returns the status code.
func (c *pollClient) post(body string) int {
	c.t.Helper()
	res, err := http.Post(c.url(), "text/plain;charset=UTF-8", strings.NewReader(body))
	success(c.t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// Invalid UTF-8 in a polling body is replaced as Node replaces it (one U+FFFD per maximal
// subpart), so the relayed event reaches the other clients — WebSocket ones included — as
// valid UTF-8, byte for byte what the Node server sends (checked with socket.io 4.8.1).
func TestInvalidUTF8OverPollingIsReplacedAsNodeDoes(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(args hub.Args) { s.Broadcast().Emit("chat message", args.Values()...) })
		s.On("chat string", func(msg string) { s.Broadcast().Emit("chat string", msg) })
	})
	ws := dial(t, url, "")
	ws.connect("/", "")
	a, b := pollOpen(t, url), pollOpen(t, url)
	for _, tt := range []struct{ sent, want string }{
		{"42[\"chat message\",\"a\xff\xfe\"]", "42[\"chat message\",\"a\uFFFD\uFFFD\"]"},
		{"42[\"chat message\",{\"t\":\"\xed\xa0\x80\xe2\x82x\"}]", "42[\"chat message\",{\"t\":\"\uFFFD\uFFFD\uFFFD\uFFFDx\"}]"},
		{"42[\"chat string\",\"\xf0\x9f\x98 \xc0\xaf\"]", "42[\"chat string\",\"\uFFFD \uFFFD\uFFFD\"]"},
	} {
		equal(t, "POST", a.post(tt.sent), http.StatusOK)
		equal(t, "polling client got", b.get(), tt.want)
		equal(t, "websocket client got", ws.nextText(), tt.want)
	}
}

// lockedBuffer is an io.Writer for a slog handler written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// heapPeak samples the heap until stop is called, which returns the largest HeapAlloc seen.
func heapPeak() (stop func() uint64) {
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

// 20 clients each sending 3 events of 400,000 small arguments (800 KB each, under
// maxPayload) once took the server from 10 MB to 1.29 GB and disconnected well-behaved
// clients. Now each such event is refused as soon as its arguments pass
// parser.MaxArgs, its sender is disconnected as with a packet that does not decode, with a
// Warn naming the limit, and the others are served.
func TestArgumentFloodIsBounded(t *testing.T) {
	var logs lockedBuffer
	srv, url := newServer(t, &hub.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
	})
	good := make([]*wsClient, 5)
	for i := range good {
		good[i] = dial(t, url, "")
		good[i].connect("/", "")
	}
	flood := []byte(`42["echo"` + strings.Repeat(",1", 400000) + `]`)
	const clients, events = 20, 3
	const bound = 128 << 20

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := heapPeak()
	var wg sync.WaitGroup
	for range clients {
		c := dial(t, url, "")
		c.connect("/", "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			for range events {
				if c.conn.Write(ctx, websocket.MessageText, flood) != nil {
					break // closed by the server: expected after the first
				}
			}
			select {
			case <-c.done:
			case <-ctx.Done():
				t.Errorf("a flooding client is still connected after %v", waitFor)
			}
		}()
	}
	wg.Wait()
	peak := stop()
	growth := int64(peak) - int64(before.HeapAlloc)
	t.Logf("heap: %d MB before, peak %d MB during the flood", before.HeapAlloc>>20, peak>>20)
	if growth > bound {
		t.Errorf("the heap grew by %d MB during the flood; want at most %d MB", growth>>20, bound>>20)
	}
	for i, c := range good {
		c.send(`42["echo","still here",` + strconv.Itoa(i) + `]`)
		c.expect(`42["echo","still here",` + strconv.Itoa(i) + `]`)
	}
	if n := strings.Count(logs.String(), "limit=arguments max=10000"); n != clients {
		t.Errorf("got %d Warn logs naming the limit; want %d:\n%s", n, clients, logs.String())
	}
}

// Node's limit is per Engine.IO message (maxHttpBufferSize), so a packet with 5 attachments
// of 990 KB each is accepted with the default 1 MB, and so are several of them while the
// application is busy with the first; hub once closed the session, its handler queue being
// bounded at twice maxHttpBufferSize.
func TestBinaryPacketsOfManyLargeAttachments(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	got := make(chan []int, 3)
	srv.OnConnection(func(s *hub.Socket) {
		first := true
		s.On("upload", func(parts ...[]byte) {
			if first {
				// Busy until the client has sent everything: the acknowledgement comes after
				// the other uploads, on the same connection.
				first = false
				if _, err := s.EmitWithAck(context.Background(), "sync"); err != nil {
					t.Errorf("sync: %v", err)
				}
			}
			sizes := make([]int, len(parts))
			for i, p := range parts {
				sizes[i] = len(p)
			}
			got <- sizes
		})
	})
	c := dial(t, url, "")
	c.connect("/", "")
	att := bytes.Repeat([]byte{7}, 990_000)
	header := `455-["upload"` + strings.Repeat(`,{"_placeholder":true,"num":N}`, 5) + `]`
	for i := range 5 {
		header = strings.Replace(header, "N", strconv.Itoa(i), 1)
	}
	for range 3 {
		c.send(header)
		for range 5 {
			c.sendBinary(att)
		}
	}
	c.expect(`420["sync"]`)
	c.send(`430[]`)
	want := []int{990_000, 990_000, 990_000, 990_000, 990_000}
	for i := range 3 {
		equal(t, "upload "+strconv.Itoa(i), recv(t, got), want)
	}
}
