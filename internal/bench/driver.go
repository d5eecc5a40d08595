package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Scale sizes a full run. Every scenario is bounded by its counts and by Duration.
type Scale struct {
	IdleClients     int           // connect: clients held idle (memory per connection)
	DialConcurrency int           // connect: dialing at once
	FanoutClients   int           // fanout (WebSocket) and the rate-limited latency run
	FanoutMessages  int           // fanout: broadcasts in the closed loop
	InFlight        int           // fanout, rooms: broadcasts in flight
	LatencyRate     float64       // broadcasts per second for the latency run
	LatencyMessages int           // broadcasts in the latency run
	EchoClients     int           // echo: clients in the closed loop
	EchoRoundTrips  int           // echo: round trips in total
	RoomClients     int           // rooms: clients
	Rooms           int           // rooms: rooms they are spread over
	RoomMessages    int           // rooms: broadcasts
	HTTPClients     int           // fanout over polling and SSE: clients
	HTTPMessages    int           // fanout over polling and SSE: broadcasts
	Size            int           // payload bytes
	SlowClients     int           // slow: reading clients (plus one that stops reading)
	SlowMessages    int           // slow: broadcasts
	SlowSize        int           // slow: bytes per broadcast
	SoakClients     int           // soak: clients
	SoakRate        float64       // soak: broadcasts per second
	SoakDuration    time.Duration // soak: how long; 0 leaves the soak out
	Duration        time.Duration
	Settle          time.Duration
}

// SmokeScale is the CI run: every scenario tiny, both servers, well under 20 s.
var SmokeScale = Scale{
	IdleClients: 20, DialConcurrency: 10,
	FanoutClients: 20, FanoutMessages: 20, InFlight: 4,
	LatencyRate: 50, LatencyMessages: 5,
	EchoClients: 5, EchoRoundTrips: 100,
	RoomClients: 20, Rooms: 4, RoomMessages: 20,
	HTTPClients: 10, HTTPMessages: 10,
	SlowClients: 5, SlowMessages: 20, SlowSize: 1000,
	SoakClients: 5, SoakRate: 20, SoakDuration: 2 * time.Second,
	Size: 100, Duration: 10 * time.Second, Settle: 100 * time.Millisecond,
}

// DefaultScale fits in a few minutes on a shared 2-core machine (the targets are at
// 10,000 idle clients and 1,000 broadcast recipients).
var DefaultScale = Scale{
	IdleClients: 1000, DialConcurrency: 100,
	FanoutClients: 200, FanoutMessages: 1000, InFlight: 16,
	LatencyRate: 20, LatencyMessages: 100,
	EchoClients: 50, EchoRoundTrips: 20000,
	RoomClients: 200, Rooms: 10, RoomMessages: 2000,
	HTTPClients: 200, HTTPMessages: 200,
	SlowClients: 20, SlowMessages: 1000, SlowSize: 16000,
	SoakClients: 200, SoakRate: 50, // SoakDuration 0: -soak 5m turns it on
	Size: 100, Duration: 60 * time.Second, Settle: 2 * time.Second,
}

// RunOptions configure [Run].
type RunOptions struct {
	Root       string    // the repository root (holds go.mod and js/); default: found from the working directory
	Scale      Scale     // default DefaultScale
	Targets    []string  // "hub", "node"; default both
	Only       []string  // step keys to run (see [Steps]); default all
	CPUProfile string    // when set, profile the hub server during an extra WebSocket fanout into this file
	Recovery   bool      // run both servers with connection state recovery on
	Log        io.Writer // progress and the servers' stderr; default os.Stderr
}

// Step is one scenario of a run.
type Step struct {
	Key     string
	Run     func(context.Context, Target, Config) Result
	Config  Config
	Targets []string // nil: every target
}

// Steps returns the scenarios of a run at scale sc.
func Steps(sc Scale) []Step {
	d := sc.Duration
	steps := []Step{
		{Key: "connect", Run: Connect, Config: Config{Clients: sc.IdleClients, Concurrency: sc.DialConcurrency, Duration: d, Settle: sc.Settle}},
		{Key: "fanout", Run: Fanout, Config: Config{Clients: sc.FanoutClients, Messages: sc.FanoutMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: d}},
		{Key: "latency", Run: Fanout, Config: Config{Clients: sc.FanoutClients, Messages: sc.LatencyMessages, Rate: sc.LatencyRate, Size: sc.Size, Duration: d}},
		{Key: "echo", Run: Echo, Config: Config{Concurrency: sc.EchoClients, Messages: sc.EchoRoundTrips, Size: sc.Size, Duration: d}},
		{Key: "rooms", Run: Rooms, Config: Config{Clients: sc.RoomClients, Rooms: sc.Rooms, Messages: sc.RoomMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: d}},
		{Key: "polling", Run: Fanout, Config: Config{Transport: Polling, Clients: sc.HTTPClients, Messages: sc.HTTPMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: d}},
		{Key: "slow", Run: Slow, Config: Config{Clients: sc.SlowClients, Messages: sc.SlowMessages, InFlight: sc.InFlight, Size: sc.SlowSize, Duration: d, Settle: sc.Settle}},
		{Key: "sse", Run: Fanout, Config: Config{Transport: SSE, Clients: sc.HTTPClients, Messages: sc.HTTPMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: d}, Targets: []string{"hub"}},
	}
	if sc.SoakDuration > 0 {
		steps = append(steps, Step{Key: "soak", Run: Soak, Config: Config{Clients: sc.SoakClients, Rate: sc.SoakRate, Size: sc.Size, Duration: sc.SoakDuration}})
	}
	return steps
}

// Report is the outcome of [Run]: results[step key][target].
type Report struct {
	Scale   Scale
	Results map[string]map[string]Result
}

// Err joins the errors of every result.
func (rep *Report) Err() error {
	var errs []error
	for key, byTarget := range rep.Results {
		for name, r := range byTarget {
			if r.Err != nil {
				errs = append(errs, fmt.Errorf("%s on %s: %w", key, name, r.Err))
			}
		}
	}
	return errors.Join(errs...)
}

// Run starts each server afresh for each scenario (hub, then Node, never both at once), runs
// the scenario against it and collects the results. It returns an error when a server
// cannot start; protocol errors are in the report (see [Report.Err]).
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	if opts.Scale == (Scale{}) {
		opts.Scale = DefaultScale
	}
	if len(opts.Targets) == 0 {
		opts.Targets = []string{"hub", "node"}
	}
	if opts.Root == "" {
		root, err := FindRoot()
		if err != nil {
			return nil, err
		}
		opts.Root = root
	}
	tmp, err := os.MkdirTemp("", "hubbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	hubBin := filepath.Join(tmp, "hub-server")
	if slices.Contains(opts.Targets, "hub") {
		build := exec.CommandContext(ctx, "go", "build", "-o", hubBin, "./bench/cmd/hub-server")
		build.Dir = opts.Root
		build.Stderr = opts.Log
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building hub-server: %w", err)
		}
	}
	argv := map[string][]string{
		"hub":  {hubBin, "-pprof"},
		"node": {"node", filepath.Join(opts.Root, "js", "bench", "node-server.mjs")},
	}
	if opts.Recovery {
		argv["hub"] = append(argv["hub"], "-csr")
		argv["node"] = append(argv["node"], "--csr")
	}
	rep := &Report{Scale: opts.Scale, Results: map[string]map[string]Result{}}
	for _, step := range Steps(opts.Scale) {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, step.Key) {
			continue
		}
		rep.Results[step.Key] = map[string]Result{}
		for _, name := range opts.Targets {
			if step.Targets != nil && !slices.Contains(step.Targets, name) {
				continue
			}
			srv, err := startServer(ctx, name, argv[name], opts.Log)
			if err != nil {
				return rep, err
			}
			r := step.Run(ctx, srv.Target, step.Config)
			srv.stop()
			fmt.Fprintln(opts.Log, r)
			rep.Results[step.Key][name] = r
		}
	}
	if opts.CPUProfile != "" && slices.Contains(opts.Targets, "hub") {
		if err := profileFanout(ctx, argv["hub"], opts); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// profileFanout runs a WebSocket fanout against a fresh hub server for a fixed time while
// taking a CPU profile of it.
func profileFanout(ctx context.Context, argv []string, opts RunOptions) error {
	srv, err := startServer(ctx, "hub", argv, opts.Log)
	if err != nil {
		return err
	}
	defer srv.stop()
	const seconds = 10
	done := make(chan error, 1)
	cfg := Config{Clients: opts.Scale.FanoutClients, Messages: 1 << 30 / max(opts.Scale.FanoutClients, 1), InFlight: opts.Scale.InFlight,
		Size: opts.Scale.Size, Duration: (seconds + 1) * time.Second}
	cfg.OnMeasure = func() {
		go func() {
			done <- fetch(ctx, srv.URL+fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), opts.CPUProfile)
		}()
	}
	r := Fanout(ctx, srv.Target, cfg)
	r.Scenario = "profile"
	fmt.Fprintln(opts.Log, r, "(the deadline ends this run: missing deliveries expected)")
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("the CPU profile did not arrive")
	}
}

func fetch(ctx context.Context, url, path string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// server is a server process under test.
type server struct {
	Target
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer runs argv and waits for its "listening <port>" line.
func startServer(ctx context.Context, name string, argv []string, log io.Writer) (*server, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s server: %w", name, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				select {
				case port <- p:
				default:
				}
			}
		}
		cmd.Wait()
		close(s.done)
	}()
	select {
	case p := <-port:
		s.Target = Target{Name: name, URL: "http://127.0.0.1:" + p, PID: cmd.Process.Pid}
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("the %s server exited before listening", name)
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("the %s server did not print its port", name)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 5 s.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// FindRoot returns the repository root: the nearest directory up from the working directory
// whose go.mod declares module github.com/hubkit/hub.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/hubkit/hub\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: repository root (go.mod of github.com/hubkit/hub) not found")
		}
		dir = parent
	}
}
