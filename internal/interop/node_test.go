//go:build unix

package interop_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
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
	// The server stops when its stdin closes: keep it open until the end of the test.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node-server.mjs: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("node-server.mjs stderr:\n%s", stderr.String())
		}
	})
	port, err := readPort(ctx, stdout)
	if err != nil {
		t.Fatalf("node-server.mjs: %v\nstderr:\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	return "http://127.0.0.1:" + port
}

// startHub serves the app on hub in-process, so that the race detector watches the server,
// and returns its base URL. The server closes when the test ends.
func startHub(t *testing.T) string {
	t.Helper()
	srv := interop.New()
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		// Close hub first: it releases parked polls, which ts.Close would wait for.
		if err := srv.Close(); err != nil {
			t.Errorf("hub Close: %v", err)
		}
		ts.Close()
	})
	return ts.URL
}
