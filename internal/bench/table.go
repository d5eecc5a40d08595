package bench

import (
	"fmt"
	"io"
	"math"
	"time"
)

// row is one line of the report table: a figure taken from a step's results.
type row struct {
	key   string // step
	label string
	fig   func(Result) float64
	unit  string
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func rows(sc Scale) []row {
	rate := func(r Result) float64 { return r.Rate() }
	cpu := func(r Result) float64 { return us(r.CPUPer()) }
	p50 := func(r Result) float64 { return ms(r.P50) }
	p99 := func(r Result) float64 { return ms(r.P99) }
	fan := fmt.Sprintf("%d clients, %d-byte string, %d in flight", sc.FanoutClients, sc.Size, sc.InFlight)
	http := fmt.Sprintf("%d clients, %d in flight", sc.HTTPClients, sc.InFlight)
	rooms := fmt.Sprintf("%d clients in %d rooms, %d in flight", sc.RoomClients, sc.Rooms, sc.InFlight)
	return []row{
		{"connect", fmt.Sprintf("memory per idle WebSocket connection (%d clients; RSS growth / N)", sc.IdleClients), func(r Result) float64 { return r.RSSPer() / 1024 }, "KB"},
		{"connect", fmt.Sprintf("server CPU per handshake (%d clients, %d dialing at once)", sc.IdleClients, sc.DialConcurrency), cpu, "µs"},
		{"connect", "handshakes/s", rate, "/s"},
		{"connect", "handshake latency p99 (dial to namespace CONNECT)", p99, "ms"},
		{"fanout", "broadcast WS (" + fan + "): delivered msg/s", rate, "msg/s"},
		{"fanout", "server CPU per delivered broadcast message (WS)", cpu, "µs"},
		{"fanout", "delivery latency p50, closed loop (WS)", p50, "ms"},
		{"fanout", "delivery latency p99, closed loop (WS)", p99, "ms"},
		{"latency", fmt.Sprintf("broadcast at %g/s to %d clients (WS): latency p50", sc.LatencyRate, sc.FanoutClients), p50, "ms"},
		{"latency", fmt.Sprintf("broadcast at %g/s to %d clients (WS): latency p99", sc.LatencyRate, sc.FanoutClients), p99, "ms"},
		{"echo", fmt.Sprintf("ack round trips, %d clients in a closed loop: round trips/s", sc.EchoClients), rate, "/s"},
		{"echo", "ack round trip p99", p99, "ms"},
		{"echo", "server CPU per ack round trip", cpu, "µs"},
		{"rooms", "room broadcast (" + rooms + "): delivered msg/s", rate, "msg/s"},
		{"rooms", "server CPU per delivered room message", cpu, "µs"},
		{"polling", "broadcast over long-polling (" + http + "): delivered msg/s", rate, "msg/s"},
		{"polling", "server CPU per delivered message (polling)", cpu, "µs"},
		{"polling", "delivery latency p50 (polling)", p50, "ms"},
		{"polling", "delivery latency p99 (polling)", p99, "ms"},
		{"slow", fmt.Sprintf("one client stops reading, %d × %d-byte broadcasts to %d others: server RSS growth", sc.SlowMessages, sc.SlowSize, sc.SlowClients), func(r Result) float64 { return float64(r.RSSGrowth) / (1 << 20) }, "MB"},
		{"slow", "... the server disconnected the stalled client (1 yes, 0 no)", func(r Result) float64 {
			if r.Disconnected {
				return 1
			}
			return 0
		}, ""},
		{"slow", "... broadcasts the stalled client still received when it read again", func(r Result) float64 { return float64(r.Count) }, ""},
		{"soak", fmt.Sprintf("soak: %g broadcasts/s to %d clients for %v: RSS growth from 1/5 of the run to its end", sc.SoakRate, sc.SoakClients, sc.SoakDuration), func(r Result) float64 { return float64(r.RSSGrowth) / (1 << 20) }, "MB"},
		{"soak", "soak: server CPU per delivered message", cpu, "µs"},
		{"soak", "soak: delivery latency p99", p99, "ms"},
		{"sse", "broadcast over SSE (" + http + "): delivered msg/s", rate, "msg/s"},
		{"sse", "server CPU per delivered message (SSE)", cpu, "µs"},
		{"sse", "delivery latency p50 (SSE)", p50, "ms"},
		{"sse", "delivery latency p99 (SSE)", p99, "ms"},
	}
}

// WriteTable prints the report as one Markdown table: hub, Node, and the ratio hub/Node.
func (rep *Report) WriteTable(w io.Writer) {
	fmt.Fprintln(w, "| scenario | hub | Node socket.io 4.8.1 | hub/Node |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, rw := range rows(rep.Scale) {
		byTarget, ok := rep.Results[rw.key]
		if !ok {
			continue
		}
		label := rw.label
		cell := func(name string) (string, float64) {
			r, ok := byTarget[name]
			if !ok {
				return "—", math.NaN()
			}
			if r.Err != nil {
				return "error", math.NaN()
			}
			v := rw.fig(r)
			return format(v) + " " + rw.unit, v
		}
		h, hv := cell("hub")
		n, nv := cell("node")
		ratio := "—"
		if !math.IsNaN(hv) && !math.IsNaN(nv) && nv != 0 {
			ratio = fmt.Sprintf("%.2f", hv/nv)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, h, n, ratio)
	}
}

func format(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
