// Command hubbench is the benchmark harness's driver and load tool.
//
// With no -url it builds bench/cmd/hub-server, then for each scenario starts hub and the Node
// reference server (js/bench/node-server.mjs, socket.io 4.8.1) in turn, runs the scenario
// against each with a fresh server, reads each server's CPU time and RSS from /proc, and
// prints one Markdown table with the ratios hub/Node:
//
//	go run ./bench/cmd/hubbench              # the default, modest scale (a few minutes)
//	go run ./bench/cmd/hubbench -smoke       # every scenario tiny; exit 1 on any protocol error
//	go run ./bench/cmd/hubbench -cpuprofile hub.pprof
//
// With -url it is a load tool against a server already running (give -pid for its figures):
//
//	go run ./bench/cmd/hubbench -url http://127.0.0.1:3000 -scenario fanout -clients 200
//
// Every run is bounded by its counts and by -duration per scenario; clients dial 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/bench"
)

func main() {
	sc := bench.DefaultScale
	smoke := flag.Bool("smoke", false, "run every scenario tiny against both servers; exit 1 on any error")
	targets := flag.String("targets", "hub,node", "servers to run: hub, node")
	only := flag.String("only", "", "comma-separated scenarios to run: connect, fanout, latency, echo, rooms, polling, slow, sse, soak (default all; soak needs -soak)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the hub server during a 10 s WebSocket fanout to this file")
	toolProfile := flag.String("toolprofile", "", "write a CPU profile of the load tool itself, over the whole run, to this file")
	recovery := flag.Bool("csr", false, "run both servers with connection state recovery on")
	total := flag.Duration("timeout", 20*time.Minute, "hard deadline of the whole run")
	flag.IntVar(&sc.IdleClients, "idle", sc.IdleClients, "connect: idle clients")
	flag.IntVar(&sc.DialConcurrency, "dial", sc.DialConcurrency, "connect: clients dialing at once")
	flag.IntVar(&sc.FanoutClients, "fanout-clients", sc.FanoutClients, "fanout: clients")
	flag.IntVar(&sc.FanoutMessages, "fanout-messages", sc.FanoutMessages, "fanout: broadcasts")
	flag.IntVar(&sc.InFlight, "inflight", sc.InFlight, "fanout, rooms: broadcasts in flight")
	flag.Float64Var(&sc.LatencyRate, "rate", sc.LatencyRate, "latency run: broadcasts per second")
	flag.IntVar(&sc.LatencyMessages, "rate-messages", sc.LatencyMessages, "latency run: broadcasts")
	flag.IntVar(&sc.EchoClients, "echo-clients", sc.EchoClients, "echo: clients in the closed loop")
	flag.IntVar(&sc.EchoRoundTrips, "echo-rts", sc.EchoRoundTrips, "echo: round trips in total")
	flag.IntVar(&sc.RoomClients, "room-clients", sc.RoomClients, "rooms: clients")
	flag.IntVar(&sc.Rooms, "rooms", sc.Rooms, "rooms: rooms")
	flag.IntVar(&sc.RoomMessages, "room-messages", sc.RoomMessages, "rooms: broadcasts")
	flag.IntVar(&sc.HTTPClients, "http-clients", sc.HTTPClients, "fanout over polling and SSE: clients")
	flag.IntVar(&sc.HTTPMessages, "http-messages", sc.HTTPMessages, "fanout over polling and SSE: broadcasts")
	flag.IntVar(&sc.Size, "size", sc.Size, "payload bytes")
	flag.DurationVar(&sc.SoakDuration, "soak", sc.SoakDuration, "soak: broadcast for this long, sampling RSS (0: no soak)")
	flag.IntVar(&sc.SoakClients, "soak-clients", sc.SoakClients, "soak: clients")
	flag.Float64Var(&sc.SoakRate, "soak-rate", sc.SoakRate, "soak: broadcasts per second")
	flag.IntVar(&sc.SlowClients, "slow-clients", sc.SlowClients, "slow: reading clients (plus one that stops reading)")
	flag.IntVar(&sc.SlowMessages, "slow-messages", sc.SlowMessages, "slow: broadcasts")
	flag.IntVar(&sc.SlowSize, "slow-size", sc.SlowSize, "slow: bytes per broadcast")
	flag.DurationVar(&sc.Duration, "duration", sc.Duration, "hard bound of each scenario's measured phase")
	flag.DurationVar(&sc.Settle, "settle", sc.Settle, "connect: idle time before reading RSS")
	// Load-tool mode.
	url := flag.String("url", "", "load tool mode: run -scenario against this running server")
	pid := flag.Int("pid", 0, "load tool mode: the server's pid, for its CPU time and RSS")
	scenario := flag.String("scenario", "fanout", "load tool mode: connect, fanout, echo or rooms")
	transport := flag.String("transport", bench.WebSocket, "load tool mode: websocket, polling or sse")
	flag.Parse()
	if *smoke {
		sc = bench.SmokeScale
	}
	exit := os.Exit
	if *toolProfile != "" {
		f, err := os.Create(*toolProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hubbench:", err)
			os.Exit(2)
		}
		exit = func(code int) {
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *total)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *url != "" {
		exit(load(ctx, *url, *pid, *scenario, *transport, sc))
	}
	opts := bench.RunOptions{Scale: sc, Targets: strings.Split(*targets, ","), CPUProfile: *profile, Recovery: *recovery}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	rep, err := bench.Run(ctx, opts)
	if rep != nil {
		fmt.Println()
		rep.WriteTable(os.Stdout)
	}
	if err == nil && rep != nil {
		err = rep.Err()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubbench:", err)
		exit(1)
	}
	exit(0)
}

func load(ctx context.Context, url string, pid int, scenario, transport string, sc bench.Scale) int {
	t := bench.Target{Name: "server", URL: strings.TrimSuffix(url, "/"), PID: pid}
	var r bench.Result
	switch scenario {
	case "connect":
		r = bench.Connect(ctx, t, bench.Config{Transport: transport, Clients: sc.IdleClients, Concurrency: sc.DialConcurrency, Duration: sc.Duration, Settle: sc.Settle})
	case "fanout":
		r = bench.Fanout(ctx, t, bench.Config{Transport: transport, Clients: sc.FanoutClients, Messages: sc.FanoutMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: sc.Duration})
	case "latency":
		r = bench.Fanout(ctx, t, bench.Config{Transport: transport, Clients: sc.FanoutClients, Messages: sc.LatencyMessages, Rate: sc.LatencyRate, Size: sc.Size, Duration: sc.Duration})
	case "echo":
		r = bench.Echo(ctx, t, bench.Config{Transport: transport, Concurrency: sc.EchoClients, Messages: sc.EchoRoundTrips, Size: sc.Size, Duration: sc.Duration})
	case "rooms":
		r = bench.Rooms(ctx, t, bench.Config{Transport: transport, Clients: sc.RoomClients, Rooms: sc.Rooms, Messages: sc.RoomMessages, InFlight: sc.InFlight, Size: sc.Size, Duration: sc.Duration})
	default:
		fmt.Fprintf(os.Stderr, "hubbench: unknown scenario %q\n", scenario)
		return 2
	}
	fmt.Println(r)
	if r.Err != nil {
		return 1
	}
	return 0
}
