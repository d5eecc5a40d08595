package client_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/testenv"
)

// server is a Socket.IO server the tests run against, and the transport combinations it
// supports.
type server struct {
	name  string
	url   string // http://host:port
	modes []mode
}

// mode is a set of client transports to test with.
type mode struct {
	name       string
	transports []string
}

var (
	modePolling   = mode{"polling", []string{client.TransportPolling}}
	modeWebSocket = mode{"websocket", []string{client.TransportWebSocket}}
	modeUpgrade   = mode{"polling+upgrade", []string{client.TransportPolling, client.TransportWebSocket}}
)

// servers lists the servers every behaviour test runs against; TestMain fills it.
var servers []server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if fuzzing() {
		// The fuzz targets read bytes in memory: no servers, in the coordinator or in each
		// of its worker processes (whose start and stop they would slow past the fuzzer's
		// patience).
		return m.Run()
	}
	snap := leakcheck.Take() // before the servers, whose goroutines are stopped before the check
	// Without Node and the pinned packages the tests run against hub alone, unless they are
	// required (make test): see testenv.
	node, err := startNode()
	switch {
	case err == nil:
		servers = append(servers, server{
			name:  "node",
			url:   node.url,
			modes: []mode{modePolling, modeWebSocket, modeUpgrade},
		})
	case testenv.Required():
		fmt.Fprintln(os.Stderr, "client tests: cannot start the Node socket.io server:", err)
		return 1
	default:
		fmt.Fprintln(os.Stderr, "client tests: against hub only:", err)
	}
	servers = append(servers, hubServers()...)
	code := m.Run()
	node.stop()
	stopHubServers()
	if code == 0 {
		if leaked := snap.Leaked(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "client tests: goroutines left behind:\n%s\n", leaked)
			return 1
		}
	}
	return code
}

// fuzzing reports whether the binary runs for `go test -fuzz`: as its coordinator, or as one
// of its workers.
func fuzzing() bool {
	flag.Parse()
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// nodeServer is the Node process running testdata/server.cjs.
type nodeServer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

// startNode starts the Node server (with args for the script) and waits for its "listening <port>" line.
func startNode(args ...string) (*nodeServer, error) {
	node, err := testenv.LookNode("socket.io")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, append([]string{"testdata/server.cjs"}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		port, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("unexpected first line %q", line)
		}
		return &nodeServer{cmd: cmd, stdin: stdin, url: "http://127.0.0.1:" + port}, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("no \"listening\" line within 30s")
	}
}

// stop closes the server's stdin, which makes it exit, and waits for it.
func (n *nodeServer) stop() {
	if n == nil {
		return
	}
	n.stdin.Close()
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		n.cmd.Process.Kill()
		<-done
	}
}

// waitGoroutines waits up to d for the goroutines of the client package, and of the
// connections it may have opened, to exit; it returns the stacks of those still running.
// (Found by name, unlike the final check of TestMain: the servers' goroutines run beside
// them.)
func waitGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		leaked := clientGoroutines()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond) // polling for a condition, with a deadline
	}
}

// clientGoroutines returns the stacks of goroutines that belong to the client package or to
// connections it may have opened. The names it looks for must name functions of the binary
// (leakcheck.KnownFunc): a rename must fail the check, not empty it.
func clientGoroutines() string {
	for _, name := range []string{"github.com/hubkit/hub/client.", "net/http.(*persistConn)", "coder/websocket"} {
		if !leakcheck.KnownFunc(name) {
			panic("clientGoroutines: no function of the test binary is named like " + name + ": renamed?")
		}
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/hubkit/hub/client.") ||
			strings.Contains(g, "net/http.(*persistConn)") ||
			strings.Contains(g, "coder/websocket") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// forEachMode runs f for every server and transport mode, in parallel.
func forEachMode(t *testing.T, f func(t *testing.T, srv server, m mode)) {
	t.Helper()
	forEachModeWhere(t, func(mode) bool { return true }, f)
}

// forEachModeWhere runs f for every server and the transport modes keep accepts.
func forEachModeWhere(t *testing.T, keep func(mode) bool, f func(t *testing.T, srv server, m mode)) {
	t.Helper()
	for _, srv := range servers {
		for _, m := range srv.modes {
			if !keep(m) {
				continue
			}
			t.Run(srv.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				f(t, srv, m)
			})
		}
	}
}

// forEachServer runs f for every server with its default transports, in parallel.
func forEachServer(t *testing.T, f func(t *testing.T, srv server)) {
	t.Helper()
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			f(t, srv)
		})
	}
}

const waitFor = 10 * time.Second

// connect makes a Manager for url with opts, a socket for nsp with setup applied before it
// connects, and connects it. The Manager is closed when the test ends.
func connect(t *testing.T, url, nsp string, opts *client.Options, setup func(*client.Socket)) *client.Socket {
	t.Helper()
	m, err := client.NewManager(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	s := m.Socket(nsp, nil)
	if setup != nil {
		setup(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("connect %s%s: %v", url, nsp, err)
	}
	return s
}

// on returns a channel that receives the single argument of each event, decoded as T.
func on[T any](s *client.Socket, event string) <-chan T {
	ch := make(chan T, 256)
	s.On(event, func(v T) { ch <- v })
	return ch
}

// recv waits for a value from ch.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for a %T", *new(T))
		panic("unreachable")
	}
}

// ctxFor returns a context bounded by waitFor, cancelled when the test ends.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
