package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/_examples/chat/chatapp"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// The chat's rules, checked with the Go client over each transport.
func TestChat(t *testing.T) {
	for _, transport := range []string{client.TransportWebSocket, client.TransportSSE, client.TransportPolling} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			t.Run("tutorial", func(t *testing.T) { testTutorial(t, transport) })
			t.Run("broadcast excludes sender", func(t *testing.T) { testBroadcast(t, transport) })
			t.Run("nicknames", func(t *testing.T) { testNicknames(t, transport) })
			t.Run("join, leave, online", func(t *testing.T) { testPresence(t, transport) })
			t.Run("private messages", func(t *testing.T) { testPrivate(t, transport) })
			t.Run("typing", func(t *testing.T) { testTyping(t, transport) })
			t.Run("bad input", func(t *testing.T) { testBadInput(t, transport) })
		})
	}
}

// A client that knows only the tutorial (emit "chat message" with a string, read the first
// argument of every "chat message") talks with others.
func testTutorial(t *testing.T, transport string) {
	url := start(t)
	a, b := join(t, url, transport, nil), join(t, url, transport, nil)
	a.emit("chat message", "hello from the tutorial")
	if got := b.expect("chat message").str(0); got != "hello from the tutorial" {
		t.Errorf("b got chat message %q; want %q", got, "hello from the tutorial")
	}
	b.emit("chat message", "hi back")
	if got := a.expect("chat message").str(0); got != "hi back" {
		t.Errorf("a got chat message %q; want %q", got, "hi back")
	}
}

func testBroadcast(t *testing.T, transport string) {
	url := start(t)
	a, b, c := join(t, url, transport, nil), join(t, url, transport, nil), join(t, url, transport, nil)
	a.emit("chat message", "  one  ")
	for _, p := range []*peer{b, c} {
		ev := p.expect("chat message")
		var m chatapp.Message
		ev.decode(t, 1, &m)
		if got := ev.str(0); got != "one" {
			t.Errorf("%s got %q; want %q (trimmed)", p.me.Nickname, got, "one")
		}
		if want := (chatapp.Message{From: a.me.Nickname, FromID: a.me.ID, Text: "one"}); m != want {
			t.Errorf("%s got sender %+v; want %+v", p.me.Nickname, m, want)
		}
	}
	// Had a's message come back to a, it would have been queued before b's reply, which b
	// sent only after receiving a's message.
	b.emit("chat message", "two")
	if got := a.expect("chat message").str(0); got != "two" {
		t.Errorf("a got chat message %q; want b's %q (its own must not come back)", got, "two")
	}
	if got := c.expect("chat message").str(0); got != "two" {
		t.Errorf("c got chat message %q; want %q", got, "two")
	}
}

func testNicknames(t *testing.T, transport string) {
	url := start(t)
	a, b := join(t, url, transport, nil), join(t, url, transport, nil)
	if !strings.HasPrefix(a.me.Nickname, "Guest ") || a.me.Nickname == b.me.Nickname {
		t.Errorf("guest nicknames %q and %q; want distinct %q…", a.me.Nickname, b.me.Nickname, "Guest ")
	}
	guest := a.me.Nickname

	if r := a.ack("set nickname", " alice "); !r.OK || r.Nickname != "alice" {
		t.Fatalf("set nickname alice: %+v; want ok, alice", r)
	}
	for _, p := range []*peer{a, b} {
		var renamed map[string]string
		p.expect("user renamed").decode(t, 0, &renamed)
		if want := map[string]string{"id": a.me.ID, "from": guest, "to": "alice"}; !maps.Equal(renamed, want) {
			t.Errorf("%s: user renamed %v; want %v", p.me.Nickname, renamed, want)
		}
		p.expectOnline(a.me.ID, "alice", b.me.ID, b.me.Nickname)
	}
	if r := b.ack("set nickname", "ALICE"); r.OK || !strings.Contains(r.Error, "taken") {
		t.Errorf("b set nickname ALICE: %+v; want taken", r)
	}
	if r := b.ack("set nickname", strings.Repeat("x", chatapp.MaxNickname+1)); r.OK {
		t.Errorf("b set a nickname of %d runes: %+v; want an error", chatapp.MaxNickname+1, r)
	}
	a.emit("chat message", "hi")
	var m chatapp.Message
	b.expect("chat message").decode(t, 1, &m)
	if m.From != "alice" {
		t.Errorf("chat message from %q; want alice", m.From)
	}

	// A client that reconnects gives its nickname in auth; a taken one gets a suffix.
	c := join(t, url, transport, map[string]string{"nickname": "carol"})
	if c.me.Nickname != "carol" {
		t.Errorf("joined with auth nickname carol as %q", c.me.Nickname)
	}
	d := join(t, url, transport, map[string]string{"nickname": "Alice"})
	if d.me.Nickname != "Alice (2)" {
		t.Errorf("joined with auth nickname Alice (taken) as %q; want %q", d.me.Nickname, "Alice (2)")
	}
}

func testPresence(t *testing.T, transport string) {
	url := start(t)
	a := join(t, url, transport, map[string]string{"nickname": "alice"})
	a.expectOnline(a.me.ID, "alice")
	b := join(t, url, transport, map[string]string{"nickname": "bob"})
	var joined chatapp.User
	a.expect("user joined").decode(t, 0, &joined)
	if joined != b.me {
		t.Errorf("user joined %+v; want %+v", joined, b.me)
	}
	a.expectOnline(a.me.ID, "alice", b.me.ID, "bob")
	b.expectOnline(a.me.ID, "alice", b.me.ID, "bob")

	b.close()
	var left chatapp.User
	a.expect("user left").decode(t, 0, &left)
	if left != b.me {
		t.Errorf("user left %+v; want %+v", left, b.me)
	}
	a.expectOnline(a.me.ID, "alice")
}

func testPrivate(t *testing.T, transport string) {
	url := start(t)
	a := join(t, url, transport, map[string]string{"nickname": "alice"})
	b := join(t, url, transport, map[string]string{"nickname": "bob"})
	c := join(t, url, transport, map[string]string{"nickname": "carol"})

	for _, to := range []string{"Bob", b.me.ID} { // by nickname, any case, and by id
		r := a.ack("private message", to, "psst")
		if !r.OK || r.To == nil || *r.To != b.me {
			t.Fatalf("private message to %q: %+v; want ok, to %+v", to, r, b.me)
		}
		var m chatapp.Message
		b.expect("private message").decode(t, 0, &m)
		if want := (chatapp.Message{From: "alice", FromID: a.me.ID, To: "bob", ToID: b.me.ID, Text: "psst"}); m != want {
			t.Errorf("bob got %+v; want %+v", m, want)
		}
	}
	// Had carol or alice been sent the private messages, they would have been queued before
	// this broadcast, which alice sent after her acks came back.
	a.emit("chat message", "public")
	c.expect("chat message")
	b.emit("chat message", "public too")
	a.expect("chat message")
	for _, p := range []*peer{a, c} {
		if p.seen("private message") {
			t.Errorf("%s got a private message meant for bob", p.me.Nickname)
		}
	}

	for to, want := range map[string]string{"dave": "nobody", a.me.ID: "you", "alice": "you"} {
		if r := a.ack("private message", to, "hello?"); r.OK || !strings.Contains(r.Error, want) {
			t.Errorf("private message to %q: %+v; want an error saying %q", to, r, want)
		}
	}
}

func testTyping(t *testing.T, transport string) {
	url := start(t)
	a := join(t, url, transport, map[string]string{"nickname": "alice"})
	b := join(t, url, transport, map[string]string{"nickname": "bob"})
	c := join(t, url, transport, map[string]string{"nickname": "carol"})
	for _, p := range []*peer{a, b, c} {
		p.expectOnline(a.me.ID, "alice", b.me.ID, "bob", c.me.ID, "carol")
	}
	// typing is volatile: a client busy receiving something else may miss one, so the
	// sender repeats it, as the page does while keys are pressed.
	var got struct {
		ID, Nickname string
		Typing       bool
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.emit("typing", true)
		ev, ok := b.maybe("typing", 500*time.Millisecond)
		if ok {
			ev.decode(t, 0, &got)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bob never saw alice typing")
		}
	}
	if got.ID != a.me.ID || got.Nickname != "alice" || !got.Typing {
		t.Errorf("typing %+v; want alice's id, alice, true", got)
	}
	c.emit("chat message", "flush")
	a.expect("chat message")
	if a.seen("typing") {
		t.Error("alice was sent her own typing event")
	}
}

func testBadInput(t *testing.T, transport string) {
	url := start(t)
	a, b := join(t, url, transport, nil), join(t, url, transport, nil)
	for _, text := range []string{"", "   ", strings.Repeat("é", chatapp.MaxMessage+1)} {
		if r := a.ack("chat message", text); r.OK {
			t.Errorf("chat message of %d runes: %+v; want an error", len([]rune(text)), r)
		}
	}
	a.emit("chat message", map[string]int{"not": 1}) // not a string: dropped
	a.emit("chat message", "fine")
	if got := b.expect("chat message").str(0); got != "fine" {
		t.Errorf("b got %q; want only %q", got, "fine")
	}
}

// start serves the chat and returns its URL.
func start(t *testing.T) string {
	t.Helper()
	srv, handler := chatapp.New(nil)
	ts := httptest.NewServer(handler)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts.URL
}

// A peer is a chat client whose received events queue up for the test to read in order.
type peer struct {
	t       *testing.T
	s       *client.Socket
	me      chatapp.User // from "welcome"
	events  chan event
	history []event // the events read so far
}

type event struct {
	name string
	args []json.RawMessage
}

// join connects a client to url over transport, with auth as its CONNECT payload, and reads its
// welcome.
func join(t *testing.T, url, transport string, auth any) *peer {
	t.Helper()
	m, err := client.NewManager(url, &client.Options{Transports: []string{transport}, Auth: auth, DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p := &peer{t: t, s: m.Socket("/", nil), events: make(chan event, 1024)}
	p.s.OnAny(func(name string, args client.Args) {
		ev := event{name: name}
		for i := range args.Len() {
			ev.args = append(ev.args, slices.Clone(args.Raw(i)))
		}
		p.events <- ev
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.s.Connect(ctx); err != nil {
		t.Fatalf("connect over %s: %v", transport, err)
	}
	p.expect("welcome").decode(t, 0, &p.me)
	if p.me.ID != p.s.ID() {
		t.Fatalf("welcome id %q; want the socket's id %q", p.me.ID, p.s.ID())
	}
	return p
}

func (p *peer) emit(event string, args ...any) {
	p.t.Helper()
	if err := p.s.Emit(event, args...); err != nil {
		p.t.Fatalf("emit %s: %v", event, err)
	}
}

// ack emits event asking for an acknowledgement and returns the server's reply.
func (p *peer) ack(event string, args ...any) chatapp.Reply {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.s.EmitWithAck(ctx, event, args...)
	if err != nil {
		p.t.Fatalf("emit %s with ack: %v", event, err)
	}
	var r chatapp.Reply
	if err := res.Decode(0, &r); err != nil {
		p.t.Fatalf("ack of %s: %v", event, err)
	}
	return r
}

// maybe reads events until one called name, which it returns, or until d has passed.
func (p *peer) maybe(name string, d time.Duration) (event, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-p.events:
			p.history = append(p.history, ev)
			if ev.name == name {
				return ev, true
			}
		case <-timer.C:
			return event{}, false
		}
	}
}

// expect reads events until one called name, and returns it.
func (p *peer) expect(name string) event {
	p.t.Helper()
	ev, ok := p.maybe(name, 5*time.Second)
	if !ok {
		p.t.Fatalf("%s: no %q event within 5s; got %v", p.me.Nickname, name, p.names())
	}
	return ev
}

// expectOnline reads "online" lists until one lists exactly the given id, nickname pairs, in
// that order.
func (p *peer) expectOnline(idNicknames ...string) {
	p.t.Helper()
	var want []chatapp.User
	for i := 0; i < len(idNicknames); i += 2 {
		want = append(want, chatapp.User{ID: idNicknames[i], Nickname: idNicknames[i+1]})
	}
	var last []chatapp.User
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ev, ok := p.maybe("online", time.Until(deadline))
		if !ok {
			break
		}
		last = nil
		ev.decode(p.t, 0, &last)
		if slices.Equal(last, want) {
			return
		}
	}
	p.t.Fatalf("%s: online list %+v; want %+v", p.me.Nickname, last, want)
}

// seen reports whether an event called name has been read.
func (p *peer) seen(name string) bool {
	return slices.ContainsFunc(p.history, func(ev event) bool { return ev.name == name })
}

func (p *peer) names() []string {
	var names []string
	for _, ev := range p.history {
		names = append(names, ev.name)
	}
	return names
}

func (p *peer) close() {
	p.s.Close()
}

func (ev event) decode(t *testing.T, i int, v any) {
	t.Helper()
	if i >= len(ev.args) {
		t.Fatalf("%q has %d arguments; want at least %d", ev.name, len(ev.args), i+1)
	}
	if err := json.Unmarshal(ev.args[i], v); err != nil {
		t.Fatalf("%q argument %d %s: %v", ev.name, i, ev.args[i], err)
	}
}

func (ev event) str(i int) string {
	var s string
	if i < len(ev.args) {
		json.Unmarshal(ev.args[i], &s)
	}
	return s
}

// The app serves the page at /, its icon, the client under /socket.io/, and 404 elsewhere.
func TestHTTP(t *testing.T) {
	url := start(t)
	for _, tt := range []struct {
		path, status, contentType, contains string
	}{
		{"/", "200 OK", "text/html; charset=utf-8", `<script src="/socket.io/socket.io.js"></script>`},
		{"/socket.io/socket.io.js", "200 OK", "application/javascript; charset=utf-8", "EIO"},
		{"/socket.io/socket.io.min.js", "200 OK", "application/javascript; charset=utf-8", "EIO"},
		{"/", "200 OK", "text/html; charset=utf-8", `<link rel="icon" href="/favicon.svg" type="image/svg+xml">`},
		{"/", "200 OK", "text/html; charset=utf-8", `<meta name="viewport" content="width=device-width, initial-scale=1">`},
		{"/favicon.svg", "200 OK", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"`},
		{"/favicon.ico", "200 OK", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"`},
		{"/index.html", "404 Not Found", "", ""},
	} {
		res, err := http.Get(url + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tt.status {
			t.Errorf("GET %s: %s; want %s", tt.path, res.Status, tt.status)
		}
		if got := res.Header.Get("Content-Type"); tt.contentType != "" && got != tt.contentType {
			t.Errorf("GET %s: Content-Type %q; want %q", tt.path, got, tt.contentType)
		}
		if !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s: body does not contain %q", tt.path, tt.contains)
		}
	}
}

// run serves until its context is done, then shuts down gracefully, telling connected clients.
func TestRunShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", func(a net.Addr) { addr <- a.String() }) }()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	p := join(t, url, client.TransportWebSocket, nil)
	disconnected := make(chan client.DisconnectReason, 1)
	p.s.On("disconnect", func(reason client.DisconnectReason) { disconnected <- reason })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of its context being done")
	}
	select {
	case reason := <-disconnected:
		if reason != client.ReasonTransportClose {
			t.Errorf("client disconnected with %q; want %q", reason, client.ReasonTransportClose)
		}
	case <-time.After(5 * time.Second):
		t.Error("the client was not disconnected")
	}
}
