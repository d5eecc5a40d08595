package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine"
)

// echo sends every message back, and records close reasons.
type echo struct {
	mu       sync.Mutex
	reasons  chan engine.Reason
	sessions []*engine.Session
}

type echoConn struct {
	s *engine.Session
	e *echo
}

func (e *echo) Open(s *engine.Session) engine.Conn {
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
	return &echoConn{s, e}
}

func (e *echo) last() *engine.Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sessions[len(e.sessions)-1]
}

// waitFor polls cond until it holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
func (c *echoConn) Message(p engine.Packet) { c.s.Send(p) }
func (c *echoConn) Closed(r engine.Reason, _ error) {
	if c.e.reasons != nil {
		c.e.reasons <- r
	}
}

func newServer(t *testing.T, opts *engine.Options) (*httptest.Server, *echo, *engine.Server) {
	t.Helper()
	e := &echo{reasons: make(chan engine.Reason, 16)}
	srv := engine.NewServer(e, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts, e, srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func handshake(t *testing.T, base string) openPacket {
	t.Helper()
	code, body := get(t, base+"/?EIO=4&transport=polling&t=x")
	if code != 200 || body[0] != '0' {
		t.Fatalf("handshake: got %d %q", code, body)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(body[1:]), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPollingEcho(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	o := handshake(t, ts.URL)
	if len(o.SID) != 20 || len(o.Upgrades) != 1 || o.Upgrades[0] != "websocket" || o.PingInterval != 25000 || o.PingTimeout != 20000 || o.MaxPayload != 1000000 {
		t.Fatalf("open packet: %+v", o)
	}
	u := ts.URL + "/?EIO=4&transport=polling&sid=" + o.SID
	if code, body := post(t, u, "4hello\x1ebAQIDBA=="); code != 200 || body != "ok" {
		t.Fatalf("post: %d %q", code, body)
	}
	if code, body := get(t, u); code != 200 || body != "4hello\x1ebAQIDBA==" {
		t.Fatalf("poll: got %d %q; want 4hello\\x1ebAQIDBA==", code, body)
	}
}

func TestHTTPErrors(t *testing.T) {
	ts, _, _ := newServer(t, &engine.Options{AllowRequest: func(r *http.Request) error {
		if r.URL.Query().Get("deny") != "" {
			return errDenied
		}
		return nil
	}})
	cases := []struct {
		method, query string
		status        int
		body          string
	}{
		{"GET", "EIO=4", 400, `{"code":0,"message":"Transport unknown"}`},
		{"GET", "EIO=4&transport=abc", 400, `{"code":0,"message":"Transport unknown"}`},
		{"GET", "EIO=4&transport=polling&sid=nope", 400, `{"code":1,"message":"Session ID unknown"}`},
		{"POST", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"PUT", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"GET", "EIO=4&transport=websocket", 400, `{"code":3,"message":"Bad request"}`},
		{"GET", "EIO=4&transport=polling&deny=1", 403, `{"code":4,"message":"denied"}`},
		{"GET", "transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"GET", "EIO=3&transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+"/?"+c.query, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || string(b) != c.body {
			t.Errorf("%s ?%s: got %d %s; want %d %s", c.method, c.query, res.StatusCode, b, c.status, c.body)
		}
	}
}

var errDenied = errorString("denied")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestUpgradeToWebSocket(t *testing.T) {
	ts, _, _ := newServer(t, nil)
	o := handshake(t, ts.URL)
	poll := ts.URL + "/?EIO=4&transport=polling&sid=" + o.SID
	// A poll parked before the upgrade must be released with a noop.
	parked := make(chan string, 1)
	go func() {
		_, body := get(t, poll)
		parked <- body
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := dialWS(t, ts.URL, "&sid="+o.SID)
	probe(t, c)
	if got := <-parked; got != "6" {
		t.Fatalf("parked poll: got %q; want 6", got)
	}
	write(t, c, "5")
	write(t, c, "4over ws")
	if got := read(t, c); got != "4over ws" {
		t.Fatalf("got %q; want 4over ws", got)
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	typ, data, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageBinary || !bytes.Equal(data, []byte{1, 2, 3}) {
		t.Fatalf("binary echo: %v %v %v", typ, data, err)
	}
	// Polling is over for this session.
	if code, body := get(t, poll); code != 400 || body != `{"code":3,"message":"Bad request"}` {
		t.Fatalf("poll after upgrade: %d %s", code, body)
	}
}

func write(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dialWS opens a WebSocket to the engine at base with query (sid=… for an upgrade), closed
// at the end of the test.
func dialWS(t *testing.T, base, query string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/?EIO=4&transport=websocket"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// probe runs the first half of an upgrade: 2probe, answered 3probe.
func probe(t *testing.T, c *websocket.Conn) {
	t.Helper()
	write(t, c, "2probe")
	if got := read(t, c); got != "3probe" {
		t.Fatalf("got %q; want 3probe", got)
	}
}

func TestWebSocketOnly(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 5 * time.Second})
	c := dialWS(t, ts.URL, "")
	open := read(t, c)
	var o openPacket
	if open[0] != '0' || json.Unmarshal([]byte(open[1:]), &o) != nil || len(o.Upgrades) != 0 || o.PingInterval != 50 {
		t.Fatalf("open: %q", open)
	}
	if got := read(t, c); got != "2" {
		t.Fatalf("got %q; want ping", got)
	}
	write(t, c, "3")
	if got := read(t, c); got != "2" {
		t.Fatalf("got %q; want a second ping after the pong", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if r := <-e.reasons; r != engine.ReasonTransportClose {
		t.Fatalf("reason %q; want transport close", r)
	}
}

func TestPingTimeout(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: 30 * time.Millisecond, PingTimeout: 30 * time.Millisecond})
	o := handshake(t, ts.URL)
	if r := <-e.reasons; r != engine.ReasonPingTimeout {
		t.Fatalf("reason %q; want ping timeout", r)
	}
	if code, _ := get(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID); code != 400 {
		t.Fatalf("poll after ping timeout: %d; want 400", code)
	}
}

func TestBadInputClosesOnlyThatSession(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{MaxPayload: 100})
	for _, c := range []struct {
		body   string
		reason engine.Reason
	}{
		{"abc", engine.ReasonParseError},
		{"", engine.ReasonParseError},
		{"2", engine.ReasonTransportError}, // a client ping: wrong heartbeat direction
		{"1", engine.ReasonTransportClose},
	} {
		good := handshake(t, ts.URL)
		bad := handshake(t, ts.URL)
		post(t, ts.URL+"/?EIO=4&transport=polling&sid="+bad.SID, c.body)
		if r := <-e.reasons; r != c.reason {
			t.Errorf("body %.10q: reason %q; want %q", c.body, r, c.reason)
		}
		if code, body := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+good.SID, "4still here"); code != 200 || body != "ok" {
			t.Errorf("other session after %.10q: %d %s", c.body, code, body)
		}
	}
}

// Node answers an oversize POST with 413 and keeps the session (engine.io 6.6).
func TestOversizePost(t *testing.T) {
	ts, _, _ := newServer(t, &engine.Options{MaxPayload: 100})
	o := handshake(t, ts.URL)
	u := ts.URL + "/?EIO=4&transport=polling&sid=" + o.SID
	if code, body := post(t, u, "4"+strings.Repeat("x", 100)); code != 413 || body != "" {
		t.Fatalf("oversize post: %d %q; want 413 and no body", code, body)
	}
	if code, body := post(t, u, "4"+strings.Repeat("x", 99)); code != 200 || body != "ok" {
		t.Fatalf("post at the limit: %d %q", code, body)
	}
	if code, body := get(t, u); code != 200 || body != "4"+strings.Repeat("x", 99) {
		t.Fatalf("echo after 413: %d %q", code, body)
	}
}

// A server close sends what was queued before it on its own: a client must read "41" before
// it sees the transport close.
func TestCloseSendsQueuedPacketsFirst(t *testing.T) {
	ts, e, _ := newServer(t, nil)
	o := handshake(t, ts.URL)
	u := ts.URL + "/?EIO=4&transport=polling&sid=" + o.SID
	s := e.last()
	s.Send(engine.Packet{Type: engine.Message, Data: []byte("1")})
	s.Close(engine.ReasonForcedClose)
	if code, body := get(t, u); code != 200 || body != "41" {
		t.Fatalf("poll: %d %q; want 41 alone", code, body)
	}
	if r := <-e.reasons; r != engine.ReasonForcedClose {
		t.Fatalf("reason %q", r)
	}
	// As in Node, the close packet waits for the next poll; after it the session is gone.
	if code, body := get(t, u); code != 200 || body != "1" {
		t.Fatalf("next poll: %d %q; want the close packet", code, body)
	}
	if code, _ := get(t, u); code != 400 {
		t.Fatalf("poll after close: %d; want 400", code)
	}
}

// A server close while the client is moving to WebSocket: the upgrade completes and the
// queued packets go out on the WebSocket before the close frame (Node's behaviour).
func TestCloseDuringUpgrade(t *testing.T) {
	ts, e, _ := newServer(t, nil)
	o := handshake(t, ts.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := dialWS(t, ts.URL, "&sid="+o.SID)
	probe(t, c)
	s := e.last()
	s.Send(engine.Packet{Type: engine.Message, Data: []byte("last words")})
	s.Close(engine.ReasonShutdown)
	write(t, c, "5")
	if got := read(t, c); got != "4last words" {
		t.Fatalf("got %q; want the packet queued before the close", got)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNoStatusRcvd {
		t.Fatalf("read: %v; want the close frame (without a status, as Node's)", err)
	}
}

func TestShutdownReleasesParkedPoll(t *testing.T) {
	ts, e, srv := newServer(t, nil)
	o := handshake(t, ts.URL)
	done := make(chan string, 1)
	go func() {
		_, body := get(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID)
		done <- body
	}()
	waitFor(t, "the poll to park", e.last().Parked)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if body := <-done; body != "1" {
		t.Fatalf("parked poll got %q; want 1", body)
	}
	if r := <-e.reasons; r != engine.ReasonShutdown {
		t.Fatalf("reason %q", r)
	}
	if code, body := get(t, ts.URL+"/?EIO=4&transport=polling"); code != 503 {
		t.Fatalf("handshake after shutdown: %d %s", code, body)
	}
}

// A server close reaches a WebSocket client as a close packet and a close frame, also while
// the client keeps sending.
func TestWebSocketServerClose(t *testing.T) {
	ts, e, _ := newServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialWS(t, ts.URL, "")
	read(t, c) // open
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		for c.Write(ctx, websocket.MessageText, []byte("4x")) == nil {
		}
	}()
	e.last().Close(engine.ReasonForcedClose)
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNoStatusRcvd {
				t.Fatalf("read: %v; want a close frame without a status, as Node's", err)
			}
			break
		}
		if string(b) != "4x" && string(b) != "1" {
			t.Fatalf("unexpected frame %q", b)
		}
	}
	<-sending
}

func TestCORS(t *testing.T) {
	ts, _, _ := newServer(t, &engine.Options{CORS: &engine.CORS{Origins: []string{"https://app.example"}, Credentials: true}})
	do := func(method, origin string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+"/?EIO=4&transport=polling", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	pre := do("OPTIONS", "https://app.example", map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-token"})
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" || pre.Header.Get("Access-Control-Allow-Headers") != "x-token" ||
		pre.Header.Get("Access-Control-Allow-Methods") != "GET,HEAD,PUT,PATCH,POST,DELETE" {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	if res := do("GET", "https://app.example", nil); res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("handshake from an allowed origin: %d %v", res.StatusCode, res.Header)
	}
	if res := do("GET", "https://evil.example", nil); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a foreign origin got CORS headers: %v", res.Header)
	}
}

// A polling client that is gone does not hold Shutdown up: its session waits briefly for a
// poll to take the close packet, then finishes.
func TestShutdownWithAbsentPollingClient(t *testing.T) {
	ts, e, srv := newServer(t, nil)
	handshake(t, ts.URL) // and never poll again
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v; want it done before the 3 s deadline", err)
	}
	if r := <-e.reasons; r != engine.ReasonShutdown {
		t.Fatalf("reason %q", r)
	}
}

// TestWebSocketFrames checks the frames the WebSocket transport builds itself around every
// length-encoding boundary of RFC 6455, text and binary, with the client's pings (answered by
// coder/websocket's pongs on the same connection) going on in between.
func TestWebSocketFrames(t *testing.T) {
	ts, _, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	c := dialWS(t, ts.URL, "")
	c.SetReadLimit(1 << 20)
	if open := read(t, c); open[0] != '0' {
		t.Fatalf("open: %q", open)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		n   int
		err error
	}
	pings := make(chan result, 1)
	stop := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			if n > 0 {
				select {
				case <-stop:
					pings <- result{n, nil}
					return
				default:
				}
			}
			if err := c.Ping(ctx); err != nil {
				pings <- result{n, err}
				return
			}
		}
	}()
	// A text frame carries the packet type and the data: 1+n bytes.
	for _, n := range []int{0, 124, 125, 126, 65534, 65535, 65536, 200000} {
		data := strings.Repeat("x", n)
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			msg := data
			if typ == websocket.MessageText {
				msg = "4" + data
			}
			if err := c.Write(ctx, typ, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			gotTyp, got, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("n=%d %v: %v", n, typ, err)
			}
			if gotTyp != typ || string(got) != msg {
				t.Fatalf("n=%d: got %v of %d bytes; want %v of %d", n, gotTyp, len(got), typ, len(msg))
			}
		}
	}
	// A pong is read by a reader: keep one running until the pinger is done.
	close(stop)
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	go c.Read(readCtx)
	if r := <-pings; r.err != nil || r.n == 0 {
		t.Fatalf("after %d pings: %v", r.n, r.err)
	}
}
