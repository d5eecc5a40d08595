//go:build unix

package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/interop"
)

// startNode starts js/interop/node-server.mjs (the app on the official Node socket.io 4.8
// server) with the extra command-line args, and returns its base URL. The server stops when
// the test ends, or when ctx does.
func startNode(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	root, node := setup(t)
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("js", "interop", "node-server.mjs"), "--port", "0"}, args...)...)
	cmd.Dir = root
	p, err := startChild(ctx, cmd)
	if err != nil {
		t.Fatalf("node-server.mjs: %v", err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		if out := p.output(); t.Failed() && out != "" {
			t.Logf("node-server.mjs stderr:\n%s", out)
		}
	})
	return p.url
}

// childServer is a server under test in a child process: it prints "listening <port>" on its
// standard output once it listens, and stops when its standard input closes.
type childServer struct {
	url    string
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan error // receives Wait's result once the process has exited, then is closed
	mu     sync.Mutex // guards stderr while the process runs
	stderr bytes.Buffer
}

// startChild starts cmd and returns once it listens. When it fails, the process is gone and
// the error carries its standard error.
func startChild(ctx context.Context, cmd *exec.Cmd) (*childServer, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &childServer{cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	port, err := readPort(ctx, stdout)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%w\nstderr:\n%s", err, p.output())
	}
	go func() {
		io.Copy(io.Discard, stdout)
		p.exited <- cmd.Wait()
		close(p.exited)
	}()
	p.url = "http://127.0.0.1:" + port
	return p, nil
}

// stop closes the process's standard input and sends it sig, if not nil; it kills the
// process if it has not exited after grace, and returns how it exited. It may be called
// again: later calls return nil.
func (p *childServer) stop(sig os.Signal, grace time.Duration) error {
	p.stdin.Close()
	if sig != nil {
		p.cmd.Process.Signal(sig)
	}
	select {
	case err := <-p.exited:
		return err
	case <-time.After(grace):
		p.cmd.Process.Kill()
		return <-p.exited
	}
}

// output is what the process has written to its standard error so far.
func (p *childServer) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// lockedWriter serialises writes to w with mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// startHub serves the app on hub in-process, so that the race detector watches the server,
// and returns its base URL. The server closes when the test ends.
func startHub(t *testing.T) string {
	t.Helper()
	h, servers := interop.NewAll()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		// Close hub first: it releases parked polls, which ts.Close would wait for.
		for i, srv := range servers {
			if err := srv.Close(); err != nil {
				t.Errorf("hub Close (server %d): %v", i, err)
			}
		}
		ts.Close()
	})
	return ts.URL
}
