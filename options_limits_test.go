package hub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hubkit/hub"
)

// Options.MaxHeaderBytes and Options.CORS reach the engine: headers past the limit get 431,
// and a WebSocket from another origin gets 403 unless CORS lists that origin.
func TestOptionsReachEngine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   *hub.Options
		header int
		origin string
		ws     bool
		want   int
	}{
		{"default header limit", nil, 17 << 10, "", false, 431},
		{"raised header limit", &hub.Options{MaxHeaderBytes: 64 << 10}, 17 << 10, "", false, 200},
		{"lowered header limit", &hub.Options{MaxHeaderBytes: 2 << 10}, 3 << 10, "", false, 431},
		{"cross-origin WebSocket", nil, 0, "https://evil.example", true, 403},
		{"cross-origin WebSocket allowed", &hub.Options{CORS: &hub.CORS{Origins: []string{"https://app.example"}}}, 0, "https://app.example", true, 101},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, base := newServer(t, c.opts)
			req, _ := http.NewRequest(http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil)
			if c.ws {
				req.URL.RawQuery = "EIO=4&transport=websocket"
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			}
			if c.header > 0 {
				req.Header.Set("X-Big", strings.Repeat("a", c.header))
			}
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("got %d; want %d", res.StatusCode, c.want)
			}
		})
	}
}
