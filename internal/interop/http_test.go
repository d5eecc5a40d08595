//go:build unix

package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The HTTP and Engine.IO rows of the hostile-input table, each request sent to the Node server
// and to hub in the same run. want is Node's answer; hubWant, when set, is hub's where it is
// deliberately stricter (doc.go).
func TestHostileHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	servers := map[string]string{"node": startNode(ctx, t), "hub": startHub(t)}
	type row struct {
		name          string
		header        int    // bytes of an X-Big header, if any
		origin        string // Origin header, if any
		ws            bool   // a WebSocket handshake
		want, hubWant int
	}
	rows := []row{
		{name: "handshake, 15 KiB of headers", header: 15 << 10, want: 200},
		{name: "handshake, 17 KiB of headers", header: 17 << 10, want: 431},
		{name: "handshake, 64 KiB of headers", header: 64 << 10, want: 431},
		{name: "WebSocket, no Origin", ws: true, want: 101},
		{name: "WebSocket, Origin of another host", ws: true, origin: "https://evil.example", want: 101, hubWant: 403},
		{name: "polling, Origin of another host", origin: "https://evil.example", want: 200},
	}
	for name, base := range servers {
		for _, r := range rows {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil)
			if r.ws {
				req.URL.RawQuery = "EIO=4&transport=websocket"
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			}
			if r.header > 0 {
				req.Header.Set("X-Big", strings.Repeat("a", r.header))
			}
			if r.origin != "" {
				req.Header.Set("Origin", r.origin)
			}
			want := r.want
			if name == "hub" && r.hubWant != 0 {
				want = r.hubWant
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %s: %v", name, r.name, err)
				continue
			}
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("%s: %s: got %d; want %d", name, r.name, res.StatusCode, want)
			}
		}
	}
}

// protocol.md §4 items 21 and 22, against both servers, many times. A poll sent with a close
// POST: hub answers it with a noop whichever it decides first; Node does when the poll comes
// first (as in the official suite), and answers 400 when the close does. A poll sent right
// after the upgrade packet 5 gets 400 from both.
func TestRacesBothServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const runs = 50
	for name, base := range map[string]string{"node": startNode(ctx, t), "hub": startHub(t)} {
		eio := base + "/socket.io/?EIO=4&transport=polling"
		sid := func() string {
			t.Helper()
			_, body := do(ctx, t, http.MethodGet, eio, "")
			var o struct{ SID string }
			if len(body) < 2 || json.Unmarshal([]byte(body[1:]), &o) != nil {
				t.Fatalf("%s: handshake: %q", name, body)
			}
			return o.SID
		}
		late := 0 // polls answered 400: the close came first
		for i := range runs {
			u := eio + "&sid=" + sid()
			type answer struct {
				code int
				body string
			}
			polled := make(chan answer, 1)
			go func() { c, b := do(ctx, t, http.MethodGet, u, ""); polled <- answer{c, b} }()
			if c, b := do(ctx, t, http.MethodPost, u, "1"); c != 200 || b != "ok" {
				t.Fatalf("%s run %d: close POST: %d %q", name, i, c, b)
			}
			p := <-polled
			if name == "node" && p.code == 400 {
				late++
				continue
			}
			if p.code != 200 || p.body != "6" {
				t.Errorf("%s run %d: poll racing the close: got %d %q; want 200 \"6\"", name, i, p.code, p.body)
			}
		}
		if late > 0 {
			t.Logf("%s: %d of %d polls racing a close got 400", name, late, runs)
		}
		for i := range runs {
			s := sid()
			ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/socket.io/?EIO=4&transport=websocket&sid="+s, nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.Write(ctx, websocket.MessageText, []byte("2probe"))
			if _, b, err := ws.Read(ctx); err != nil || string(b) != "3probe" {
				t.Fatalf("%s run %d: probe: %q %v", name, i, b, err)
			}
			ws.Write(ctx, websocket.MessageText, []byte("5"))
			code, body := do(ctx, t, http.MethodGet, eio+"&sid="+s, "")
			ws.CloseNow()
			if code != 400 {
				t.Errorf("%s run %d: poll right after 5: got %d %q; want 400", name, i, code, body)
			}
		}
	}
}

func do(ctx context.Context, t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// A polling POST whose chunked body trickles in and never ends (a slowloris): both servers
// drop it once the heartbeat gives up on the session (pingInterval + pingTimeout, 2 s in this
// app) — Node destroys the session's data request when it closes, hub's read deadline is the
// same bound.
func TestSlowlorisBothServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for name, base := range map[string]string{"node": startNode(ctx, t), "hub": startHub(t)} {
		_, body := do(ctx, t, http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", "")
		var o struct{ SID string }
		if len(body) < 2 || json.Unmarshal([]byte(body[1:]), &o) != nil {
			t.Fatalf("%s: handshake: %q", name, body)
		}
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n", o.SID)
		stop, trickled := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(trickled)
			tick := time.NewTicker(50 * time.Millisecond)
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
		start := time.Now()
		conn.SetReadDeadline(start.Add(15 * time.Second))
		_, err = io.Copy(io.Discard, conn) // until the server hangs up
		d := time.Since(start)
		close(stop)
		conn.Close()
		<-trickled
		if err != nil {
			t.Errorf("%s: never-ending POST still held after %v: %v", name, d, err)
			continue
		}
		t.Logf("%s: never-ending POST dropped after %v", name, d.Round(100*time.Millisecond))
		if d > 5*time.Second {
			t.Errorf("%s: never-ending POST dropped after %v; want about 2s", name, d)
		}
	}
}
