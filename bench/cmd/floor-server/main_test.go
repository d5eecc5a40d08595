package main

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/bench"
)

// TestScenarios runs the load tool's WebSocket scenarios, tiny, against the floor server in
// this process: it must answer every one of them without a protocol error.
func TestScenarios(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := newServer()
	hs := &http.Server{Handler: fs}
	go hs.Serve(ln)
	defer func() {
		hs.Close()
		fs.closeAll()
	}()
	target := bench.Target{Name: "floor", URL: "http://" + ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := 20 * time.Second
	for _, tc := range []struct {
		name string
		run  func(context.Context, bench.Target, bench.Config) bench.Result
		cfg  bench.Config
		want int64
	}{
		{"connect", bench.Connect, bench.Config{Clients: 20, Concurrency: 10, Duration: d}, 20},
		{"fanout", bench.Fanout, bench.Config{Clients: 20, Messages: 50, InFlight: 4, Size: 100, Duration: d}, 20 * 50},
		{"echo", bench.Echo, bench.Config{Concurrency: 5, Messages: 200, Size: 100, Duration: d}, 200},
		{"rooms", bench.Rooms, bench.Config{Clients: 20, Rooms: 4, Messages: 40, InFlight: 4, Size: 100, Duration: d}, 40 * 5},
	} {
		r := tc.run(ctx, target, tc.cfg)
		if r.Err != nil || r.Count != tc.want {
			t.Errorf("%s: count %d, want %d; err %v", tc.name, r.Count, tc.want, r.Err)
		}
	}
	time.Sleep(100 * time.Millisecond) // the server sees the clients go
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if n := len(fs.all.load()); n != 0 || len(fs.open) != 0 || len(fs.rooms) != 0 {
		t.Errorf("after the scenarios: %d connected, %d open, %d rooms; want none", n, len(fs.open), len(fs.rooms))
	}
}
