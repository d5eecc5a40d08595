package hub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// observed records what an Observer is told: a count per event ("open polling", "socket+
// /"…) and the messages and bytes received and sent.
type observed struct {
	mu      sync.Mutex
	counts  map[string]int
	recv    [2]int // messages, bytes
	sent    [2]int
	changed chan struct{}
}

func newObserved() *observed {
	return &observed{counts: make(map[string]int), changed: make(chan struct{}, 1)}
}

func (o *observed) add(key string, f func()) {
	o.mu.Lock()
	if key != "" {
		o.counts[key]++
	}
	if f != nil {
		f()
	}
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *observed) observer() *hub.Observer {
	return &hub.Observer{
		ConnectionOpened:  func(tr string) { o.add("open "+tr, nil) },
		ConnectionClosed:  func(tr string, r hub.DisconnectReason) { o.add(fmt.Sprintf("close %s %s", tr, r), nil) },
		ConnectionRefused: func(code int) { o.add(fmt.Sprintf("refused %d", code), nil) },
		Upgraded:          func(from, to string) { o.add("upgrade "+from+">"+to, nil) },
		SocketConnected:   func(ns string) { o.add("socket+ "+ns, nil) },
		SocketDisconnected: func(ns string, r hub.DisconnectReason) {
			o.add(fmt.Sprintf("socket- %s %s", ns, r), nil)
		},
		Received: func(tr string, n, b int) {
			o.add("", func() { o.recv[0] += n; o.recv[1] += b })
		},
		Sent: func(tr string, n, b int) {
			o.add("", func() { o.sent[0] += n; o.sent[1] += b })
		},
		Dropped:    func(tr string, n int) { o.add(fmt.Sprintf("dropped %s %d", tr, n), nil) },
		SlowClient: func(q string) { o.add("slow "+q, nil) },
		AckTimeout: func(ns string) { o.add("ack-timeout "+ns, nil) },
	}
}

// wait returns once every key has been counted at least once.
func (o *observed) wait(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		o.waitN(t, k, 1)
	}
}

// waitN returns once key has been counted n times.
func (o *observed) waitN(t *testing.T, key string, n int) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		o.mu.Lock()
		missing := ""
		if o.counts[key] < n {
			missing = key
		}
		seen := fmt.Sprint(o.counts)
		o.mu.Unlock()
		if missing == "" {
			return
		}
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("the Observer was not told %q %d times; it saw %s", missing, n, seen)
		}
	}
}

func (o *observed) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[key]
}

// A client's life as an Observer sees it: its connection on polling, the upgrade, its
// socket, messages both ways, and both ends.
func TestObserverSeesAClientsLife(t *testing.T) {
	t.Parallel()
	obs := newObserved()
	srv, url := newServer(t, &hub.Options{Observer: obs.observer()})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("echo", func(msg string, ack hub.Ack) { ack(msg) })
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := client.Dial(ctx, url, &client.Options{Transports: []string{client.TransportPolling, client.TransportWebSocket}})
	success(t, err)
	obs.wait(t, "open polling", "socket+ /", "upgrade polling>websocket")
	answer, err := c.EmitWithAck(ctx, "echo", strings.Repeat("x", 100))
	success(t, err)
	equal(t, "answer", answer.Len(), 1)
	c.Close()
	obs.wait(t, "socket- / client namespace disconnect", "close websocket transport close")

	obs.mu.Lock()
	defer obs.mu.Unlock()
	// In: the CONNECT and the event; out: the CONNECT reply and the acknowledgement.
	if obs.recv[0] < 2 || obs.recv[1] < 100 || obs.sent[0] < 2 || obs.sent[1] < 100 {
		t.Errorf("received %v, sent %v (messages, bytes); want at least 2 messages and 100 bytes each way", obs.recv, obs.sent)
	}
	if n := obs.counts["open polling"] + obs.counts["open websocket"]; n != 1 {
		t.Errorf("%d connections opened; want 1", n)
	}
}

// Refused requests are counted by code; acknowledgements that do not come in time, by
// namespace, a dynamic child's under its parent's name.
func TestObserverCountsRefusalsAndAckTimeouts(t *testing.T) {
	t.Parallel()
	obs := newObserved()
	srv, url := newServer(t, &hub.Options{Observer: obs.observer()})
	for q, code := range map[string]int{"EIO=3&transport=polling": 5, "EIO=4&transport=carrier-pigeon": 0} {
		resp, err := http.Get(url + "/socket.io/?" + q)
		success(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		obs.wait(t, fmt.Sprintf("refused %d", code))
	}

	parent := srv.OfPattern(regexp.MustCompile(`^/d-[0-9]+$`))
	sockets := make(chan *hub.Socket, 1)
	parent.OnConnection(func(s *hub.Socket) { sockets <- s })
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	m, err := client.NewManager(url, nil)
	success(t, err)
	defer m.Close()
	success(t, m.Socket("/d-1", nil).Connect(ctx))
	s := recv(t, sockets)
	obs.wait(t, "socket+ "+parent.Name())

	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	_, err = s.EmitWithAck(short, "unanswered") // the client has no handler: no answer
	errorIs(t, err, context.DeadlineExceeded)
	obs.wait(t, "ack-timeout "+parent.Name())
	_, err = parent.Timeout(20*time.Millisecond).EmitWithAck(ctx, "unanswered")
	errorIs(t, err, context.DeadlineExceeded)
	obs.waitN(t, "ack-timeout "+parent.Name(), 2)

	cancelled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	_, err = s.EmitWithAck(cancelled, "unanswered") // cancelled, not timed out
	errorIs(t, err, context.Canceled)
	equal(t, "ack timeouts after a cancelled wait", obs.count("ack-timeout "+parent.Name()), 2)
}

// A polling client that does not poll: a volatile event is dropped, and what is queued for
// it past MaxQueuedBytes closes its connection as a slow client.
func TestObserverCountsDropsAndSlowClients(t *testing.T) {
	t.Parallel()
	obs := newObserved()
	srv, url := newServer(t, &hub.Options{Observer: obs.observer(), MaxQueuedBytes: 64 << 10})
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	resp, err := http.Get(url + "/socket.io/?EIO=4&transport=polling")
	success(t, err)
	open, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sid := regexp.MustCompile(`"sid":"([^"]+)"`).FindSubmatch(open)
	if sid == nil {
		t.Fatalf("handshake %q: no sid", open)
	}
	resp, err = http.Post(url+"/socket.io/?EIO=4&transport=polling&sid="+string(sid[1]), "text/plain", strings.NewReader("40"))
	success(t, err)
	resp.Body.Close()
	s := recv(t, sockets)

	success(t, s.EmitVolatile("v", 1))
	obs.wait(t, "dropped polling 1")
	big := strings.Repeat("y", 16<<10)
	for i := 0; i < 10 && s.Connected(); i++ {
		s.Emit("big", big)
	}
	obs.wait(t, "slow send", "socket- / transport error", "close polling transport error")

	// A client sending faster than its handler runs.
	block := make(chan struct{})
	t.Cleanup(func() { close(block) }) // before the server's cleanup, which waits for handlers
	srv.OnConnection(func(s *hub.Socket) {
		s.On("block", func() { <-block })
		s.On("fill", func(string) {})
	})
	c := dial(t, url, "")
	c.connect("/", "")
	c.send(`42["block"]`)
	fill := `42["fill","` + strings.Repeat("x", 60<<10) + `"]`
	for i := 0; i < 400 && obs.count("slow receive") == 0; i++ {
		if c.conn.Write(context.Background(), websocket.MessageText, []byte(fill)) != nil {
			break
		}
	}
	obs.wait(t, "slow receive", "close websocket forced close")
}

// A panicking Observer func is logged; the server goes on, and so does the client.
func TestObserverPanicIsRecovered(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 64)
	srv, url := newServer(t, &hub.Options{Logger: slog.New(logs), Observer: &hub.Observer{
		Sent:            func(string, int, int) { panic("observer bug") },
		SocketConnected: func(string) { panic("observer bug") },
	}})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("echo", func(msg string, ack hub.Ack) { ack(msg) })
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := client.Dial(ctx, url, nil)
	success(t, err)
	defer c.Close()
	answer, err := c.EmitWithAck(ctx, "echo", "still here")
	success(t, err)
	var got string
	success(t, answer.Decode(0, &got))
	equal(t, "answer", got, "still here")
	for msg := ""; msg != "hub: panic in an Observer func"; {
		msg = recv(t, (<-chan string)(logs))
	}
}
