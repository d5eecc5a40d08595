package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/_examples/chat/chatapp"
	"github.com/hubkit/hub/adapter/redis"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/internal/leakcheck"
)

// redisAddr is the address of the tests' own redis-server.
var redisAddr string

func TestMain(m *testing.M) {
	stop, err := startRedis()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis-server:", err)
		os.Exit(1)
	}
	defer stop() // leakcheck.Main exits; the server is killed with us (Pdeathsig) otherwise
	leakcheck.Main(m)
}

// The chat served by two servers sharing Redis, a client on each: messages, the online list,
// nicknames and private messages cross servers, over each transport.
func TestTwoServers(t *testing.T) {
	for _, transport := range []string{client.TransportWebSocket, client.TransportSSE, client.TransportPolling} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			urlA, urlB := cluster(t)
			alice := join(t, urlA, transport, "alice")
			bob := join(t, urlB, transport, "bob")

			// Each server's own clients get the list of both servers' users.
			alice.expectOnline(alice.me, bob.me)
			bob.expectOnline(alice.me, bob.me)
			alice.expectEvent("user joined", func(ev event) bool { return ev.user(t) == bob.me })

			// A nickname taken on the other server gets a suffix, or is refused.
			carol := join(t, urlB, transport, "Alice")
			if carol.me.Nickname != "Alice (2)" {
				t.Errorf("joined server B with nickname Alice (alice is on A) as %q; want %q", carol.me.Nickname, "Alice (2)")
			}
			if r := bob.ack("set nickname", "ALICE"); r.OK || !strings.Contains(r.Error, "taken") {
				t.Errorf("bob on B set nickname ALICE (alice is on A): %+v; want taken", r)
			}

			alice.emit("chat message", "hello from A")
			for _, p := range []*peer{bob, carol} {
				ev := p.expectEvent("chat message", func(ev event) bool { return ev.str(0) == "hello from A" })
				var m chatapp.Message
				ev.decode(t, 1, &m)
				if want := (chatapp.Message{From: "alice", FromID: alice.me.ID, Text: "hello from A"}); m != want {
					t.Errorf("%s got sender %+v; want %+v", p.me.Nickname, m, want)
				}
			}
			bob.emit("chat message", "hello from B")
			alice.expectEvent("chat message", func(ev event) bool { return ev.str(0) == "hello from B" })

			// A private message from B to A, by nickname and by id, reaches alice only.
			for _, to := range []string{"ALICE", alice.me.ID} {
				r := bob.ack("private message", to, "psst "+to)
				if !r.OK || r.To == nil || *r.To != alice.me {
					t.Fatalf("bob on B: private message to %q: %+v; want ok, to %+v", to, r, alice.me)
				}
				var m chatapp.Message
				alice.expectEvent("private message", func(ev event) bool {
					ev.decode(t, 0, &m)
					return m.Text == "psst "+to
				})
				if want := (chatapp.Message{From: "bob", FromID: bob.me.ID, To: "alice", ToID: alice.me.ID, Text: "psst " + to}); m != want {
					t.Errorf("alice got %+v; want %+v", m, want)
				}
			}
			// Had carol been sent a private message, she would have got it before this
			// broadcast, which bob sent after his acks came back.
			bob.emit("chat message", "flush")
			carol.expectEvent("chat message", func(ev event) bool { return ev.str(0) == "flush" })
			if carol.seen("private message") {
				t.Error("carol got a private message meant for alice")
			}

			// A rename on B reaches A, and the lists.
			if r := bob.ack("set nickname", "robert"); !r.OK {
				t.Fatalf("bob set nickname robert: %+v", r)
			}
			alice.expectEvent("user renamed", func(ev event) bool {
				var m map[string]string
				ev.decode(t, 0, &m)
				return m["id"] == bob.me.ID && m["from"] == "bob" && m["to"] == "robert"
			})
			robert := chatapp.User{ID: bob.me.ID, Nickname: "robert"}
			alice.expectOnline(alice.me, carol.me, robert)
			bob.expectOnline(alice.me, carol.me, robert)

			// Leaving B is seen on A.
			bob.close()
			alice.expectEvent("user left", func(ev event) bool { return ev.user(t) == robert })
			alice.expectOnline(alice.me, carol.me)
			carol.expectOnline(alice.me, carol.me)
		})
	}
}

// run serves the chat with the Redis adapter and the "io" cookie, and shuts down when its
// context is done.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", redisAddr, func(a net.Addr) { addr <- a.String() }) }()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v", err)
	}

	res, err := http.Get(url + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if i := slices.IndexFunc(res.Cookies(), func(c *http.Cookie) bool { return c.Name == "io" }); i < 0 {
		t.Errorf("handshake response sets cookies %v; want io", res.Cookies())
	}
	p := join(t, url, client.TransportWebSocket, "alice")
	p.expectOnline(p.me)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of its context being done")
	}
}

// run fails at once, naming Redis, when Redis does not answer.
func TestRunNoRedis(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := l.Addr().String()
	l.Close()
	err = run(context.Background(), "127.0.0.1:0", deadAddr, func(net.Addr) { t.Error("run listened without Redis") })
	if err == nil || !strings.Contains(err.Error(), "redis at "+deadAddr) {
		t.Errorf("run with no Redis at %s: %v; want an error naming it", deadAddr, err)
	}
}

// cluster starts two chat servers sharing a fresh key prefix on the tests' Redis, and
// returns their URLs once each sees the other.
func cluster(t *testing.T) (urlA, urlB string) {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	key := "chat-test-" + hex.EncodeToString(b[:])
	var urls []string
	for range 2 {
		rdb := goredis.NewClient(&goredis.Options{Addr: redisAddr, MaxRetries: -1, DialTimeout: time.Second})
		srv, handler := chatapp.New(&hub.Options{Adapter: redis.NewAdapter(rdb, &redis.Options{Key: key})})
		ts := httptest.NewServer(handler)
		t.Cleanup(func() {
			srv.Close()
			ts.Close()
			rdb.Close()
		})
		// Subscribing is asynchronous: until both servers are subscribed, a FetchSockets
		// would not wait for the other's answer.
		adapter := srv.Of("/").Adapter()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := adapter.ServerCount(context.Background())
			if err == nil && n == len(urls)+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d: %d servers subscribed (%v); want %d", len(urls)+1, n, err, len(urls)+1)
			}
			time.Sleep(10 * time.Millisecond) // Redis cannot notify us of a subscription
		}
		urls = append(urls, ts.URL)
	}
	return urls[0], urls[1]
}

// A peer is a chat client that records every event it receives.
type peer struct {
	t  *testing.T
	s  *client.Socket
	me chatapp.User // from "welcome"

	mu     sync.Mutex
	events []event       // guarded by mu
	more   chan struct{} // signalled after each event
}

type event struct {
	name string
	args []json.RawMessage
}

// join connects a client to url over transport with nickname in its auth payload, and reads
// its welcome.
func join(t *testing.T, url, transport, nickname string) *peer {
	t.Helper()
	m, err := client.NewManager(url, &client.Options{
		Transports:          []string{transport},
		Auth:                map[string]string{"nickname": nickname},
		DisableReconnection: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p := &peer{t: t, s: m.Socket("/", nil), more: make(chan struct{}, 1)}
	p.s.OnAny(func(name string, args client.Args) {
		ev := event{name: name}
		for i := range args.Len() {
			ev.args = append(ev.args, slices.Clone(args.Raw(i)))
		}
		p.mu.Lock()
		p.events = append(p.events, ev)
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.s.Connect(ctx); err != nil {
		t.Fatalf("connect over %s: %v", transport, err)
	}
	p.expectEvent("welcome", func(ev event) bool { return true }).decode(t, 0, &p.me)
	if p.me.ID != p.s.ID() {
		t.Fatalf("welcome id %q; want the socket's id %q", p.me.ID, p.s.ID())
	}
	return p
}

// await waits up to 5s for cond to hold of the events received so far; cond runs on the
// test's goroutine, without p.mu.
func (p *peer) await(cond func(events []event) bool) bool {
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	for {
		p.mu.Lock()
		events := p.events[:len(p.events):len(p.events)]
		p.mu.Unlock()
		if cond(events) {
			return true
		}
		select {
		case <-p.more:
		case <-timer.C:
			return false
		}
	}
}

// expectEvent waits for an event called name for which match returns true, and returns it.
func (p *peer) expectEvent(name string, match func(event) bool) event {
	p.t.Helper()
	var found event
	if !p.await(func(events []event) bool {
		i := slices.IndexFunc(events, func(ev event) bool { return ev.name == name && match(ev) })
		if i >= 0 {
			found = events[i]
		}
		return i >= 0
	}) {
		p.t.Fatalf("%s: no matching %q event within 5s; got %v", p.me.Nickname, name, p.names())
	}
	return found
}

// expectOnline waits until the last "online" list received is want.
func (p *peer) expectOnline(want ...chatapp.User) {
	p.t.Helper()
	var last []chatapp.User
	if !p.await(func(events []event) bool {
		for i := len(events) - 1; i >= 0; i-- {
			if events[i].name == "online" {
				last = nil
				events[i].decode(p.t, 0, &last)
				return slices.Equal(last, want)
			}
		}
		return false
	}) {
		p.t.Fatalf("%s: online list %+v; want %+v", p.me.Nickname, last, want)
	}
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

// seen reports whether an event called name has arrived.
func (p *peer) seen(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.events, func(ev event) bool { return ev.name == name })
}

func (p *peer) names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var names []string
	for _, ev := range p.events {
		names = append(names, ev.name)
	}
	return names
}

func (p *peer) close() { p.s.Close() }

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

func (ev event) user(t *testing.T) chatapp.User {
	var u chatapp.User
	ev.decode(t, 0, &u)
	return u
}

// startRedis starts redis-server on a free loopback port, as adapter/redis's tests do, and
// waits until it answers.
func startRedis() (stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bin = "/usr/bin/redis-server"
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", os.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	redisAddr = "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", redisAddr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server on %s did not answer: %v", redisAddr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a process we cannot be notified by
	}
}
