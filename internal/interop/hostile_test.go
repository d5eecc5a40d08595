//go:build unix

package interop_test

// The hostile-input table: requests no well-behaved client sends, each run against the Node
// server (js/interop/node-server.mjs) and against hub in the same test run. A row documents
// Node's answer (checked on every run) and passes for hub when hub answers the same, or gives
// the row's documented stricter answer. docs/hostile-inputs.md is generated from this table:
//
//	go test ./internal/interop -run TestHostileDoc -update

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/hostile-inputs.md from the hostile-input table")

// hostileRow is one hostile input.
type hostileRow struct {
	name string   // the subtest: TestHostile/<name>
	from string   // where it comes from: the hardening, a section of protocol.md
	req  string   // the request, for readers
	node string   // Node's answer, as this table observes it
	hub  string   // hub's deliberately stricter answer; empty when hub answers as Node does
	alt  []string // other answers hub may give, where the row leaves the choice open
	why  string   // why hub differs, in one line
	// run sends the request to the server at base and returns the answer, normalised so that
	// Node's and hub's compare (no sids, no timings).
	run func(ctx context.Context, base string) (string, error)
	// timeout bounds run; 5 s when zero.
	timeout time.Duration
	// ownServer runs the row on servers of its own, for inputs that may take a server down;
	// the answer then says whether the server still takes a handshake afterwards.
	ownServer bool
}

// want is the answer hub must give.
func (r hostileRow) want() string {
	if r.hub != "" {
		return r.hub
	}
	return r.node
}

// TestHostile runs every row against Node and hub, in parallel.
func TestHostile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	servers := []struct{ name, base string }{
		{"node", startNode(ctx, t)},
		{"hub", startHub(t)},
	}
	for _, row := range hostileRows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			servers := servers
			if row.ownServer {
				servers = []struct{ name, base string }{
					{"node", startNode(ctx, t)},
					{"hub", startHub(t)},
				}
			}
			var got [2]string
			var wg sync.WaitGroup
			for i, s := range servers {
				wg.Go(func() {
					timeout := row.timeout
					if timeout == 0 {
						timeout = 5 * time.Second
					}
					rctx, cancel := context.WithTimeout(ctx, timeout)
					defer cancel()
					ans, err := row.run(rctx, s.base)
					if err != nil {
						ans = "error: " + err.Error()
					}
					if row.ownServer {
						if _, err := handshake(ctx, s.base); err != nil {
							ans += "; server down"
						} else {
							ans += "; server up"
						}
					}
					got[i] = ans
				})
			}
			wg.Wait()
			if got[0] != row.node {
				t.Errorf("Node answers %q; the row says %q", got[0], row.node)
			}
			if got[1] != row.want() && !slices.Contains(row.alt, got[1]) {
				t.Errorf("hub answers %q; want %q", got[1], strings.Join(append([]string{row.want()}, row.alt...), `" or "`))
			}
		})
	}
}

// TestHostileDoc fails when docs/hostile-inputs.md is not the page the table makes.
func TestHostileDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "hostile-inputs.md")
	page := hostileDoc()
	if *update {
		if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil || string(old) != page {
		t.Fatalf("%s is stale: run go test ./internal/interop -run TestHostileDoc -update", path)
	}
}

func hostileDoc() string {
	var b strings.Builder
	b.WriteString(`# Hostile inputs: HTTP, Engine.IO and Socket.IO, hub against Node

Generated from the table in internal/interop/hostile_test.go (` + "`go test ./internal/interop -run TestHostileDoc -update`" + `);
do not edit by hand. ` + "`TestHostile/<row>`" + ` sends each request to the Node server
(js/interop/node-server.mjs: socket.io 4.8.1, engine.io 6.6) and to hub in the same run, with the
interop app's settings (maxHttpBufferSize 100000, pingInterval 1000 ms, pingTimeout 1000 ms). It
checks Node's answer against the Node column, and hub's against the hub column: "as Node", or a
deliberately stricter answer with its reason.

How answers are written: ` + "`400 {…}`" + ` is an HTTP status and body; ` + "`closed`" + ` means the
server ended the Engine.IO session (over polling a later GET gets ` + "`1`" + ` or 400 "Session ID
unknown"; over WebSocket a close frame or the end of the connection); ` + "`alive`" + ` means an
echo sent afterwards came back, so the session survived; ` + "`close N`" + ` is a WebSocket close
frame with status N; ` + "`␞`" + ` stands for the record separator 0x1e.

| row | from | request | Node | hub | test |
|---|---|---|---|---|---|
`)
	cell := func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.ReplaceAll(s, "\n", " ")
	}
	for i, r := range hostileRows {
		hub := "as Node"
		if r.hub != "" {
			hub = "`" + cell(r.hub) + "`"
		}
		for _, a := range r.alt {
			hub += ", or `" + cell(a) + "`"
		}
		if r.why != "" {
			hub += " — " + cell(r.why)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | `%s` | %s | `TestHostile/%s` |\n", i+1, cell(r.from), cell(r.req), cell(r.node), hub, r.name)
	}
	return b.String()
}

// sidRE matches the ids a server makes up, so that answers compare.
var sidRE = regexp.MustCompile(`"sid":"[^"]*"`)

func noSids(s string) string { return sidRE.ReplaceAllString(s, `"sid":"…"`) }

// repeat runs step n times and returns the distinct answers, in order of first appearance, so
// that a race which goes one way on most runs and another way on some shows both.
func repeat(ctx context.Context, n int, step func(context.Context) (string, error)) (string, error) {
	var seen []string
	for range n {
		ans, err := step(ctx)
		if err != nil {
			return "", err
		}
		if !slices.Contains(seen, ans) {
			seen = append(seen, ans)
		}
	}
	return strings.Join(seen, " | "), nil
}

// sessionState says whether a polling session still takes packets: "open" when a CONNECT
// is answered, else what closedAnswer makes of it.
func sessionState(ctx context.Context, base, sid string) (string, error) {
	r, err := post(ctx, base, sid, "40")
	if err != nil {
		return "", err
	}
	if r.status != 200 {
		return closedAnswer(r), nil
	}
	r, err = poll(ctx, base, sid)
	if err != nil {
		return "", err
	}
	if r.status == 200 && strings.Contains(r.body, `40{"sid"`) {
		return "open", nil
	}
	return closedAnswer(r), nil
}

// simple returns a row's run for one request on a fresh connection.
func simple(method, query string, header []string, body string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		r, err := do(ctx, base, method, query, header, body)
		return r.String(), err
	}
}

// afterHandshake runs step on a fresh polling session.
func afterHandshake(step func(ctx context.Context, base, sid string) (string, error)) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		sid, err := handshake(ctx, base)
		if err != nil {
			return "", err
		}
		return step(ctx, base, sid)
	}
}

// pollingSIO posts body on a polling session joined to "/", then reads the POST's answer and
// what the next GET finds.
func pollingSIO(body string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		sid, err := connected(ctx, base)
		if err != nil {
			return "", err
		}
		r, err := post(ctx, base, sid, body)
		if err != nil {
			return "", err
		}
		g, err := poll(ctx, base, sid)
		if err != nil {
			return "", err
		}
		if c := closedAnswer(g); c == "closed" {
			return "POST " + r.String() + "; closed", nil
		}
		return "POST " + r.String() + "; GET " + g.String(), nil
	}
}

// wsStep is one step of a WebSocket row: it sends or reads, and may add to the answer.
type wsStep func(w *wsConn) (string, error)

// wsSIO runs the steps on a WebSocket session joined to "/", then checks with an echo
// whether the session survived.
func wsSIO(steps ...wsStep) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		w, err := wsConnected(ctx, base)
		if err != nil {
			return "", err
		}
		defer w.Close()
		var ans []string
		for _, step := range steps {
			a, err := step(w)
			if err != nil {
				return strings.Join(append(ans, "closed"), "; "), nil // the server closed mid-sequence
			}
			if a != "" {
				ans = append(ans, a)
			}
		}
		return noSids(strings.Join(append(ans, w.alive()), "; ")), nil
	}
}

// alive sends an echo and reads up to it: the answer is the messages seen before it,
// then "alive" when the echo came back, or how the connection ended.
func (w *wsConn) alive() string {
	var seen []string
	if err := w.text(`42["echo","alive"]`); err != nil {
		return "closed"
	}
	for {
		m := w.readMsg()
		switch {
		case m.err != nil && m.String() == "no answer":
			return strings.Join(append(seen, "no answer"), "; ")
		case m.closed():
			return strings.Join(append(seen, "closed"), "; ")
		case string(m.data) == `42["echo","alive"]`:
			return strings.Join(append(seen, "alive"), "; ")
		}
		seen = append(seen, m.String())
	}
}

func txt(s string) wsStep { return func(w *wsConn) (string, error) { return "", w.text(s) } }
func bin(b []byte) wsStep { return func(w *wsConn) (string, error) { return "", w.binary(b) } }

// expect reads up to a message starting with prefix, dropping the others.
func expect(prefix string) wsStep {
	return func(w *wsConn) (string, error) {
		_, err := upTo(prefix)(w)
		return "", err
	}
}

// upTo reads up to a message starting with prefix, which it adds to the answer; it drops the
// others, since Node and hub may order independent messages differently.
func upTo(prefix string) wsStep {
	return func(w *wsConn) (string, error) {
		for {
			m := w.readMsg()
			if m.closed() {
				return "", fmt.Errorf("%v", m)
			}
			if strings.HasPrefix(string(m.data), prefix) {
				return m.String(), nil
			}
		}
	}
}

// upgraded opens a polling session and upgrades it to WebSocket (2probe, 3probe, 5).
func upgraded(ctx context.Context, base string) (sid string, w *wsConn, err error) {
	sid, err = handshake(ctx, base)
	if err != nil {
		return "", nil, err
	}
	w, err = probed(ctx, base, sid)
	if err != nil {
		return "", nil, err
	}
	if err := w.text("5"); err != nil {
		w.Close()
		return "", nil, err
	}
	return sid, w, nil
}

// probed opens the upgrade WebSocket of sid and exchanges the probe.
func probed(ctx context.Context, base, sid string) (*wsConn, error) {
	w, r, err := wsDial(ctx, base, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("upgrade: %v", r)
	}
	if err := w.text("2probe"); err != nil {
		w.Close()
		return nil, err
	}
	if m := w.readMsg(); m.String() != "3probe" {
		w.Close()
		return nil, fmt.Errorf("probe: %v", m)
	}
	return w, nil
}

func placeholders(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,{"_placeholder":true,"num":%d}`, i)
	}
	return b.String()
}
