//go:build unix

package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/testenv"
)

// TestMain fails the run if the in-process hub server leaves goroutines behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }

// suiteTimeout bounds one run of the suite, server start included. The suite itself takes
// about 20 s against either server.
const suiteTimeout = 3 * time.Minute

// TestSuiteNode runs the interop suite against the reference: js/interop/node-server.mjs on
// the official Node socket.io 4.8 server. It proves each assertion of the suite describes
// Node's behaviour.
func TestSuiteNode(t *testing.T) {
	root, node := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	t.Cleanup(cancel) // after the cleanup startNode registers, which stops the server gently
	runSuite(ctx, t, root, node, startNode(ctx, t))
}

// TestSuiteHub runs the same suite against the app on hub.
func TestSuiteHub(t *testing.T) {
	root, node := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), suiteTimeout)
	defer cancel()
	runSuite(ctx, t, root, node, startHub(t))
}

// setup returns the repository root and the node binary; without node or the pinned
// JavaScript packages the test is skipped, or fails under `make test` (see testenv).
func setup(t *testing.T) (root, node string) {
	t.Helper()
	return testenv.Root(), testenv.Node(t, "socket.io", "socket.io-client", "socket.io-msgpack-parser")
}

var listeningLine = regexp.MustCompile(`^listening (\d+)$`)

// readPort reads r line by line until the server's "listening <port>" line.
func readPort(ctx context.Context, r io.Reader) (string, error) {
	found := make(chan string, 1)
	var lines []string
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
			lines = append(lines, sc.Text())
		}
		close(found)
	}()
	select {
	case port, ok := <-found:
		if !ok {
			return "", fmt.Errorf("exited without printing \"listening <port>\"; stdout:\n%s", strings.Join(lines, "\n"))
		}
		return port, nil
	case <-ctx.Done():
		return "", fmt.Errorf("no \"listening <port>\" line: %w", ctx.Err())
	}
}

// runSuite runs `node --test js/interop/suite.test.mjs` with SERVER_URL=url and fails t if
// the suite fails, logging node's whole output.
func runSuite(ctx context.Context, t *testing.T, root, node, url string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("js", "interop", "suite.test.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SERVER_URL="+url, "NO_COLOR=1", "FORCE_COLOR=0")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// node --test runs the file in a child process: kill the whole group on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	err := cmd.Run()
	t.Logf("suite against %s: %s in %v", url, summary(out.String()), time.Since(start).Round(time.Millisecond))
	if err == nil {
		return
	}
	t.Logf("node --test output:\n%s", out.String())
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the suite did not finish within %v", suiteTimeout)
	}
	t.Fatalf("the suite failed against %s: %v", url, err)
}

var summaryLine = regexp.MustCompile(`(?m)^ℹ (tests|pass|fail) (\d+)$`)

// summary extracts "tests N, pass N, fail N" from the spec reporter's output.
func summary(out string) string {
	var parts []string
	for _, m := range summaryLine.FindAllStringSubmatch(out, -1) {
		parts = append(parts, m[1]+" "+m[2])
	}
	if parts == nil {
		return "no summary"
	}
	return strings.Join(parts, ", ")
}
