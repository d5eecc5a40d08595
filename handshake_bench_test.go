package hub_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/hubkit/hub"
)

// BenchmarkHandshake is one client's whole connection: Engine.IO handshake, namespace
// CONNECT and its answer, then the client's close.
//
//   - polling: the server alone, through ServeHTTP with recorded responses (no network):
//     GET (open), POST 40, GET (40{sid}), POST 1;
//   - websocket: over loopback with a coder/websocket client (its cost included): dial, read
//     the open packet, write 40, read 40{sid}, close.
func BenchmarkHandshake(b *testing.B) {
	b.Run("polling", func(b *testing.B) {
		srv, _ := newServer(b, nil)
		call := func(method, url, body string) string {
			var r *http.Request
			if body == "" {
				r = httptest.NewRequest(method, url, nil)
			} else {
				r = httptest.NewRequest(method, url, strings.NewReader(body))
				r.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("%s %s: status %d %q", method, url, w.Code, w.Body)
			}
			return w.Body.String()
		}
		const base = "/socket.io/?EIO=4&transport=polling"
		b.ReportAllocs()
		for b.Loop() {
			open := call(http.MethodGet, base, "")
			i := strings.Index(open, `"sid":"`)
			if i < 0 {
				b.Fatalf("open packet %q", open)
			}
			sid := open[i+7 : i+7+strings.IndexByte(open[i+7:], '"')]
			u := base + "&sid=" + sid
			call(http.MethodPost, u, "40")
			if got := call(http.MethodGet, u, ""); !strings.HasPrefix(got, "40{") {
				b.Fatalf("namespace CONNECT: got %q", got)
			}
			call(http.MethodPost, u, "1")
		}
	})
	b.Run("websocket", func(b *testing.B) {
		_, base := newServer(b, &hub.Options{})
		u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
		ctx := context.Background()
		hc := &http.Client{Transport: &http.Transport{}}
		b.Cleanup(hc.CloseIdleConnections)
		b.ReportAllocs()
		for b.Loop() {
			c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc})
			success(b, err)
			if _, p, err := c.Read(ctx); err != nil || p[0] != '0' {
				b.Fatalf("open packet %q, %v", p, err)
			}
			success(b, c.Write(ctx, websocket.MessageText, []byte("40")))
			if _, p, err := c.Read(ctx); err != nil || !strings.HasPrefix(string(p), "40{") {
				b.Fatalf("namespace CONNECT %q, %v", p, err)
			}
			c.CloseNow()
		}
	})
}
