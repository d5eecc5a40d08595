// Package leakcheck fails a test binary whose tests leave goroutines behind, in the manner of
// coder/websocket's and net/http's own checks. Use it from TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests, then waits briefly for goroutines started by them to exit and fails the
// binary, printing their stacks, if any remain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := wait(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines still running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// wait returns the stacks of unexpected goroutines that are still there after d.
func wait(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		leaked := interesting()
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func interesting() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if g == "" || strings.Contains(g, "leakcheck.interesting") || strings.Contains(g, "leakcheck.Main") || expected(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// expected are the runtime's and the standard library's own long-lived goroutines.
func expected(g string) bool {
	for _, s := range []string{
		"testing.(*M).",
		"testing.tRunner",
		"runtime.goexit",
		"created by runtime.gc",
		"runtime.MHeap_Scavenger",
		"signal.signal_recv",
		"sigterm.handler",
		"runtime_mcall",
		"(*loggingT).flushDaemon",
		"goroutine in C code",
		"net/http.(*persistConn)", // idle keep-alive client connections of http.DefaultTransport
		"net/http.(*http2ClientConn)",
		"internal/poll.runtime_pollWait", // matched with the persistConn frames above only
	} {
		if strings.Contains(g, s) && (s != "internal/poll.runtime_pollWait" || strings.Contains(g, "persistConn")) {
			return true
		}
	}
	return false
}
