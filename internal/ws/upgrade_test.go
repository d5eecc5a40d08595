package ws_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/ws"
)

// The opening handshake, request by request: what the server answers, and what the
// connection carries after a 101.
func TestUpgrade(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	good := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	tests := []struct {
		name    string
		req     string // up to the blank line
		extra   string // sent behind the request, in the same write
		status  int
		headers map[string]string
	}{
		{"valid", good, "", 101, map[string]string{
			"Upgrade": "websocket", "Connection": "Upgrade",
			"Sec-WebSocket-Accept":     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", // RFC 6455's example
			"Sec-WebSocket-Extensions": "", "Sec-WebSocket-Protocol": "", "X-Set": "by the handler"}},
		{"valid, a frame behind the request", good, "\x81\x80abcd", 101, nil},
		{"valid, extensions offered and not taken", good + "Sec-WebSocket-Extensions: permessage-deflate\r\n", "", 101,
			map[string]string{"Sec-WebSocket-Extensions": ""}},
		{"POST", strings.Replace(good, "GET", "POST", 1) + "Content-Length: 0\r\n", "", 405, nil},
		{"no Connection: Upgrade", strings.Replace(good, "keep-alive, Upgrade", "keep-alive", 1), "", 400, nil},
		{"Upgrade: h2c", strings.Replace(good, "Upgrade: websocket", "Upgrade: h2c", 1), "", 400, nil},
		{"version 8", strings.Replace(good, "Version: 13", "Version: 8", 1), "", 426, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"no version", strings.Replace(good, "Sec-WebSocket-Version: 13\r\n", "", 1), "", 426, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"no key", strings.Replace(good, "Sec-WebSocket-Key: "+key+"\r\n", "", 1), "", 400, nil},
		{"a key of 15 bytes", strings.Replace(good, key, "dGhlIHNhbXBsZSBub25j", 1), "", 400, nil},
		{"a key not in base64", strings.Replace(good, key, "!!!!!!!!!!!!!!!!!!!!!!==", 1), "", 400, nil},
		{"two keys", good + "Sec-WebSocket-Key: " + key + "\r\n", "", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var gotErr error
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				w.Header().Set("X-Set", "by the handler")
				nc, pending, err := ws.Upgrade(w, r)
				gotErr = err
				if err != nil {
					return
				}
				defer nc.Close()
				nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				rest, _ := io.ReadAll(nc) // behind pending: nothing more in these tests
				got = append(pending, rest...)
			}))
			defer ts.Close()
			c, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tt.req+"\r\n"+tt.extra); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status {
				t.Fatalf("status %d; want %d", res.StatusCode, tt.status)
			}
			for k, v := range tt.headers {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q; want %q", k, got, v)
				}
			}
			<-done
			if tt.status != 101 {
				var he *ws.HandshakeError
				if !errors.As(gotErr, &he) || he.Status != tt.status {
					t.Fatalf("Upgrade returned %v; want a HandshakeError with status %d", gotErr, tt.status)
				}
				return
			}
			if gotErr != nil {
				t.Fatalf("Upgrade: %v", gotErr)
			}
			if string(got) != tt.extra {
				t.Fatalf("the connection carried %q; want %q", got, tt.extra)
			}
		})
	}
}
