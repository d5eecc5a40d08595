package hub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hubkit/hub"
)

// reasonServer records, for every socket of "/" and "/admin", the rooms it had when
// disconnecting and its disconnect reason.
func reasonServer(t *testing.T, opts *hub.Options) (*hub.Server, string, chan *hub.Socket, chan string) {
	srv, url := newServer(t, opts)
	sockets := make(chan *hub.Socket, 4)
	reasons := make(chan string, 4)
	onConn := func(s *hub.Socket) {
		s.Join("room")
		s.OnDisconnecting(func(r hub.DisconnectReason) {
			if !strings.Contains(strings.Join(s.Rooms(), ","), "room") {
				t.Errorf("disconnecting: rooms %v lack %q", s.Rooms(), "room")
			}
		})
		s.OnDisconnect(func(r hub.DisconnectReason) {
			if len(s.Rooms()) != 0 {
				t.Errorf("disconnect: still in rooms %v", s.Rooms())
			}
			if s.Connected() {
				t.Errorf("disconnect: still connected")
			}
			reasons <- s.Namespace().Name() + " " + string(r)
		})
		sockets <- s
	}
	srv.OnConnection(onConn)
	srv.Of("/admin").OnConnection(onConn)
	return srv, url, sockets, reasons
}

func TestDisconnectByClient(t *testing.T) {
	t.Parallel()
	srv, url, sockets, reasons := reasonServer(t, nil)
	c := dial(t, url, "")
	c.connect("/", "")
	c.connect("/admin", "")
	recv(t, sockets)
	recv(t, sockets)
	c.send("41/admin,")
	equal(t, "reason", recv(t, reasons), "/admin client namespace disconnect")
	// The connection stays open; the namespace may be joined again.
	c.connect("/admin", "")
	recv(t, sockets)
	equal(t, "sockets of /admin", len(srv.Of("/admin").Sockets()), 1)
	c.closeClean()
	got := []string{recv(t, reasons), recv(t, reasons)}
	if !(got[0] == "/ transport close" && got[1] == "/admin transport close") && !(got[1] == "/ transport close" && got[0] == "/admin transport close") {
		t.Errorf("reasons: got %q; want transport close for both namespaces", got)
	}
}

// dialTwo dials a client into "/" and "/admin" of a reasonServer; it returns the client, its
// two sockets, and the server's channels of new sockets and of disconnect reasons.
func dialTwo(t *testing.T) (c *wsClient, s, admin *hub.Socket, sockets chan *hub.Socket, reasons chan string) {
	_, url, sockets, reasons := reasonServer(t, nil)
	c = dial(t, url, "")
	c.connect("/", "")
	s = recv(t, sockets)
	c.connect("/admin", "")
	admin = recv(t, sockets)
	return c, s, admin, sockets, reasons
}

func TestDisconnectByServer(t *testing.T) {
	t.Parallel()
	c, s, admin, sockets, reasons := dialTwo(t)
	admin.Disconnect(false)
	c.expect("41/admin,")
	equal(t, "reason", recv(t, reasons), "/admin server namespace disconnect")
	admin.Disconnect(false) // a second call does nothing
	errorIs(t, admin.Emit("x"), hub.ErrDisconnected)
	success(t, s.Emit("still", "here"))
	c.expect(`42["still","here"]`)

	c.connect("/admin", "")
	recv(t, sockets)
	s.Disconnect(true)
	frames := c.waitClosed()
	if len(frames) != 2 || !strings.HasPrefix(frames[0], "41") || !strings.HasPrefix(frames[1], "41") {
		t.Errorf("frames before close: got %q; want a DISCONNECT per namespace", frames)
	}
	for range 2 {
		_, reason, _ := strings.Cut(recv(t, reasons), " ")
		equal(t, "reason", reason, "server namespace disconnect")
	}
}

// CloseConn closes the connection as Node's socket.conn.close(): what was queued goes first,
// no DISCONNECT packet, and every socket of the client disconnects with "forced close".
func TestCloseConn(t *testing.T) {
	t.Parallel()
	c, s, _, _, reasons := dialTwo(t)
	success(t, s.Emit("bye"))
	s.CloseConn()
	frames := c.waitClosed()
	if len(frames) != 1 || frames[0] != `42["bye"]` {
		t.Errorf("frames before close: got %q; want the queued event and no DISCONNECT", frames)
	}
	for range 2 {
		_, reason, _ := strings.Cut(recv(t, reasons), " ")
		equal(t, "reason", hub.DisconnectReason(reason), hub.ReasonForcedClose)
	}
	errorIs(t, s.Emit("x"), hub.ErrDisconnected)
}

func TestDisconnectProtocolViolations(t *testing.T) {
	t.Parallel()
	srv, url, sockets, reasons := reasonServer(t, nil)
	bystander := dial(t, url, "")
	bystander.connect("/", "")
	recv(t, sockets)
	for _, tc := range []struct {
		name, packet, reason string
	}{
		{"not an Engine.IO packet", "x", "parse error"},
		{"a ping from the client (wrong heartbeat direction)", "2", "transport error"},
		{"second CONNECT", "40", "forced close"},
		{"packet for a namespace not joined", `42/other,["x"]`, "forced close"},
		{"DISCONNECT for a namespace not joined", "41/other,", "forced close"},
		{"CONNECT_ERROR from the client", `44{"message":"x"}`, "forced close"},
		{"event payload not an array", `42{}`, "forced close"},
		{"bad JSON", `42abc`, "forced close"},
		{"unknown packet type", `49`, "forced close"},
		{"reserved event name", `42["disconnect"]`, "forced close"},
		{"DISCONNECT with a payload", `41{}`, "forced close"},
		{"binary packet without count", `45["x"]`, "forced close"},
		{"stray binary data", "\x00binary", "forced close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, url, "")
			c.connect("/", "")
			recv(t, sockets)
			if strings.HasPrefix(tc.packet, "\x00") {
				c.sendBinary([]byte(tc.packet))
			} else {
				c.send(tc.packet)
			}
			c.waitClosed()
			equal(t, "reason", recv(t, reasons), "/ "+tc.reason)
		})
	}
	// Nobody else was affected.
	success(t, srv.Emit("still", "fine"))
	bystander.expect(`42["still","fine"]`)
}

func TestDisconnectPingTimeout(t *testing.T) {
	t.Parallel()
	_, url, sockets, reasons := reasonServer(t, &hub.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	c := dial(t, url, "")
	c.noPong.Store(true)
	c.connect("/", "")
	recv(t, sockets)
	equal(t, "reason", recv(t, reasons), "/ ping timeout")
}

func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	_, url, sockets, _ := reasonServer(t, &hub.Options{ConnectTimeout: 100 * time.Millisecond})
	idle := dial(t, url, "")
	joined := dial(t, url, "")
	joined.connect("/", "")
	s := recv(t, sockets)
	idle.waitClosed()
	// A client that joined in time is not affected, even after leaving its namespace.
	joined.send("41")
	success(t, s.Namespace().Server().Of("/admin").Emit("x")) // unrelated
	joined.connect("/admin", "")
	recv(t, sockets)
	joined.send(`42/admin,["ping"]`)
	select {
	case <-joined.done:
		t.Fatal("the joined client was disconnected")
	default:
	}
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	srv, url, sockets, reasons := reasonServer(t, nil)
	c := dial(t, url, "")
	c.connect("/", "")
	s := recv(t, sockets)
	blocked := make(chan struct{})
	s.On("block", func() {
		close(blocked)
		<-s.Context().Done() // a handler that watches its context
	})
	c.send(`42["block"]`)
	<-blocked
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	success(t, srv.Shutdown(ctx))
	equal(t, "reason", recv(t, reasons), "/ server shutting down")
	c.waitClosed()
	errorIs(t, context.Cause(s.Context()), hub.ErrDisconnected)
}

func TestHandlersRunInOrderOffTheReadPath(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	order := make(chan string, 8)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("first", func() {
			// Blocks this client's handlers until the client answers; the answer is read
			// meanwhile, since handlers run off the read path.
			a, err := s.EmitWithAck(context.Background(), "question")
			if err != nil {
				order <- err.Error()
				return
			}
			var n int
			a.Decode(0, &n)
			order <- "first " + string(rune('0'+n))
		})
		s.On("second", func() { order <- "second" })
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`42["first"]`)
	c.send(`42["second"]`)
	c.expect(`420["question"]`)
	c.send(`430[7]`)
	equal(t, "1", recv(t, order), "first 7")
	equal(t, "2", recv(t, order), "second")
}

func TestEventsBeforeDisconnectAreHandled(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	order := make(chan string, 8)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("a", func(n int) { order <- "a" })
		s.OnDisconnect(func(r hub.DisconnectReason) { order <- string(r) })
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`42["a",1]`)
	c.send(`42["a",2]`)
	c.send(`41`)
	equal(t, "1", recv(t, order), "a")
	equal(t, "2", recv(t, order), "a")
	equal(t, "3", recv(t, order), "client namespace disconnect")
}

func TestSlowHandlersDisconnectAFloodingClient(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, &hub.Options{MaxHTTPBufferSize: 1000})
	started := make(chan *hub.Socket)
	release := make(chan struct{})
	t.Cleanup(func() { // before the server's cleanup, which waits for handlers
		select {
		case <-release:
		default:
			close(release)
		}
	})
	reasons := make(chan string, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("block", func() {
			started <- s
			<-release
		})
		s.On("fill", func(string) {})
		s.OnDisconnect(func(r hub.DisconnectReason) { reasons <- string(r) })
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`42["block"]`)
	s := recv(t, started)
	fill := `42["fill","` + strings.Repeat("x", 980) + `"]`
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for range 200 { // far more than the handler queue holds while "block" runs
		if c.conn.Write(ctx, websocket.MessageText, []byte(fill)) != nil {
			break
		}
	}
	select { // the socket is disconnected while its handler still runs
	case <-s.Context().Done():
	case <-time.After(waitFor):
		t.Fatal("the flooding client is still connected")
	}
	if cause := context.Cause(s.Context()); !strings.Contains(cause.Error(), "forced close") {
		t.Errorf("cause: got %v; want the reason forced close", cause)
	}
	close(release)
	equal(t, "reason", recv(t, reasons), "forced close")
}

func TestMiddlewareSeesTheClientGo(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	started := make(chan struct{})
	ended := make(chan error, 1)
	srv.Use(func(s *hub.Socket) error {
		close(started)
		<-s.Context().Done() // a slow check, cut short when the client leaves
		ended <- context.Cause(s.Context())
		return s.Context().Err()
	})
	c := dial(t, url, "")
	c.send("40")
	<-started
	c.closeClean()
	errorIs(t, recv(t, ended), hub.ErrDisconnected)
}
