package engine_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/engine"
)

// A WebSocket from a page of another host is refused with 403 unless CORS allows its origin;
// the same host, and clients that send no Origin, pass. Polling is left to the browser's CORS.
func TestWebSocketOrigin(t *testing.T) {
	t.Parallel()
	allowOne := &engine.CORS{Origins: []string{"https://app.example"}}
	cases := []struct {
		name      string
		cors      *engine.CORS
		origin    string // "self" is the test server's own origin
		transport string
		want      int
	}{
		{"no Origin", nil, "", "websocket", 101},
		{"same host", nil, "self", "websocket", 101},
		{"same host, https page behind a proxy", nil, "https://HOST", "websocket", 101},
		{"other host", nil, "https://evil.example", "websocket", 403},
		{"other port", nil, "http://127.0.0.1:1", "websocket", 403},
		{"opaque origin", nil, "null", "websocket", 403},
		{"other host, polling", nil, "https://evil.example", "polling", 200},
		{"allowed by CORS origins", allowOne, "https://app.example", "websocket", 101},
		{"not in CORS origins", allowOne, "https://evil.example", "websocket", 403},
		{"CORS any", &engine.CORS{Origins: []string{"*"}}, "https://evil.example", "websocket", 101},
		{"CORS func yes", &engine.CORS{AllowOrigin: func(o string) bool { return strings.HasSuffix(o, ".example") }}, "https://a.example", "websocket", 101},
		{"CORS func no", &engine.CORS{AllowOrigin: func(o string) bool { return strings.HasSuffix(o, ".example") }}, "https://a.test", "websocket", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts, _, _ := newServer(t, &engine.Options{CORS: c.cors})
			origin := c.origin
			host := strings.TrimPrefix(ts.URL, "http://")
			switch {
			case origin == "self":
				origin = ts.URL
			case strings.Contains(origin, "HOST"):
				origin = strings.Replace(origin, "HOST", strings.Split(host, ":")[0], 1)
			}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/?EIO=4&transport="+c.transport, nil)
			if c.origin == "https://HOST" {
				req.Host = strings.Split(host, ":")[0] // a proxy that ended TLS forwards the page's host
			}
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			if c.transport == "websocket" {
				webSocketHeaders(req.Header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("Origin %q: got %d; want %d", origin, res.StatusCode, c.want)
			}
			if c.want == 403 {
				b, _ := io.ReadAll(res.Body)
				if want := "Cross-origin WebSocket refused: list the origin in the server's CORS option"; string(b) != want {
					t.Fatalf("403 body: got %q; want %q", b, want)
				}
			}
		})
	}
}

// The check also covers a WebSocket that upgrades an existing session.
func TestWebSocketOriginUpgrade(t *testing.T) {
	t.Parallel()
	ts, _, _ := newServer(t, nil)
	sid := handshake(t, ts.URL).SID
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/?EIO=4&transport=websocket&sid="+sid, nil)
	req.Header.Set("Origin", "https://evil.example")
	webSocketHeaders(req.Header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("cross-origin upgrade: got %d; want 403", res.StatusCode)
	}
}
