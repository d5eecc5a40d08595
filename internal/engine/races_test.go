package engine_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine"
)

// raceRuns is how many times each race below is run; each run must come out right.
const raceRuns = 200

// newQuietServer is newServer without the reasons channel, for tests that close hundreds of
// sessions.
func newQuietServer(t *testing.T, opts *engine.Options) *httptest.Server {
	t.Helper()
	srv := engine.NewServer(&echo{}, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts
}

// A poll and a close POST sent at the same moment (protocol.md §4 item 21): whichever the
// server decides first, the poll is answered with a noop — as if it had come first, as it
// always does in Node — the close with "ok", and the next poll gets 400. (Before, the poll got
// 400 whenever the close was decided first.)
func TestRacePollAndClose(t *testing.T) {
	t.Parallel()
	ts := newQuietServer(t, nil)
	bad := 0
	for i := range raceRuns {
		u := ts.URL + "/?EIO=4&transport=polling&sid=" + handshake(t, ts.URL).SID
		start := make(chan struct{})
		type answer struct {
			code int
			body string
		}
		polled, closed := make(chan answer, 1), make(chan answer, 1)
		go func() { <-start; c, b := get(t, u); polled <- answer{c, b} }()
		go func() { <-start; c, b := post(t, u, "1"); closed <- answer{c, b} }()
		close(start)
		p, c := <-polled, <-closed
		if c.code != 200 || c.body != "ok" {
			t.Fatalf("run %d: close POST: got %d %q; want 200 ok", i, c.code, c.body)
		}
		if p.code != 200 || p.body != "6" {
			bad++
			t.Errorf("run %d: poll racing the close: got %d %q; want 200 \"6\"", i, p.code, p.body)
			continue
		}
		if code, body := get(t, u); code != 400 || !strings.Contains(body, `"code":1`) {
			t.Fatalf("run %d: poll after the close: got %d %q; want 400 Session ID unknown", i, code, body)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d runs wrong", bad, raceRuns)
	}
}

// A poll sent right after the upgrade packet 5 went over the WebSocket (protocol.md §4 item
// 22) gets 400, a transport mismatch, on every run: the server lets the upgrade settle before
// deciding. (Before, it sometimes got 200 and a noop.)
func TestRacePollAfterUpgrade(t *testing.T) {
	t.Parallel()
	ts := newQuietServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bad := 0
	for i := range raceRuns {
		sid := handshake(t, ts.URL).SID
		u := ts.URL + "/?EIO=4&transport=polling&sid=" + sid
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket&sid="+sid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.Write(ctx, websocket.MessageText, []byte("2probe")); err != nil {
			t.Fatal(err)
		}
		if _, b, err := ws.Read(ctx); err != nil || string(b) != "3probe" {
			t.Fatalf("run %d: probe answer: got %q, %v", i, b, err)
		}
		if err := ws.Write(ctx, websocket.MessageText, []byte("5")); err != nil {
			t.Fatal(err)
		}
		code, body := get(t, u)
		ws.CloseNow()
		if code != 400 || body != `{"code":3,"message":"Bad request"}` {
			bad++
			t.Errorf("run %d: poll right after 5: got %d %q; want 400 Bad request", i, code, body)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d runs wrong", bad, raceRuns)
	}
}
