package main

import (
	"bytes"
	"cmp"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowser runs the chat's browser tests, js/chat/*.test.mjs: headless Chromium pages
// chatting over each transport through the chat binary, and the tutorial's page
// (chat.test.mjs); the page's layout on a phone and on a desktop (layout.test.mjs). It needs
// node, js/node_modules and Debian's chromium, which .ci/deps installs. Under -race, the chat
// binary is built with the race detector.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test takes about a minute")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	chromium := cmp.Or(os.Getenv("CHROMIUM_PATH"), "/usr/bin/chromium")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): run .ci/deps", err)
	}
	for _, need := range []string{chromium, filepath.Join(root, "js", "node_modules", "playwright-core")} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("%v: run .ci/deps to install the browser test's dependencies", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("js", "chat")+string(filepath.Separator))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CHROMIUM_PATH="+chromium)
	if raceEnabled {
		// The chat binary gets the race detector too; a race makes it exit with status 66,
		// which the test checks.
		cmd.Env = append(cmd.Env, "CHAT_BUILD_FLAGS=-race")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	t.Logf("node --test js/chat/:\n%s", out.Bytes())
	if err != nil {
		t.Fatalf("node --test js/chat/: %v", err)
	}
}
