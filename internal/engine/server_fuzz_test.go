package engine_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// FuzzServeHTTP sends a session an arbitrary request — method, query, Origin, Upgrade,
// Content-Type, header size, body — after a handshake: the server answers with one of its
// status codes, never panics, and Close returns.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(1), "EIO=4&transport=polling", "", false, "text/plain", 0, []byte("4hello\x1e1"), true)
	f.Add(uint8(1), "EIO=4&transport=sse", "", false, "text/plain", 0, []byte("2\x1e3\x1e4x"), true)
	f.Add(uint8(0), "EIO=4&transport=websocket", "https://evil.example", true, "", 0, []byte(nil), false)
	f.Add(uint8(0), "EIO=3&transport=polling", "\x01", false, "", 20000, []byte(nil), false)
	f.Add(uint8(1), "EIO=4&transport=polling", "", false, "application/octet-stream", 0, []byte{1, 2}, true)
	f.Add(uint8(3), "EIO=4&transport=polling", "null", false, "", 0, []byte(nil), true)
	f.Fuzz(func(t *testing.T, method uint8, query, origin string, upgrade bool, ctype string, header int, body []byte, withSID bool) {
		srv := engine.NewServer(&echo{}, &engine.Options{PingInterval: time.Second, PingTimeout: time.Second, MaxPayload: 1000})
		defer srv.Close()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?EIO=4&transport=polling", nil))
		sid := ""
		if b := w.Body.String(); len(b) > 9 && b[:9] == `0{"sid":"` {
			sid = b[9:29]
		}
		url := "/?" + query
		if withSID {
			url += "&sid=" + sid
		}
		m := [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodOptions}[method%4]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond) // a parked poll gives up
		defer cancel()
		r, err := http.NewRequestWithContext(ctx, m, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		r.RequestURI = url
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if upgrade {
			webSocketHeaders(r.Header)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if header > 0 {
			r.Header.Set("X-Big", string(make([]byte, header%(64<<10))))
		}
		w = httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		switch w.Code {
		case 200, 204, 400, 403, 413, 431, 500, 503:
		default:
			t.Fatalf("%s %q: status %d", m, url, w.Code)
		}
	})
}
