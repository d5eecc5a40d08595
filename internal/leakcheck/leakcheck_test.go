package leakcheck

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLeaked(t *testing.T) {
	before := make(chan struct{})
	go func() { <-before }() // there before the snapshot: not a leak
	snap := Take()
	stop := make(chan struct{})
	go parkedForTest(stop)
	leaked := snap.Leaked(50 * time.Millisecond)
	if !strings.Contains(leaked, "parkedForTest") {
		t.Fatalf("a goroutine started after the snapshot and still running: got %q", leaked)
	}
	if strings.Contains(leaked, "\n\n") { // one stack only
		t.Errorf("want only the new goroutine, got:\n%s", leaked)
	}
	close(stop)
	if leaked := snap.Leaked(5 * time.Second); leaked != "" {
		t.Errorf("after it ended: %s", leaked)
	}
	close(before)

	// Idle keep-alive connections of http.DefaultTransport are the standard library's.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	snap = Take()
	res, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ts.Close()
	if leaked := snap.Leaked(5 * time.Second); leaked != "" {
		t.Errorf("an idle connection of the default transport counted: %s", leaked)
	}
}

func parkedForTest(stop chan struct{}) { <-stop }

func TestCount(t *testing.T) {
	if funcNames() == nil {
		t.Skip("the test binary's function table is not readable here (not ELF)")
	}
	stop := make(chan struct{})
	go parkedForTest(stop)
	for Count("leakcheck.parkedForTest") != 1 {
		time.Sleep(time.Millisecond) // until the goroutine has started, with the test's deadline
	}
	close(stop)
	if !KnownFunc("leakcheck.Take") || KnownFunc("leakcheck.noSuchFunctionAnywhere") {
		t.Error("KnownFunc does not tell the binary's functions from others")
	}
	defer func() {
		if recover() == nil {
			t.Error("Count of a function no one has: no panic")
		}
	}()
	Count("leakcheck.noSuchFunctionAnywhere")
}
