// Package testenv tells tests whether the tools beyond Go that some of them drive — node and
// the pinned npm packages in js/node_modules — are there, so that `go test ./...` on a fresh
// clone passes with Go alone while `make test`, which sets HUB_INTEGRATION=1, requires them.
//
// With HUB_INTEGRATION set, a missing tool fails the test that needs it; without, such a test
// is skipped, saying what it needs.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Required reports whether the integration tools must be there (HUB_INTEGRATION is set, as
// `make test` does).
func Required() bool { return os.Getenv("HUB_INTEGRATION") != "" }

// Root is the repository root: the directory holding this module's go.mod.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// LookNode returns the node binary, or an error saying what to install if node or one of the
// npm packages (directories under js/node_modules) is missing.
func LookNode(pkgs ...string) (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("node not found (%w): install Node 20+, then run `npm ci --prefix js` from the repository root", err)
	}
	for _, pkg := range pkgs {
		if _, err := os.Stat(filepath.Join(Root(), "js", "node_modules", pkg, "package.json")); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("js/node_modules/%s is missing: run `npm ci --prefix js` from the repository root", pkg)
			}
			return "", err
		}
	}
	return node, nil
}

// Node returns the node binary for a test that drives it with the npm packages pkgs: if any is
// missing, the test fails when they are required (see Required) and is skipped otherwise.
func Node(t testing.TB, pkgs ...string) string {
	t.Helper()
	node, err := LookNode(pkgs...)
	if err != nil {
		if Required() {
			t.Fatal(err)
		}
		t.Skipf("%v (set HUB_INTEGRATION=1 to make this a failure; `make test` does)", err)
	}
	return node
}
