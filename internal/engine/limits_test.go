package engine_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

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
