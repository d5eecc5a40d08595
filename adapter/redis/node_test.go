package redis_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
)

// nodeServer is js/redis/node-server.mjs: a Node socket.io 4.8 server with
// @socket.io/redis-adapter 8.3, driven over stdin and stdout.
type nodeServer struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  *json.Encoder
	url    string
	events chan nodeEvent
	done   chan struct{}

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan nodeReply
}

type nodeReply struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

type nodeEvent struct {
	Type string            `json:"type"`
	SID  string            `json:"sid"`
	Name string            `json:"name"`
	Args []json.RawMessage `json:"args"`
}

// startNode starts the Node server on the Redis at addr, or skips the test without node or
// the pinned packages.
func startNode(t testing.TB, addr, key string, sharded bool) *nodeServer {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: run .ci/deps")
	}
	script, _ := filepath.Abs("../../js/redis/node-server.mjs")
	if _, err := os.Stat("../../js/node_modules/@socket.io/redis-adapter"); err != nil {
		t.Fatal("js/node_modules is not installed: run npm ci --prefix js")
	}
	mode := "classic"
	if sharded {
		mode = "sharded"
	}
	n := &nodeServer{t: t, events: make(chan nodeEvent, 256), done: make(chan struct{}), waiting: make(map[int]chan nodeReply)}
	n.cmd = exec.Command(nodeBin, script, "redis://"+addr, key, mode)
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	n.cmd.Stderr = os.Stderr
	stdin, err := n.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.stdin = json.NewEncoder(stdin)
	ready := make(chan int, 1)
	go func() {
		defer close(n.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var line struct {
				Port  int        `json:"port"`
				Event *nodeEvent `json:"event"`
				nodeReply
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				continue
			}
			switch {
			case line.Port != 0:
				ready <- line.Port
			case line.Event != nil:
				select {
				case n.events <- *line.Event:
				default:
				}
			default:
				n.mu.Lock()
				ch := n.waiting[line.ID]
				delete(n.waiting, line.ID)
				n.mu.Unlock()
				if ch != nil {
					ch <- line.nodeReply
				}
			}
		}
	}()
	t.Cleanup(func() {
		n.call("close", nil)
		stdin.Close()
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			n.cmd.Process.Kill()
			<-n.done
		}
		n.cmd.Wait()
	})
	select {
	case port := <-ready:
		n.url = "http://127.0.0.1:" + strconv.Itoa(port)
	case <-n.done:
		t.Fatal("node server exited before listening")
	case <-time.After(20 * time.Second):
		t.Fatal("node server did not start")
	}
	return n
}

// call runs op with args on the Node server and decodes its result into result.
func (n *nodeServer) call(op string, args map[string]any) (json.RawMessage, error) {
	n.mu.Lock()
	n.nextID++
	id := n.nextID
	ch := make(chan nodeReply, 1)
	n.waiting[id] = ch
	n.mu.Unlock()
	cmd := map[string]any{"id": id, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	if err := n.stdin.Encode(cmd); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			return nil, fmt.Errorf("node %s: %s", op, r.Error)
		}
		return r.Result, nil
	case <-n.done:
		return nil, fmt.Errorf("node %s: the server exited", op)
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("node %s: no answer", op)
	}
}

func (n *nodeServer) must(op string, args map[string]any) json.RawMessage {
	n.t.Helper()
	r, err := n.call(op, args)
	if err != nil {
		n.t.Fatal(err)
	}
	return r
}

// nextEvent returns the next event of the given type.
func (n *nodeServer) nextEvent(typ string) nodeEvent {
	n.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-n.events:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			n.t.Fatalf("node: no %s event", typ)
		}
	}
}

type nodeSocket struct {
	ID        string         `json:"id"`
	Rooms     []string       `json:"rooms"`
	Data      map[string]any `json:"data"`
	Handshake struct {
		Query map[string]any `json:"query"`
	} `json:"handshake"`
}

// TestMixedCluster runs a hub server and a Node socket.io server with the official Redis
// adapter on one Redis, with clients on each (hub's test clients, and the official
// socket.io-client run by the Node process).
func TestMixedCluster(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		if opts.SubscriptionMode == redis.SubscriptionStatic || opts.SubscriptionMode == redis.SubscriptionDynamicPrivate {
			return // the Node server uses the default (dynamic) subscription mode: no mixed cluster
		}
		opts.Key = newKey()
		sse := make(chan string, 8)
		g := newNode(t, shared.addr(), opts, func(srv *hub.Server) {
			joinFromQuery(srv)
			srv.Of("/").OnServerSideEmit(func(event string, args hub.Args) { sse <- event + " " + args.String() })
		})
		g.srv.Of("/").OnServerSideEmitWithAck(func(event string, args hub.Args, ack hub.Ack) {
			ack(map[string]any{"from": "go", "event": event})
		})
		n := startNode(t, shared.addr(), opts.Key, opts.Sharded)
		waitServers(t, g, "/", 2)
		if c := string(n.must("serverCount", nil)); c != "2" {
			t.Fatalf("Node's server count: %s", c)
		}
		ctx := context.Background()

		qa := func(e event) string { return `"` + e.name + `-answer"` }
		g1 := dialAck(t, g.url(), "/", "rooms=red&user=g1", qa)
		n1 := dialAck(t, n.url, "/", "rooms=red&user=n1", qa)
		n2 := dialAck(t, n.url, "/", "rooms=blue&user=n2", qa)
		var o1 string // an official socket.io-client on the hub server
		json.Unmarshal(n.must("client", map[string]any{"url": g.url(), "query": map[string]string{"rooms": "blue", "user": "o1"}}), &o1)
		official := func(name string) nodeEvent {
			t.Helper()
			for {
				e := n.nextEvent("client")
				if e.SID == o1 && e.Name == name {
					return e
				}
			}
		}

		// A broadcast from the hub server reaches every client, binary intact.
		if err := g.srv.Emit("from-go", 1, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*sioClient{g1, n1, n2} {
			if e := c.expect("from-go"); e.arg(0) != "1" || len(e.atts) != 1 || string(e.atts[0]) != "\x01\x02\x03" {
				t.Fatalf("from-go: %v %q", e.args, e.atts)
			}
		}
		if e := official("from-go"); len(e.Args) != 2 || string(e.Args[0]) != "1" {
			t.Fatalf("official client: %v", e.Args)
		}

		// A broadcast from the Node server reaches every client.
		n.must("emit", map[string]any{"event": "from-node", "args": []any{"x", map[string]int{"k": 2}}, "binary": []int{9, 8}})
		for _, c := range []*sioClient{g1, n1, n2} {
			if e := c.expect("from-node"); e.arg(0) != `"x"` || e.arg(1) != `{"k":2}` || len(e.atts) != 1 || string(e.atts[0]) != "\x09\x08" {
				t.Fatalf("from-node: %v %q", e.args, e.atts)
			}
		}
		official("from-node")

		// Rooms, both ways.
		n.must("emit", map[string]any{"rooms": []string{"red"}, "event": "red-from-node"})
		g.srv.To("blue").Emit("blue-from-go")
		g.srv.Except("red").Emit("not-red-from-go")
		n.must("emit", map[string]any{"event": "end"})
		g.srv.Emit("end")
		seq := func(c *sioClient) []string {
			var got []string
			for ends := 0; ends < 2; {
				e := c.next(5 * time.Second)
				if e.name == "end" {
					ends++
					continue
				}
				got = append(got, e.name)
			}
			sort.Strings(got)
			return got
		}
		if got := seq(g1); !slices.Equal(got, []string{"red-from-node"}) {
			t.Errorf("g1 got %v", got)
		}
		if got := seq(n1); !slices.Equal(got, []string{"red-from-node"}) {
			t.Errorf("n1 got %v", got)
		}
		if got := seq(n2); !slices.Equal(got, []string{"blue-from-go", "not-red-from-go"}) {
			t.Errorf("n2 got %v", got)
		}
		official("blue-from-go")

		// fetchSockets on either side sees the other's sockets, with rooms and data.
		sockets, err := g.srv.In("red", "blue").FetchSockets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		users := map[string]string{}
		for _, s := range sockets {
			m, _ := s.Data.(map[string]any)
			u, _ := m["user"].(string)
			users[u] = s.ID
			if u == "n2" && (!slices.Contains(s.Rooms, "blue") || s.Handshake.Query.Get("user") != "n2" || s.Handshake.Time.IsZero()) {
				t.Errorf("n2 as hub sees it: %+v", s)
			}
		}
		if len(users) != 4 || users["n1"] != n1.sid || users["g1"] != g1.sid || users["o1"] != o1 {
			t.Errorf("hub fetched %v", users)
		}
		var fromNode []nodeSocket
		json.Unmarshal(n.must("fetch", map[string]any{"rooms": []string{"red"}}), &fromNode)
		found := false
		for _, s := range fromNode {
			if s.ID == g1.sid {
				found = slices.Contains(s.Rooms, "red") && s.Data["user"] == "g1" && s.Handshake.Query["user"] == "g1"
			}
		}
		if len(fromNode) != 2 || !found {
			t.Errorf("Node fetched %+v", fromNode)
		}

		// Rooms joined on one side are seen by fetchSockets on the other.
		g.srv.In("blue").SocketsJoin("green")
		n.must("join", map[string]any{"rooms": []string{"red"}, "target": "gold"})
		want := sortedCopy([]string{n2.sid, o1})
		waitFor(t, 5*time.Second, "green seen by Node", func() bool {
			var got []nodeSocket
			json.Unmarshal(n.must("fetch", map[string]any{"rooms": []string{"green"}}), &got)
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			sort.Strings(ids)
			return slices.Equal(ids, want)
		})
		waitFor(t, 5*time.Second, "gold seen by hub", func() bool {
			s, err := g.srv.In("gold").FetchSockets(ctx)
			if err != nil || len(s) != 2 {
				return false
			}
			ids := sortedCopy([]string{s[0].ID, s[1].ID})
			return slices.Equal(ids, sortedCopy([]string{g1.sid, n1.sid}))
		})

		// Server-side emits, both ways, with and without acknowledgement.
		g.srv.Of("/").ServerSideEmit(ctx, "sse", "from-go")
		if e := n.nextEvent("sse"); len(e.Args) != 1 || string(e.Args[0]) != `"from-go"` {
			t.Errorf("Node received %v", e.Args)
		}
		n.must("serverSideEmit", map[string]any{"event": "sse-node", "args": []any{1, "a"}})
		select {
		case s := <-sse:
			if s != `sse-node [1,"a"]` {
				t.Errorf("hub received %s", s)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the Node server's server-side emit did not reach hub")
		}
		answers, err := g.srv.ServerSideEmitWithAck(ctx, "sse", "ask")
		if err != nil || len(answers) != 1 {
			t.Fatalf("ServerSideEmitWithAck: %v, %v", answers, err)
		}
		if ans := answers[0].String(); ans != `[{"from":"node","echo":"ask"}]` {
			t.Errorf("Node answered %s", ans)
		}
		if got := string(n.must("serverSideEmitWithAck", map[string]any{"event": "ask-go"})); got != `[{"event":"ask-go","from":"go"}]` {
			t.Errorf("Node's serverSideEmitWithAck got %s", got)
		}

		// Broadcasts with acknowledgements, both ways.
		acks, err := g.srv.Timeout(5*time.Second).EmitWithAck(ctx, "q")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range acks {
			var s string
			a.Decode(0, &s)
			got = append(got, s)
		}
		sort.Strings(got)
		if !slices.Equal(got, []string{"o1", "q-answer", "q-answer", "q-answer"}) {
			t.Errorf("hub's emitWithAck got %v", got)
		}
		var nodeAcks []string
		json.Unmarshal(n.must("emitWithAck", map[string]any{"event": "q"}), &nodeAcks)
		sort.Strings(nodeAcks)
		if !slices.Equal(nodeAcks, []string{"o1", "q-answer", "q-answer", "q-answer"}) {
			t.Errorf("Node's emitWithAck got %v", nodeAcks)
		}

		for _, c := range []*sioClient{g1, n1, n2} {
			c.expect("q")
			c.expect("q")
		}

		// The Node emitter reaches hub's clients; hub's emitter reaches Node's.
		if !opts.Sharded { // @socket.io/redis-emitter speaks the classic protocol only
			n.must("emitterEmit", map[string]any{"rooms": []string{"red"}, "event": "node-emitter", "binary": []int{5}})
			for _, c := range []*sioClient{g1, n1} {
				if e := c.expect("node-emitter"); len(e.atts) != 1 || e.atts[0][0] != 5 {
					t.Errorf("node-emitter: %q", e.atts)
				}
			}
		}
		e := redis.NewEmitter(newRedisClient(t, shared.addr()), &opts)
		if err := e.To("blue").Emit(ctx, "go-emitter", []byte{6}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*sioClient{n2} {
			if ev := c.expect("go-emitter"); len(ev.atts) != 1 || ev.atts[0][0] != 6 {
				t.Errorf("go-emitter: %q", ev.atts)
			}
		}
		official("go-emitter")
		if err := e.In("gold").SocketsLeave(ctx, "gold"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "gold empty on both", func() bool {
			var got []nodeSocket
			json.Unmarshal(n.must("fetch", map[string]any{"rooms": []string{"gold"}}), &got)
			return len(got) == 0
		})

		// disconnectSockets from Node disconnects hub's sockets, and the other way round.
		n.must("disconnect", map[string]any{"rooms": []string{"red"}, "close": false})
		g.srv.In("blue").DisconnectSockets(true)
		for _, c := range []*sioClient{g1, n1, n2} {
			select {
			case <-c.closed:
			case <-time.After(5 * time.Second):
				t.Fatalf("client %s not disconnected", c.sid)
			}
		}
		official("disconnect")
	})
}
