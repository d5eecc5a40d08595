package hub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hubkit/hub"
)

// This file holds the hostile-input tests of what one packet may cost (issue 10, items 3, 8
// and 9): invalid UTF-8, argument floods, deep nesting and binary attachments.

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
