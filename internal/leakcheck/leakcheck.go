// Package leakcheck fails a test binary whose tests leave goroutines behind, in the manner of
// coder/websocket's and net/http's own checks. Use it from TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// It knows goroutines by their ids, not by the functions in their stacks: every goroutine
// that was not there before the tests ran and is still there after them is a leak, whatever
// its code is called, so a rename cannot hide one.
package leakcheck

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Main runs the tests, then waits briefly for the goroutines started since it was called to
// exit and fails the binary, printing their stacks, if any remain.
func Main(m *testing.M) {
	snap := Take()
	code := m.Run()
	if code == 0 {
		if leaked := snap.Leaked(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines still running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// Snapshot is the set of goroutines running when it was taken.
type Snapshot map[uint64]bool

// Take records the goroutines running now. It first starts the standard library's signal
// loop, which lives as long as the process once started (the testing package starts it under
// -fuzz), so that the loop is in the snapshot rather than a leak.
func Take() Snapshot {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	signal.Stop(c)
	snap := Snapshot{}
	for _, g := range stacks() {
		snap[g.id] = true
	}
	return snap
}

// Leaked waits up to d for the goroutines started since snap to exit, and returns the stacks
// of those still running then ("" when none). Idle keep-alive connections of
// http.DefaultTransport are closed first: they belong to the standard library's pool, not to
// the code under test.
func (snap Snapshot) Leaked(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		var leaked []string
		for _, g := range stacks() {
			if !snap[g.id] && !g.self {
				leaked = append(leaked, g.stack)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond) // polling for the goroutines to end, with a deadline
	}
}

type goroutine struct {
	id    uint64
	self  bool // the calling goroutine
	stack string
}

// stacks returns every goroutine's id and stack, the caller's first.
func stacks() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for i, g := range strings.Split(string(buf), "\n\n") {
		// "goroutine 123 [running]:"
		rest, ok := strings.CutPrefix(g, "goroutine ")
		if !ok {
			continue
		}
		idText, _, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseUint(idText, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, goroutine{id: id, self: i == 0, stack: g})
	}
	return out
}
