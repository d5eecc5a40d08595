package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine"
)

type userKey struct{}

// withUser is an application's middleware: it puts the user of the request in its context.
func withUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, r.URL.Query().Get("user"))))
	})
}

// The handshake request's context values are the session's, from its Context and from its
// Request's, after the handshake request has ended, without its cancellation; over polling
// and over a WebSocket-only connection (the handshake request is the upgrade).
func TestSessionRequestValues(t *testing.T) {
	e := &echo{}
	srv := engine.NewServer(e, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewServer(withUser(srv))
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	check := func(name string, s *engine.Session, want string) {
		t.Helper()
		if got := s.Context().Value(userKey{}); got != want {
			t.Errorf("%s: Context().Value = %v; want %q", name, got, want)
		}
		if got := s.Request().Context().Value(userKey{}); got != want {
			t.Errorf("%s: Request().Context().Value = %v; want %q", name, got, want)
		}
		if err := s.Context().Err(); err != nil {
			t.Errorf("%s: the session's context ended with its handshake request: %v", name, err)
		}
		if got := s.Context().Value("absent"); got != nil {
			t.Errorf("%s: Value of an absent key = %v", name, got)
		}
	}

	code, body := get(t, ts.URL+"/?EIO=4&transport=polling&user=alice")
	if code != 200 || !strings.HasPrefix(body, "0") {
		t.Fatalf("handshake: %d %q", code, body)
	}
	// The handshake request is over: its context is cancelled, the session's is not.
	check("polling", e.last(), "alice")
	// A later request's values do not replace the handshake's.
	var o openPacket
	json.Unmarshal([]byte(body[1:]), &o)
	if code, _ := post(t, ts.URL+"/?EIO=4&transport=polling&user=mallory&sid="+o.SID, "4x"); code != 200 {
		t.Fatalf("post: %d", code)
	}
	check("polling, after a post", e.last(), "alice")

	c := dialWS(t, ts.URL, "&user=bob")
	read(t, c) // the open packet
	check("websocket", e.last(), "bob")
}

// A session of a server behind no middleware has no values; its Context is still the
// session's.
func TestSessionContextNoValues(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	handshake(t, ts.URL)
	s := e.last()
	if v := s.Context().Value(userKey{}); v != nil {
		t.Fatalf("Value = %v; want nil", v)
	}
	if context.Cause(s.Context()) != nil {
		t.Fatalf("Cause of a live session: %v", context.Cause(s.Context()))
	}
}

// The cookie is set on the polling handshake's response only — not on later requests, nor
// on a WebSocket-only client's 101, as in Node — with Node's defaults filled in and the
// template's attributes kept.
func TestCookie(t *testing.T) {
	cases := []struct {
		name   string
		cookie *http.Cookie
		want   string // with SID for the session id; "" for no cookie
	}{
		{"none", nil, ""},
		{"defaults", &http.Cookie{}, "io=SID; Path=/; HttpOnly; SameSite=Lax"},
		{"all attributes", &http.Cookie{Name: "sticky", Value: "ignored", Path: "/app", Domain: "example.com", MaxAge: 3600, Secure: true, SameSite: http.SameSiteStrictMode, Partitioned: true},
			"sticky=SID; Path=/app; Domain=example.com; Max-Age=3600; HttpOnly; Secure; SameSite=Strict; Partitioned"},
		{"HttpOnly false is set", &http.Cookie{HttpOnly: false, SameSite: http.SameSiteNoneMode, Secure: true}, "io=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"no SameSite", &http.Cookie{SameSite: http.SameSiteDefaultMode}, "io=SID; Path=/; HttpOnly"},
		{"invalid name: none", &http.Cookie{Name: "a b"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, _, _ := newServer(t, &engine.Options{Cookie: c.cookie, PingInterval: time.Hour})
			res, err := http.Get(ts.URL + "/?EIO=4&transport=polling")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var o openPacket
			json.Unmarshal(b[1:], &o)
			want := strings.ReplaceAll(c.want, "SID", o.SID)
			if got := strings.Join(res.Header.Values("Set-Cookie"), "\n"); got != want {
				t.Fatalf("handshake Set-Cookie: %q; want %q", got, want)
			}
			res, err = http.Post(ts.URL+"/?EIO=4&transport=polling&sid="+o.SID, "text/plain", strings.NewReader("4x"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
				t.Fatalf("a later request sets %q", got)
			}
			if c.cookie == nil {
				return
			}
			// A WebSocket-only client does not get it on the 101, as in Node.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
				t.Fatalf("101 Set-Cookie: %q; want none", got)
			}
		})
	}
}

// connErrors records what OnConnectionError is told.
type connErrors struct {
	mu   sync.Mutex
	errs []engine.ConnectionError
}

func (c *connErrors) hook(e *engine.ConnectionError) {
	if e.Request == nil {
		panic("no request")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.Request = nil // only valid during the call
	c.errs = append(c.errs, *e)
}

func (c *connErrors) take() []engine.ConnectionError {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := c.errs
	c.errs = nil
	return errs
}

// OnConnectionError is told of every refused request, with Node's code, message and
// context; the refusal is still written when the hook panics.
func TestConnectionError(t *testing.T) {
	var got connErrors
	logs := &syncBuffer{}
	srv := engine.NewServer(&echo{}, &engine.Options{
		PingInterval:      time.Hour,
		Logger:            slog.New(slog.NewTextHandler(logs, nil)),
		OnConnectionError: got.hook,
		AllowRequest: func(r *http.Request) error {
			if r.URL.Query().Get("deny") != "" {
				return errDenied
			}
			return nil
		},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	o := handshake(t, ts.URL)
	if errs := got.take(); len(errs) != 0 {
		t.Fatalf("a handshake reported %v", errs)
	}
	cases := []struct {
		method, query string
		ws            bool
		want          engine.ConnectionError
	}{
		{"GET", "EIO=4&transport=abc", false, engine.ConnectionError{Code: 0, Message: "Transport unknown", Context: map[string]any{"transport": "abc"}}},
		{"GET", "EIO=4&transport=polling&sid=nope", false, engine.ConnectionError{Code: 1, Message: "Session ID unknown", Context: map[string]any{"sid": "nope"}}},
		{"POST", "EIO=4&transport=polling", false, engine.ConnectionError{Code: 2, Message: "Bad handshake method", Context: map[string]any{"method": "POST"}}},
		{"GET", "EIO=4&transport=websocket", false, engine.ConnectionError{Code: 3, Message: "Bad request", Context: map[string]any{"name": "TRANSPORT_HANDSHAKE_ERROR"}}},
		{"GET", "EIO=4&transport=sse&sid=" + o.SID, false, engine.ConnectionError{Code: 3, Message: "Bad request", Context: map[string]any{"name": "TRANSPORT_MISMATCH", "transport": "sse", "previousTransport": "polling"}}},
		{"GET", "EIO=4&transport=polling&deny=1", false, engine.ConnectionError{Code: 4, Message: "Forbidden", Context: map[string]any{"message": "denied"}}},
		{"GET", "EIO=3&transport=polling", false, engine.ConnectionError{Code: 5, Message: "Unsupported protocol version", Context: map[string]any{"protocol": 3}}},
		{"GET", "EIO=4&transport=websocket&deny=1", true, engine.ConnectionError{Code: 4, Message: "Forbidden", Context: map[string]any{"message": "denied"}}},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+"/?"+c.query, nil)
		if c.ws {
			webSocketHeaders(req.Header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("%s ?%s: status %d", c.method, c.query, res.StatusCode)
		}
		errs := got.take()
		if len(errs) != 1 || !reflect.DeepEqual(errs[0], c.want) {
			t.Errorf("%s ?%s: reported %+v; want %+v", c.method, c.query, errs, c.want)
		}
	}

	// A hook that panics: logged, and the refusal still written.
	srv2 := engine.NewServer(&echo{}, &engine.Options{
		Logger:            slog.New(slog.NewTextHandler(logs, nil)),
		OnConnectionError: func(*engine.ConnectionError) { panic("hook bug") },
	})
	ts2 := httptest.NewServer(srv2)
	t.Cleanup(func() {
		srv2.Close()
		ts2.Close()
	})
	if code, body := get(t, ts2.URL+"/?EIO=4&transport=polling&sid=nope"); code != 400 || body != `{"code":1,"message":"Session ID unknown"}` {
		t.Fatalf("after a panicking hook: %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "hook bug") {
		t.Fatalf("the panic is not logged: %s", logs.String())
	}
}

// Headers adds headers to every transport response — the handshake (initial), polls,
// uploads, the WebSocket's 101 — and not to refusals. Values with CR/LF are written with
// spaces instead, and a header with an invalid name is dropped: no header is injected.
func TestHeadersHook(t *testing.T) {
	hook := func(h http.Header, r *http.Request, initial bool) {
		h.Set("X-Every", r.Method)
		if initial {
			h.Set("X-Initial", "yes")
		}
		h.Set("X-Crlf", "a\r\nX-Injected: 1")
		h["Bad Name\r\nX-Injected2"] = []string{"1"}
	}
	ts, _, _ := newServer(t, &engine.Options{Headers: hook, Cookie: &http.Cookie{}, PingInterval: time.Hour})
	check := func(name string, res *http.Response, initial bool) {
		t.Helper()
		h := res.Header
		if h.Get("X-Every") == "" {
			t.Errorf("%s: no X-Every", name)
		}
		if got := h.Get("X-Initial") == "yes"; got != initial {
			t.Errorf("%s: X-Initial set %v; want %v", name, got, initial)
		}
		if got, want := h.Get("X-Crlf"), "a  X-Injected: 1"; got != want {
			t.Errorf("%s: X-Crlf %q; want %q", name, got, want)
		}
		if h.Get("X-Injected") != "" || h.Get("X-Injected2") != "" {
			t.Errorf("%s: a header was injected: %v", name, h)
		}
	}
	do := func(method, query, body string, ws bool) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+"/?"+query, strings.NewReader(body))
		if ws {
			webSocketHeaders(req.Header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		if ws {
			return res
		}
		io.ReadAll(res.Body)
		return res
	}
	res := do("GET", "EIO=4&transport=polling", "", false)
	check("handshake", res, true)
	if res.Header.Get("Set-Cookie") == "" {
		t.Error("handshake: the cookie went")
	}
	o := handshake(t, ts.URL)
	check("upload", do("POST", "EIO=4&transport=polling&sid="+o.SID, "4x", false), false)
	check("poll", do("GET", "EIO=4&transport=polling&sid="+o.SID, "", false), false)
	res = do("GET", "EIO=4&transport=websocket&sid="+o.SID, "", true)
	if res.StatusCode != 101 {
		t.Fatalf("upgrade: %d", res.StatusCode)
	}
	check("upgrade's 101", res, false)
	res = do("GET", "EIO=4&transport=websocket", "", true)
	if res.StatusCode != 101 {
		t.Fatalf("websocket handshake: %d", res.StatusCode)
	}
	check("websocket handshake's 101", res, true)
	if res := do("GET", "EIO=4&transport=polling&sid=nope", "", false); res.Header.Get("X-Every") != "" {
		t.Error("a refusal has the hook's headers")
	}
}

// A Headers hook that panics: logged, the request refused with 500, and no session made
// for a handshake (no cookie either).
func TestHeadersHookPanics(t *testing.T) {
	logs := &syncBuffer{}
	var calls sync.Map
	srv := engine.NewServer(&echo{}, &engine.Options{
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Cookie: &http.Cookie{},
		Headers: func(h http.Header, r *http.Request, initial bool) {
			if r.URL.Query().Get("panic") != "" {
				calls.Store(r.URL.RawQuery, true)
				panic("headers bug")
			}
		},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		closeWithin(t, srv, 5*time.Second)
		ts.Close()
	})
	res, err := http.Get(ts.URL + "/?EIO=4&transport=polling&panic=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 500 || string(b) != `{"code":3,"message":"Internal server error"}` || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("handshake: %d %s %v", res.StatusCode, b, res.Header)
	}
	if n := srv.Sessions(); n != 0 {
		t.Fatalf("%d sessions after a refused handshake", n)
	}
	if !strings.Contains(logs.String(), "headers bug") {
		t.Fatalf("the panic is not logged: %s", logs.String())
	}
	// On a session's poll: 500, and the session lives on.
	o := handshake(t, ts.URL)
	if code, _ := get(t, ts.URL+"/?EIO=4&transport=polling&panic=2&sid="+o.SID); code != 500 {
		t.Fatalf("poll: %d; want 500", code)
	}
	if code, body := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID, "4still here"); code != 200 || body != "ok" {
		t.Fatalf("post after: %d %s", code, body)
	}
	if code, body := get(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID); code != 200 || body != "4still here" {
		t.Fatalf("poll after: %d %q", code, body)
	}
	// On an upgrade: 500, and the session can still upgrade.
	req, _ := http.NewRequest("GET", ts.URL+"/?EIO=4&transport=websocket&panic=3&sid="+o.SID, nil)
	webSocketHeaders(req.Header)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 500 {
		t.Fatalf("upgrade: %d; want 500", res.StatusCode)
	}
	c := dialWS(t, ts.URL, "&sid="+o.SID)
	probe(t, c)
}

// With DisableUpgrades, the handshake advertises none and an upgrade request is refused.
func TestDisableUpgrades(t *testing.T) {
	var got connErrors
	ts, _, _ := newServer(t, &engine.Options{DisableUpgrades: true, OnConnectionError: got.hook, PingInterval: time.Hour})
	o := handshake(t, ts.URL)
	if o.Upgrades == nil || len(o.Upgrades) != 0 {
		t.Fatalf("upgrades %v; want []", o.Upgrades)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/?EIO=4&transport=websocket&sid="+o.SID, nil)
	webSocketHeaders(req.Header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || string(b) != "Bad request" {
		t.Fatalf("upgrade: %d %q; want 400 Bad request", res.StatusCode, b)
	}
	want := engine.ConnectionError{Code: 3, Message: "Bad request", Context: map[string]any{"name": "TRANSPORT_MISMATCH", "transport": "websocket", "previousTransport": "polling"}}
	if errs := got.take(); len(errs) != 1 || !reflect.DeepEqual(errs[0], want) {
		t.Fatalf("reported %+v; want %+v", errs, want)
	}
	// The session goes on over polling, and WebSocket-only clients still connect.
	if code, body := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID, "4x"); code != 200 || body != "ok" {
		t.Fatalf("post: %d %s", code, body)
	}
	if code, body := get(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID); code != 200 || body != "4x" {
		t.Fatalf("poll: %d %q", code, body)
	}
	c := dialWS(t, ts.URL, "")
	if open := read(t, c); !strings.HasPrefix(open, `0{"sid"`) {
		t.Fatalf("websocket open: %q", open)
	}
}

// upgrades records messages and upgrades in the order the Conn sees them.
type upgrades struct {
	mu     sync.Mutex
	events []string
	panics bool
}

func (u *upgrades) Open(s *engine.Session) engine.Conn { return (*upgradesConn)(u) }

type upgradesConn upgrades

func (c *upgradesConn) add(e string) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}
func (c *upgradesConn) Message(p engine.Packet)     { c.add("message " + string(p.Data)) }
func (c *upgradesConn) Closed(engine.Reason, error) { c.add("closed") }
func (c *upgradesConn) Upgraded(name string) {
	c.add("upgraded " + name)
	if c.panics {
		panic("upgrade handler bug")
	}
}

func (u *upgrades) list() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.events...)
}

// An Upgrader Conn is told of the upgrade between the messages of the old transport and
// those of the new one; a panic in Upgraded closes the session like one in Message.
func TestUpgrader(t *testing.T) {
	for _, panics := range []bool{false, true} {
		u := &upgrades{panics: panics}
		logs := &syncBuffer{}
		srv := engine.NewServer(u, &engine.Options{PingInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		ts := httptest.NewServer(srv)
		o := handshake(t, ts.URL)
		post(t, ts.URL+"/?EIO=4&transport=polling&sid="+o.SID, "4before")
		c := dialWS(t, ts.URL, "&sid="+o.SID)
		probe(t, c)
		write(t, c, "5")
		want := []string{"message before", "upgraded websocket", "message after"}
		if panics {
			want = []string{"message before", "upgraded websocket", "closed"}
		} else {
			write(t, c, "4after")
		}
		waitFor(t, "the events", func() bool { return len(u.list()) == 3 })
		if got := u.list(); !reflect.DeepEqual(got, want) {
			t.Errorf("panics %v: events %q; want %q", panics, got, want)
		}
		if panics && !strings.Contains(logs.String(), "upgrade handler bug") {
			t.Errorf("the panic is not logged")
		}
		c.CloseNow()
		srv.Close()
		ts.Close()
	}
}

// OpenSessions counts sessions until they start closing (Node's clientsCount); Sessions
// keeps a closing one until its final packets are taken.
func TestOpenSessions(t *testing.T) {
	ts, _, srv := newServer(t, &engine.Options{PingInterval: time.Hour})
	a := handshake(t, ts.URL)
	handshake(t, ts.URL)
	if n := srv.OpenSessions(); n != 2 {
		t.Fatalf("OpenSessions %d; want 2", n)
	}
	if code, _ := post(t, ts.URL+"/?EIO=4&transport=polling&sid="+a.SID, "1"); code != 200 {
		t.Fatalf("close post: %d", code)
	}
	if n, all := srv.OpenSessions(), srv.Sessions(); n != 1 || all != 2 {
		t.Fatalf("after a client's close: OpenSessions %d, Sessions %d; want 1, 2 (the noop waits for a poll)", n, all)
	}
	srv.Close()
	if n := srv.OpenSessions(); n != 0 {
		t.Fatalf("after Close: OpenSessions %d; want 0", n)
	}
}
