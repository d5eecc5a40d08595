package engine_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// sseStream is a real HTTP client reading an SSE stream event by event.
type sseStream struct {
	res    *http.Response
	events chan string
}

func openSSE(t *testing.T, url string) *sseStream {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	st := &sseStream{res: res, events: make(chan string, 16)}
	if res.StatusCode != 200 {
		res.Body.Close()
		close(st.events)
		return st
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	go func() {
		defer close(st.events)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				st.events <- data
			}
		}
	}()
	t.Cleanup(func() { res.Body.Close() })
	return st
}

func (st *sseStream) next(t *testing.T) (string, bool) {
	t.Helper()
	select {
	case ev, ok := <-st.events:
		return ev, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no SSE event within 5s")
		return "", false
	}
}

func TestSSE(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	st := openSSE(t, ts.URL+"/?EIO=4&transport=sse")
	open, _ := st.next(t)
	var o openPacket
	if open[0] != '0' || json.Unmarshal([]byte(open[1:]), &o) != nil {
		t.Fatalf("first event %q; want the open packet", open)
	}
	if len(o.Upgrades) != 1 || o.Upgrades[0] != "websocket" {
		t.Fatalf("upgrades %v; want [websocket]", o.Upgrades)
	}
	u := ts.URL + "/?EIO=4&transport=sse&sid=" + o.SID
	if code, body := post(t, u, "4hello\x1ebAQIDBA=="); code != 200 || body != "ok" {
		t.Fatalf("post: %d %s", code, body)
	}
	for _, want := range []string{"4hello", "bAQIDBA=="} {
		if got, _ := st.next(t); got != want {
			t.Fatalf("event %q; want %q", got, want)
		}
	}
	// Only one stream per session: a second one is refused and the session closes.
	second := openSSE(t, u)
	if second.res.StatusCode != 400 {
		t.Fatalf("second stream: %d; want 400", second.res.StatusCode)
	}
	if got, _ := st.next(t); got != "1" {
		t.Fatalf("first stream got %q; want the close packet", got)
	}
	if _, more := st.next(t); more {
		t.Fatal("stream still open after close")
	}
	if r := <-e.reasons; r != engine.ReasonTransportError {
		t.Fatalf("reason %q; want transport error", r)
	}
}

func TestSSEUpgradeToWebSocket(t *testing.T) {
	ts, _, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	st := openSSE(t, ts.URL+"/?EIO=4&transport=sse")
	open, _ := st.next(t)
	var o openPacket
	json.Unmarshal([]byte(open[1:]), &o)
	c := dialWS(t, ts.URL, "&sid="+o.SID)
	probe(t, c)
	if _, more := st.next(t); more {
		t.Fatal("the SSE stream must end once the probe succeeded")
	}
	write(t, c, "5")
	write(t, c, "4after")
	if got := read(t, c); got != "4after" {
		t.Fatalf("got %q", got)
	}
}
