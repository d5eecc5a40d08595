package client_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/internal/testenv"
)

// TestConnectionStateRecovery runs against the Node server and hub, each with connection
// state recovery on: after a lost connection the socket gets its id and rooms back, and the
// events it missed.
func TestConnectionStateRecovery(t *testing.T) {
	t.Parallel()
	if _, err := testenv.LookNode("socket.io"); err == nil || testenv.Required() {
		t.Run("node", func(t *testing.T) {
			t.Parallel()
			node, err := startNode("--csr")
			if err != nil {
				t.Fatalf("starting the Node server: %v (run `npm ci --prefix js`)", err)
			}
			defer node.stop()
			testRecovery(t, node.url)
		})
	}
	t.Run("hub", func(t *testing.T) {
		t.Parallel()
		app := startHub(&hub.ConnectionStateRecovery{})
		defer app.stop()
		testRecovery(t, app.http.URL)
	})
}

func testRecovery(t *testing.T, base string) {
	other := connect(t, base, "/", nil, nil)
	o := &client.Options{
		Transports:          []string{client.TransportWebSocket},
		ReconnectionDelay:   300 * time.Millisecond, // long enough for the event it will miss
		RandomizationFactor: -1,
		Query:               url.Values{"cid": {t.Name()}}, // lets the hub app cut the connection
	}
	var (
		news     <-chan string
		reasons  <-chan client.DisconnectReason
		connects = make(chan bool, 4)
	)
	var s *client.Socket
	s = connect(t, base, "/", o, func(sock *client.Socket) {
		news = on[string](sock, "news")
		reasons = disconnects(sock)
		sock.On("connect", func() { connects <- sock.Recovered() })
	})
	if recv(t, connects) {
		t.Fatal("first connection reported as recovered")
	}
	id := s.ID()
	_, err := s.EmitWithAck(ctxFor(t), "join", "csr-room")
	must(t, err)
	must(t, other.Emit("to-room", "csr-room", "news", "before"))
	if got := recv(t, news); got != "before" {
		t.Fatalf("news %q", got)
	}

	must(t, s.Emit("drop"))
	if r := recv(t, reasons); r != client.ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	// While s is away (its reconnection waits 300ms), the room gets news.
	must(t, other.Emit("to-room", "csr-room", "news", "missed"))
	if !recv(t, connects) {
		t.Fatal("reconnection not recovered")
	}
	if s.ID() != id || !s.Recovered() {
		t.Errorf("id %q after recovery (was %q), Recovered() = %v", s.ID(), id, s.Recovered())
	}
	if got := recv(t, news); got != "missed" {
		t.Fatalf("after recovery got %q; want the missed event", got)
	}
}
