package hub_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
)

// csrServer serves "/" with connection state recovery: every socket joins "room1" and gets
// Data "d-<n>"; the sockets connecting and the disconnect reasons are reported.
type csrServer struct {
	srv         *hub.Server
	url         string
	sockets     chan *hub.Socket
	reasons     chan hub.DisconnectReason
	middlewares atomic.Int32
}

func newCSRServer(t *testing.T, csr hub.ConnectionStateRecovery) *csrServer {
	t.Helper()
	srv, url := newServer(t, &hub.Options{ConnectionStateRecovery: &csr})
	cs := &csrServer{srv: srv, url: url, sockets: make(chan *hub.Socket, 16), reasons: make(chan hub.DisconnectReason, 16)}
	var n atomic.Int32
	srv.Use(func(s *hub.Socket) error {
		cs.middlewares.Add(1)
		if strings.Contains(string(s.Handshake().Auth), `"refuse"`) {
			return errors.New("refused")
		}
		return nil
	})
	srv.OnConnection(func(s *hub.Socket) {
		if !s.Recovered() {
			s.Join("room1")
			s.SetData("d-" + strconv.Itoa(int(n.Add(1))))
		}
		s.OnDisconnect(func(reason hub.DisconnectReason) { cs.reasons <- reason })
		cs.sockets <- s
	})
	return cs
}

// connectCSR joins "/" with auth and returns the CONNECT reply's sid and pid, and the frames
// that came before it (recovered events; a binary frame as "").
func connectCSR(t *testing.T, c *wsClient, auth string) (sid, pid string, before []string) {
	t.Helper()
	c.send("40" + auth)
	for {
		fr := c.next()
		f := fr.text
		if fr.isBin || !strings.HasPrefix(f, "40") {
			before = append(before, f)
			continue
		}
		if !strings.HasPrefix(f, "40{") {
			t.Fatalf("CONNECT reply: got %q", f)
		}
		var m map[string]string
		success(t, json.Unmarshal([]byte(f[2:]), &m))
		if len(m) != 2 || m["sid"] == "" || m["pid"] == "" {
			t.Fatalf("CONNECT reply %q: want exactly a sid and a pid", f)
		}
		return m["sid"], m["pid"], before
	}
}

// event splits a text EVENT frame into its name and arguments.
func event(t *testing.T, frame string) []any {
	t.Helper()
	if !strings.HasPrefix(frame, "42") {
		t.Fatalf("got %q; want an event", frame)
	}
	var a []any
	success(t, json.Unmarshal([]byte(frame[2:]), &a))
	return a
}

// lastOffset returns the offset an event carries: its last argument, a string.
func lastOffset(t *testing.T, frame string) string {
	t.Helper()
	a := event(t, frame)
	off, ok := a[len(a)-1].(string)
	if !ok || len(a) < 2 {
		t.Fatalf("event %q carries no offset", frame)
	}
	return off
}

// lost connects a client that receives one event, then loses its connection; it returns the
// socket it had, its pid and the offset it got, once the server has seen it go.
func lost(t *testing.T, cs *csrServer) (s *hub.Socket, pid, off string) {
	t.Helper()
	c := dial(t, cs.url, "")
	_, pid, _ = connectCSR(t, c, "")
	s = recv(t, cs.sockets)
	success(t, s.Emit("e"))
	off = lastOffset(t, c.nextText())
	c.close()
	recv(t, cs.reasons)
	return s, pid, off
}

func recoveryAuth(pid, offset string) string {
	b, _ := json.Marshal(map[string]string{"pid": pid, "offset": offset})
	return string(b)
}

func TestRecoveryRestoresSocketAndMissedEvents(t *testing.T) {
	t.Parallel()
	cs := newCSRServer(t, hub.ConnectionStateRecovery{})
	c := dial(t, cs.url, "")
	sid, pid, _ := connectCSR(t, c, "")
	s := recv(t, cs.sockets)
	equal(t, "recovered at first", s.Recovered(), false)
	equal(t, "middlewares", cs.middlewares.Load(), int32(1))

	// Which events carry an offset: plain ones, to the socket or broadcast; not volatile ones,
	// nor those asking for an acknowledgement, nor acknowledgements.
	success(t, s.Emit("hello", 1))
	off := lastOffset(t, c.nextText())
	// A volatile event is dropped when the connection is busy: send until one goes out, each
	// followed by a plain event, which comes after it if it went.
	for i := 0; ; i++ {
		success(t, s.EmitVolatile("vol", 2))
		success(t, s.Emit("after-vol"))
		f := c.nextText()
		if f == `42["vol",2]` {
			lastOffset(t, c.nextText()) // after-vol
			break
		}
		if event(t, f)[0] != "after-vol" || i == 100 {
			t.Fatalf("got %q; want the volatile event, without an offset, or the event after it", f)
		}
	}
	success(t, cs.srv.To("room1").Emit("room", "x"))
	f := c.nextText()
	equal(t, "room event", len(event(t, f)), 3)
	off = lastOffset(t, f)
	go s.EmitWithAck(s.Context(), "ask")
	equal(t, "event with ack id", c.nextText(), `420["ask"]`)
	c.send(`43["late"]`)

	c.close() // the connection is lost, not ended: "transport close"
	equal(t, "reason", recv(t, cs.reasons), hub.ReasonTransportClose)

	// Missed meanwhile: to its room, to all, to its id; not: another room, excluded, volatile.
	success(t, cs.srv.To("room1").Emit("missed", 1))
	success(t, cs.srv.Emit("missed", 2))
	success(t, cs.srv.To("other").Emit("not-mine"))
	success(t, cs.srv.Except("room1").Emit("excluded"))
	success(t, cs.srv.Volatile().Emit("volatile"))
	success(t, cs.srv.To(sid).Emit("missed", []byte{1, 2}))

	c2 := dial(t, cs.url, "")
	sid2, pid2, before := connectCSR(t, c2, recoveryAuth(pid, off))
	equal(t, "sid", sid2, sid)
	equal(t, "pid", pid2, pid)
	if len(before) != 4 {
		t.Fatalf("frames before the CONNECT reply: got %q; want the 3 missed events and an attachment", before)
	}
	equal(t, "missed 1", event(t, before[0])[:2], []any{"missed", 1.0})
	equal(t, "missed 2", event(t, before[1])[:2], []any{"missed", 2.0})
	hasPrefix(t, "binary missed", before[2], `451-["missed",{"_placeholder":true,"num":0},"`)
	s2 := recv(t, cs.sockets)
	equal(t, "recovered", s2.Recovered(), true)
	equal(t, "id", s2.ID(), sid)
	equal(t, "data", s2.Data(), any("d-1"))
	want := []string{"room1", sid}
	slices.Sort(want)
	equal(t, "rooms", s2.Rooms(), want)
	equal(t, "middlewares skipped", cs.middlewares.Load(), int32(1))

	// Live again: a new event has a new offset.
	success(t, s2.Emit("live"))
	equal(t, "live", event(t, c2.nextText())[0], any("live"))

	// The same pid again while the socket is connected: a new socket, never a second with its id.
	c3 := dial(t, cs.url, "")
	sid3, pid3, before3 := connectCSR(t, c3, recoveryAuth(pid, off))
	if sid3 == sid || pid3 == pid || len(before3) != 0 {
		t.Errorf("second recovery of a connected socket: sid %q pid %q, %d events; want a new session", sid3, pid3, len(before3))
	}
	equal(t, "not recovered", recv(t, cs.sockets).Recovered(), false)
}

func TestRecoveryRefused(t *testing.T) {
	t.Parallel()
	cs := newCSRServer(t, hub.ConnectionStateRecovery{})

	// A socket that disconnected on purpose does not recover.
	c := dial(t, cs.url, "")
	_, pid, _ := connectCSR(t, c, "")
	s := recv(t, cs.sockets)
	success(t, s.Emit("e"))
	off := lastOffset(t, c.nextText())
	c.send("41")
	equal(t, "reason", recv(t, cs.reasons), hub.ReasonClientNamespaceDisconnect)
	sid, _, before := connectCSR(t, c, recoveryAuth(pid, off))
	if sid == s.ID() || len(before) != 0 || recv(t, cs.sockets).Recovered() {
		t.Errorf("after a client namespace disconnect: recovered (sid %q)", sid)
	}

	// Hostile or stale recovery payloads get a new session, the same way.
	s2, pid2, off2 := lost(t, cs)
	for _, auth := range []string{
		recoveryAuth("nope", off2),
		recoveryAuth(pid2, "zzzzzzzzzzzzz"),
		recoveryAuth(pid2, "-1"),
		recoveryAuth(pid2, ""),
		recoveryAuth(pid2, "00"),
		`{"pid":` + strconv.Quote(pid2) + `,"offset":0}`,
		`{"pid":` + strconv.Quote(pid2) + `}`,
		`{"pid":[` + strconv.Quote(pid2) + `],"offset":` + strconv.Quote(off2) + `}`,
	} {
		c3 := dial(t, cs.url, "")
		sid, _, before := connectCSR(t, c3, auth)
		if sid == s2.ID() || len(before) != 0 || recv(t, cs.sockets).Recovered() {
			t.Errorf("auth %s: recovered", auth)
		}
		c3.closeClean()
		recv(t, cs.reasons)
	}
	// The right one still works: a failed attempt consumed nothing.
	c4 := dial(t, cs.url, "")
	sid4, _, _ := connectCSR(t, c4, recoveryAuth(pid2, off2))
	equal(t, "sid", sid4, s2.ID())
	equal(t, "recovered", recv(t, cs.sockets).Recovered(), true)
}

func TestRecoveryExpires(t *testing.T) {
	t.Parallel()
	const window = 100 * time.Millisecond
	cs := newCSRServer(t, hub.ConnectionStateRecovery{MaxDisconnectionDuration: window})
	s, pid, off := lost(t, cs)
	time.Sleep(2 * window) // the time under test, not a synchronisation
	c2 := dial(t, cs.url, "")
	sid, _, _ := connectCSR(t, c2, recoveryAuth(pid, off))
	if sid == s.ID() || recv(t, cs.sockets).Recovered() {
		t.Errorf("recovered after MaxDisconnectionDuration")
	}
}

func TestRecoveryLogBound(t *testing.T) {
	t.Parallel()
	cs := newCSRServer(t, hub.ConnectionStateRecovery{MaxLogBytes: 4096})
	s, pid, off := lost(t, cs)
	big := strings.Repeat("x", 1000)
	for range 10 { // 10 KB through a 4 KiB log: the client's offset is gone
		success(t, cs.srv.Emit("big", big))
	}
	c2 := dial(t, cs.url, "")
	sid, _, before := connectCSR(t, c2, recoveryAuth(pid, off))
	if sid == s.ID() || len(before) != 0 || recv(t, cs.sockets).Recovered() {
		t.Errorf("recovered with events missing from the log")
	}
}

func TestRecoveryRunMiddlewares(t *testing.T) {
	t.Parallel()
	cs := newCSRServer(t, hub.ConnectionStateRecovery{RunMiddlewares: true})
	s, pid, off := lost(t, cs)

	// Middleware refusing the recovering socket: connect_error, and the id is free again.
	c2 := dial(t, cs.url, "")
	var auth map[string]any
	success(t, json.Unmarshal([]byte(recoveryAuth(pid, off)), &auth))
	auth["refuse"] = true
	b, _ := json.Marshal(auth)
	c2.send("40" + string(b))
	equal(t, "refused", c2.nextText(), `44{"message":"refused"}`)
	equal(t, "middlewares", cs.middlewares.Load(), int32(2))

	sid, _, _ := connectCSR(t, c2, recoveryAuth(pid, off))
	equal(t, "sid", sid, s.ID())
	equal(t, "recovered", recv(t, cs.sockets).Recovered(), true)
	equal(t, "middlewares", cs.middlewares.Load(), int32(3))
}

// TestRecoveryExactlyOnce recovers a client while a broadcaster sends numbered events
// without pause: each must arrive exactly once and in order, whether the client got it
// before losing its connection, in the replay, or live after it.
func TestRecoveryExactlyOnce(t *testing.T) {
	t.Parallel()
	cs := newCSRServer(t, hub.ConnectionStateRecovery{})
	c := dial(t, cs.url, "")
	_, pid, _ := connectCSR(t, c, "")
	recv(t, cs.sockets)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := cs.srv.To("room1").Emit("n", i); err != nil {
				t.Error(err)
				return
			}
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // let the client keep up
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var got []int
	var off string
	read := func(c *wsClient, frame string) {
		a := event(t, frame)
		got = append(got, int(a[1].(float64)))
		off = a[2].(string)
	}
	for len(got) < 200 {
		if f := c.nextText(); strings.HasPrefix(f, "42") {
			read(c, f)
		}
	}
	c.close()
	recv(t, cs.reasons)
	c2 := dial(t, cs.url, "")
	_, _, before := connectCSR(t, c2, recoveryAuth(pid, off))
	for _, f := range before {
		read(c2, f)
	}
	equal(t, "recovered", recv(t, cs.sockets).Recovered(), true)
	for n := len(got) + 300; len(got) < n; {
		if f := c2.nextText(); strings.HasPrefix(f, "42") {
			read(c2, f)
		}
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("event %d is number %d; want every number once, in order (got %v…)", i, n, got[max(0, i-3):min(len(got), i+3)])
		}
	}
	if !slices.IsSorted(got) {
		t.Fatal("out of order")
	}
}

func TestRecoveryOffWire(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	c := dial(t, url, "")
	c.connect("/", `{"pid":"p","offset":"0"}`) // exactly a sid
	s := recv(t, sockets)
	equal(t, "recovered", s.Recovered(), false)
	success(t, s.Emit("hello", "world"))
	equal(t, "no offset", c.nextText(), `42["hello","world"]`)
}

// TestRecoveryCatchesUp sends events while a recovering socket's middleware runs: they went
// out after the session was restored and before the socket was live, and must be replayed.
func TestRecoveryCatchesUp(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, &hub.Options{ConnectionStateRecovery: &hub.ConnectionStateRecovery{RunMiddlewares: true}})
	inMiddleware, release := make(chan struct{}), make(chan struct{})
	srv.Use(func(s *hub.Socket) error {
		if s.Recovered() {
			inMiddleware <- struct{}{}
			<-release
		}
		return nil
	})
	sockets, gone := make(chan *hub.Socket, 2), make(chan hub.DisconnectReason, 2)
	srv.OnConnection(func(s *hub.Socket) {
		s.Join("r")
		s.OnDisconnect(func(r hub.DisconnectReason) { gone <- r })
		sockets <- s
	})
	c := dial(t, url, "")
	_, pid, _ := connectCSR(t, c, "")
	s := recv(t, sockets)
	success(t, s.Emit("e", 0))
	off := lastOffset(t, c.nextText())
	c.close()
	recv(t, gone)
	success(t, srv.To("r").Emit("e", 1))

	c2 := dial(t, url, "")
	c2.send("40" + recoveryAuth(pid, off))
	recv(t, inMiddleware)
	success(t, srv.To("r").Emit("e", 2))
	success(t, srv.Emit("e", 3))
	close(release)
	for i := 1; i <= 3; i++ {
		equal(t, "replayed", event(t, c2.nextText())[1], any(float64(i)))
	}
	hasPrefix(t, "CONNECT reply", c2.nextText(), `40{"sid":"`+s.ID()+`"`)
	s2 := recv(t, sockets)
	success(t, srv.To("r").Emit("e", 4))
	equal(t, "live", event(t, c2.nextText())[1], any(4.0))
	equal(t, "recovered", s2.Recovered(), true)
}
