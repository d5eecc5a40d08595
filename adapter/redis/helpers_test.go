package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
	"github.com/hubkit/hub/internal/leakcheck"
)

// shared is the redis-server most tests use, each with its own key prefix.
var shared *redisServer

func TestMain(m *testing.M) {
	var err error
	if shared, err = startRedis(0); err != nil {
		fmt.Fprintln(os.Stderr, "redis-server:", err)
		os.Exit(1)
	}
	// leakcheck.Main exits; the server is killed with us (Pdeathsig) and stopped here when
	// the tests pass.
	defer shared.stop()
	leakcheck.Main(m)
}

// redisServer is a redis-server process of the tests' own on a loopback port.
type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// startRedis starts redis-server on port (a free one when 0) and waits until it answers.
func startRedis(port int) (*redisServer, error) {
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	r := &redisServer{port: port}
	return r, r.start()
}

func (r *redisServer) start() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bin = "/usr/bin/redis-server"
	}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", os.TempDir())
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.addr(), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			r.stop()
			return fmt.Errorf("redis-server on port %d did not answer: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a process we cannot be notified by
	}
}

func (r *redisServer) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

func newKey() string {
	var b [4]byte
	rand.Read(b[:])
	return "test-" + hex.EncodeToString(b[:])
}

func newRedisClient(t testing.TB, addr string) *goredis.Client {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// node is one hub server of a test cluster.
type node struct {
	srv *hub.Server
	ts  *httptest.Server
	rdb *goredis.Client
	log *logBuffer
}

func (n *node) url() string { return n.ts.URL }

func (n *node) adapter(t testing.TB, nsp string) *redis.Adapter {
	t.Helper()
	a, ok := n.srv.Of(nsp).Adapter().(*redis.Adapter)
	if !ok {
		t.Fatalf("adapter of %s is %T", nsp, n.srv.Of(nsp).Adapter())
	}
	return a
}

// newNode starts a hub server using the Redis adapter on addr with opts; setup registers
// handlers before it serves.
func newNode(t testing.TB, addr string, opts redis.Options, setup func(srv *hub.Server)) *node {
	t.Helper()
	n := &node{rdb: newRedisClient(t, addr), log: &logBuffer{}}
	opts.Logger = slog.New(slog.NewTextHandler(n.log, nil))
	n.srv = hub.New(&hub.Options{Adapter: redis.NewAdapter(n.rdb, &opts), Logger: opts.Logger})
	if setup != nil {
		setup(n.srv)
	}
	n.ts = httptest.NewServer(n.srv)
	t.Cleanup(func() {
		n.srv.Close()
		n.ts.Close()
	})
	return n
}

// cluster starts count hub servers sharing a fresh key prefix on the shared Redis. Every
// server joins a connecting socket to the rooms named in its "rooms" query parameter and
// keeps its "user" parameter as its data.
func cluster(t testing.TB, count int, opts redis.Options) []*node {
	t.Helper()
	if opts.Key == "" {
		opts.Key = newKey()
	}
	nodes := make([]*node, count)
	for i := range nodes {
		nodes[i] = newNode(t, shared.addr(), opts, joinFromQuery)
	}
	waitServers(t, nodes[0], "/", count)
	return nodes
}

func joinFromQuery(srv *hub.Server) {
	use := func(s *hub.Socket) error {
		q := s.Handshake().Query
		if rooms := q.Get("rooms"); rooms != "" {
			s.Join(strings.Split(rooms, ",")...)
		}
		if u := q.Get("user"); u != "" {
			s.SetData(map[string]any{"user": u})
		}
		return nil
	}
	srv.Use(use)
	srv.Of("/admin").Use(use)
}

// waitServers waits until count servers subscribe to namespace nsp.
func waitServers(t testing.TB, n *node, nsp string, count int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d servers on %s", count, nsp), func() bool {
		got, err := n.adapter(t, nsp).ServerCount(context.Background())
		return err == nil && got == count
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logBuffer collects a node's logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// --- a raw Socket.IO v5 client over WebSocket ---

// event is an event a test client received.
type event struct {
	name string
	args []json.RawMessage
	atts [][]byte
}

func (e event) arg(i int) string {
	if i >= len(e.args) {
		return ""
	}
	return string(e.args[i])
}

// sioClient is a minimal Socket.IO client for the tests: one namespace over WebSocket, events
// into a channel, acknowledgements answered by ackWith.
type sioClient struct {
	t       testing.TB
	conn    *websocket.Conn
	nsp     string
	sid     string
	events  chan event
	closed  chan struct{} // closed when the server disconnected the socket or the connection ended
	done    chan struct{} // closed when the read loop exited
	ackWith func(e event) string
	wmu     sync.Mutex
}

// dial connects a client to nsp of the server at base, with query parameters.
func dial(t testing.TB, base, nsp, query string) *sioClient {
	t.Helper()
	return dialAck(t, base, nsp, query, nil)
}

func dialAck(t testing.TB, base, nsp, query string, ackWith func(e event) string) *sioClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	if query != "" {
		u += "&" + query
	}
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	conn.SetReadLimit(1 << 24)
	c := &sioClient{t: t, conn: conn, nsp: nsp, events: make(chan event, 1024), closed: make(chan struct{}),
		done: make(chan struct{}), ackWith: ackWith}
	t.Cleanup(c.close)
	if _, open, err := conn.Read(ctx); err != nil || len(open) == 0 || open[0] != '0' {
		t.Fatalf("engine open: %q, %v", open, err)
	}
	prefix := "40"
	if nsp != "/" {
		prefix += nsp + ","
	}
	c.write(prefix)
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		s := string(msg)
		if s == "2" {
			c.write("3")
			continue
		}
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("connect: got %q", s)
		}
		var body struct {
			SID string `json:"sid"`
		}
		json.Unmarshal([]byte(strings.TrimPrefix(s, prefix)), &body)
		c.sid = body.SID
		break
	}
	go c.readLoop()
	return c
}

func (c *sioClient) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.conn.Write(ctx, websocket.MessageText, []byte(s))
}

func (c *sioClient) close() {
	c.conn.Close(websocket.StatusNormalClosure, "")
	<-c.done
}

func (c *sioClient) readLoop() {
	defer close(c.done)
	closedOnce := sync.OnceFunc(func() { close(c.closed) })
	defer closedOnce()
	var pending *event
	var pendingID string
	var want int
	for {
		typ, msg, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		if typ == websocket.MessageBinary {
			if pending != nil {
				pending.atts = append(pending.atts, msg)
				if len(pending.atts) == want {
					c.deliver(*pending, pendingID)
					pending = nil
				}
			}
			continue
		}
		s := string(msg)
		switch {
		case s == "2":
			c.write("3")
			continue
		case strings.HasPrefix(s, "41"):
			closedOnce()
			continue
		case !strings.HasPrefix(s, "4"):
			continue
		}
		p := s[1:]
		ptype := p[0]
		p = p[1:]
		n := 0
		if ptype == '5' || ptype == '6' {
			i := strings.IndexByte(p, '-')
			n, _ = strconv.Atoi(p[:i])
			p = p[i+1:]
		}
		if strings.HasPrefix(p, "/") {
			i := strings.IndexByte(p, ',')
			p = p[i+1:]
		}
		i := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		id, data := p[:i], p[i:]
		if ptype != '2' && ptype != '5' {
			continue
		}
		var raw []json.RawMessage
		if json.Unmarshal([]byte(data), &raw) != nil || len(raw) == 0 {
			continue
		}
		var name string
		json.Unmarshal(raw[0], &name)
		e := event{name: name, args: raw[1:]}
		if n > 0 {
			pending, pendingID, want = &e, id, n
			continue
		}
		c.deliver(e, id)
	}
}

func (c *sioClient) deliver(e event, id string) {
	if id != "" && c.ackWith != nil {
		prefix := "43"
		if c.nsp != "/" {
			prefix += c.nsp + ","
		}
		c.write(prefix + id + "[" + c.ackWith(e) + "]")
	}
	select {
	case c.events <- e:
	default:
		c.t.Errorf("client %s: event queue full", c.sid)
	}
}

// emit sends an event with JSON arguments.
func (c *sioClient) emit(name string, jsonArgs ...string) {
	prefix := "42"
	if c.nsp != "/" {
		prefix += c.nsp + ","
	}
	b, _ := json.Marshal(name)
	c.write(prefix + "[" + strings.Join(append([]string{string(b)}, jsonArgs...), ",") + "]")
}

// next returns the next event, failing the test after d.
func (c *sioClient) next(d time.Duration) event {
	c.t.Helper()
	select {
	case e := <-c.events:
		return e
	case <-time.After(d):
		c.t.Fatalf("client %s: no event within %v", c.sid, d)
		return event{}
	}
}

// expect returns the next event, which must be called name.
func (c *sioClient) expect(name string) event {
	c.t.Helper()
	e := c.next(5 * time.Second)
	if e.name != name {
		c.t.Fatalf("client %s: got event %q %v; want %q", c.sid, e.name, e.args, name)
	}
	return e
}

// none asserts that no event is waiting. Callers first wait for a later event sent after
// the one that must not arrive, so that absence is proven by order, not by time.
func (c *sioClient) none() {
	c.t.Helper()
	select {
	case e := <-c.events:
		c.t.Fatalf("client %s: unexpected event %q %v", c.sid, e.name, e.args)
	default:
	}
}
