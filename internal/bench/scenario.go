// Package bench is hub's benchmark harness: a load tool that speaks
// Engine.IO 4 / Socket.IO 5 itself over WebSocket, long-polling and SSE (no client library),
// the scenarios it runs (connect, fanout, echo, rooms, slow, soak), the hub server under test
// ([NewHubHandler]; the Node reference is js/bench/node-server.mjs), and the driver ([Run])
// that runs both servers side by side and reads their CPU time and RSS from /proc.
//
// Every scenario is bounded by its counts and by a deadline, and dials 127.0.0.1 only.
// Command hubbench (bench/cmd/hubbench, or bench/run.sh) is the command line; BENCHMARKS.md
// at the repository root has the latest results. The package is internal: it is the
// harness's library, not an API, and its commands live under bench/cmd.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is a server under test.
type Target struct {
	Name string // "hub" or "node"
	URL  string // http://127.0.0.1:port
	PID  int    // the server process, for its CPU time and RSS; 0: none
}

// Result is what one scenario measured on one target.
type Result struct {
	Scenario  string
	Target    string
	Transport string
	Clients   int
	Count     int64         // handshakes, delivered messages or round trips in the measured phase
	Elapsed   time.Duration // of the measured phase
	P50, P99  time.Duration // handshake, delivery or round-trip latency
	CPU       time.Duration // server CPU time (user+system) during the measured phase
	ToolCPU   time.Duration // the load tool's own CPU time during the measured phase
	RSSGrowth int64         // server RSS growth in bytes (connect: with every client idle)
	// Disconnected (slow): the server closed the connection of the client that stopped
	// reading.
	Disconnected bool
	// RSSSamples (soak): the server's RSS, once a second.
	RSSSamples []int64
	Err        error // protocol errors, missing deliveries, a missed deadline
}

// Rate is Count per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Count) / r.Elapsed.Seconds()
}

// CPUPer is the server CPU time per counted operation.
func (r Result) CPUPer() time.Duration {
	if r.Count == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Count)
}

// RSSPer is the RSS growth per client, in bytes.
func (r Result) RSSPer() float64 {
	if r.Clients == 0 {
		return 0
	}
	return float64(r.RSSGrowth) / float64(r.Clients)
}

func (r Result) String() string {
	s := fmt.Sprintf("%-8s %-5s %-9s n=%-5d count=%-7d %8.0f/s p50=%-9v p99=%-9v cpu=%-8v cpu/op=%-8v rss/client=%.1fKB tool-cpu=%v",
		r.Scenario, r.Target, r.Transport, r.Clients, r.Count, r.Rate(), r.P50.Round(10*time.Microsecond),
		r.P99.Round(10*time.Microsecond), r.CPU, r.CPUPer(), r.RSSPer()/1024, r.ToolCPU)
	if n := len(r.RSSSamples); n > 0 {
		s += fmt.Sprintf(" rss: first %.1fMB, at 1/5 %.1fMB, last %.1fMB", float64(r.RSSSamples[0])/(1<<20),
			float64(r.RSSSamples[n/5])/(1<<20), float64(r.RSSSamples[n-1])/(1<<20))
	}
	if r.Scenario == "slow" {
		s += fmt.Sprintf(" rss=+%.1fMB disconnected=%v", float64(r.RSSGrowth)/(1<<20), r.Disconnected)
	}
	if r.Err != nil {
		s += " ERROR: " + r.Err.Error()
	}
	return s
}

// Config bounds one scenario. Every run ends by itself: by count, or at Duration.
type Config struct {
	Transport   string        // WebSocket (default), Polling or SSE
	Clients     int           // N
	Concurrency int           // connect: dialing at once; echo: clients in the closed loop
	Messages    int           // fanout/rooms: broadcasts; echo: round trips in total
	InFlight    int           // fanout/rooms: broadcasts in flight (closed loop) when Rate is 0
	Rate        float64       // fanout: broadcasts per second (open loop); 0: closed loop
	Rooms       int           // rooms: how many rooms the clients are spread over
	Size        int           // payload bytes (the broadcast string, the echoed string)
	Duration    time.Duration // hard bound of the measured phase
	Settle      time.Duration // connect: idle time before reading RSS
	// OnMeasure, when set, is called as the measured phase starts (to start a profile).
	OnMeasure func()
}

func (cfg Config) transport() string {
	if cfg.Transport == "" {
		return WebSocket
	}
	return cfg.Transport
}

// session is the state shared by a scenario's clients.
type session struct {
	t    Target
	cfg  Config
	hc   *http.Client
	errs errorLog
}

func newSession(t Target, cfg Config) *session {
	return &session{t: t, cfg: cfg, hc: newHTTPClient()}
}

func (s *session) result(name string) Result {
	return Result{Scenario: name, Target: s.t.Name, Transport: s.cfg.transport(), Clients: s.cfg.Clients}
}

// dialAll connects n clients, at most conc at once; handler(i) is client i's onPacket.
// It returns the clients dialed (all of them, or the error of the first that failed) and
// each one's handshake time.
func (s *session) dialAll(ctx context.Context, n, conc int, handler func(i int) func([]byte)) ([]*client, []time.Duration, error) {
	if conc <= 0 {
		conc = 1
	}
	clients := make([]*client, n)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range min(conc, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var h func([]byte)
				if handler != nil {
					h = handler(i)
				}
				start := time.Now()
				c, err := dial(ctx, s.cfg.transport(), s.t.URL, s.hc, &s.errs, h)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("client %d: %w", i, err) })
					return
				}
				lat[i] = time.Since(start)
				clients[i] = c
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		firstErr = errors.Join(firstErr, s.errs.err())
	}
	return clients, lat, firstErr
}

func closeAll(clients []*client) {
	for _, c := range clients {
		if c != nil {
			c.close()
		}
	}
	for _, c := range clients {
		if c != nil {
			<-c.done
		}
	}
}

// measure brackets the measured phase: server CPU and RSS before and after.
type measure struct {
	pid     int
	start   time.Time
	cpu     time.Duration
	rss     int64
	toolCPU time.Duration
}

func startMeasure(pid int, onMeasure func()) measure {
	if onMeasure != nil {
		onMeasure()
	}
	m := measure{pid: pid}
	if pid > 0 {
		m.cpu, m.rss, _ = ReadProc(pid)
	}
	m.toolCPU, _, _ = ReadProc(os.Getpid())
	m.start = time.Now()
	return m
}

// stop fills r.Elapsed and r.CPU, and returns the RSS growth.
func (m measure) stop(r *Result) int64 {
	r.Elapsed = time.Since(m.start)
	if tool, _, err := ReadProc(os.Getpid()); err == nil {
		r.ToolCPU = tool - m.toolCPU
	}
	if m.pid <= 0 {
		return 0
	}
	cpu, rss, err := ReadProc(m.pid)
	if err != nil {
		r.Err = errors.Join(r.Err, err)
		return 0
	}
	r.CPU = cpu - m.cpu
	return rss - m.rss
}

// Connect dials cfg.Clients clients over cfg.Transport, cfg.Concurrency at once, keeps them
// idle for cfg.Settle, and measures the handshakes (server CPU, rate, latency) and the
// server's RSS growth with every client connected.
func Connect(ctx context.Context, t Target, cfg Config) Result {
	s := newSession(t, cfg)
	defer s.hc.CloseIdleConnections()
	r := s.result("connect")
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var rss0 int64
	if t.PID > 0 {
		_, rss0, _ = ReadProc(t.PID)
	}
	m := startMeasure(t.PID, cfg.OnMeasure)
	clients, lat, err := s.dialAll(ctx, cfg.Clients, cfg.Concurrency, nil)
	defer closeAll(clients)
	m.stop(&r)
	if err != nil {
		r.Err = err
		return r
	}
	r.Count = int64(cfg.Clients)
	r.P50, r.P99 = percentiles(lat)
	select {
	case <-time.After(cfg.Settle):
	case <-ctx.Done():
	}
	if t.PID > 0 {
		_, rss1, err := ReadProc(t.PID)
		r.RSSGrowth = rss1 - rss0
		r.Err = errors.Join(r.Err, err)
	}
	r.Err = errors.Join(r.Err, s.errs.err())
	return r
}

// broadcast tracks the deliveries of numbered broadcasts.
type broadcast struct {
	errs      *errorLog
	remaining []atomic.Int32 // per broadcast: deliveries still expected
	completed atomic.Int64
	delivered atomic.Int64
	slots     chan struct{} // a token per completed broadcast (closed loop)
	allDone   chan struct{}
	lat       [][]time.Duration // per client, appended by its read loop only
}

func newBroadcast(errs *errorLog, clients, messages, inFlight int, expected func(seq int) int32) *broadcast {
	b := &broadcast{errs: errs, remaining: make([]atomic.Int32, messages), slots: make(chan struct{}, max(inFlight, 1)),
		allDone: make(chan struct{}), lat: make([][]time.Duration, clients)}
	for i := range b.lat {
		b.lat[i] = make([]time.Duration, 0, min(messages, 1024))
	}
	for i := range b.remaining {
		b.remaining[i].Store(expected(i))
	}
	if messages == 0 {
		close(b.allDone)
	}
	for range max(inFlight, 1) {
		b.slots <- struct{}{}
	}
	return b
}

// payload is a broadcast's string: "<seq>:<unix ns>:" padded with 'x' to size bytes.
func payload(seq, size int) string {
	p := strconv.Itoa(seq) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10) + ":"
	if len(p) < size {
		p += strings.Repeat("x", size-len(p))
	}
	return p
}

// bcastPrefix starts every broadcast packet: an EVENT "bcast" whose argument is the payload.
var bcastPrefix = []byte(`2["bcast","`)

// receiver returns client i's onPacket: every packet must be a "bcast" event. It parses the
// packet in place and allocates nothing unless the packet is wrong.
func (b *broadcast) receiver(i int) func([]byte) {
	return func(p []byte) {
		now := time.Now().UnixNano()
		rest, ok := bytes.CutPrefix(p, bcastPrefix)
		if !ok {
			b.errs.add(fmt.Errorf("client %d: unexpected packet %.60q", i, p))
			return
		}
		seq, rest, ok1 := cutNumber(rest)
		ts, _, ok2 := cutNumber(rest)
		if !ok1 || !ok2 || seq >= int64(len(b.remaining)) {
			b.errs.add(fmt.Errorf("client %d: bad broadcast %.60q", i, p))
			return
		}
		b.lat[i] = append(b.lat[i], time.Duration(now-ts))
		b.delivered.Add(1)
		switch left := b.remaining[seq].Add(-1); {
		case left == 0:
			select {
			case b.slots <- struct{}{}:
			default:
			}
			if b.completed.Add(1) == int64(len(b.remaining)) {
				close(b.allDone)
			}
		case left < 0:
			b.errs.add(fmt.Errorf("client %d: broadcast %d delivered twice", i, seq))
		}
	}
}

// cutNumber parses the decimal digits of p up to its first ':' and returns their value and
// what follows the ':'. ok is false without a ':', with no digit or another byte before it,
// or on overflow.
func cutNumber(p []byte) (n int64, rest []byte, ok bool) {
	i := bytes.IndexByte(p, ':')
	if i <= 0 || i > 19 {
		return 0, nil, false
	}
	for _, d := range p[:i] {
		if d < '0' || d > '9' || n > (math.MaxInt64-int64(d-'0'))/10 {
			return 0, nil, false
		}
		n = n*10 + int64(d-'0')
	}
	return n, p[i+1:], true
}

// run sends the broadcasts through trigger (closed loop on slots, or at rate per second)
// and waits for every delivery or the deadline.
func (b *broadcast) run(ctx context.Context, rate float64, trigger func(seq int) error) error {
	var tick *time.Ticker
	if rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
	}
	for seq := range b.remaining {
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return b.missing(ctx.Err())
			}
		} else {
			select {
			case <-b.slots:
			case <-ctx.Done():
				return b.missing(ctx.Err())
			}
		}
		if err := trigger(seq); err != nil {
			return fmt.Errorf("trigger %d: %w", seq, err)
		}
	}
	select {
	case <-b.allDone:
		return nil
	case <-ctx.Done():
		return b.missing(ctx.Err())
	}
}

func (b *broadcast) missing(err error) error {
	var n int64
	for i := range b.remaining {
		n += int64(max(b.remaining[i].Load(), 0))
	}
	return fmt.Errorf("%d deliveries missing at the deadline (%d of %d broadcasts complete): %w",
		n, b.completed.Load(), len(b.remaining), err)
}

func (b *broadcast) percentiles() (p50, p99 time.Duration) {
	var all []time.Duration
	for _, l := range b.lat {
		all = append(all, l...)
	}
	return percentiles(all)
}

// Fanout connects cfg.Clients clients over cfg.Transport; client 0 then emits "fanout"
// cfg.Messages times (closed loop with cfg.InFlight broadcasts in flight, or at cfg.Rate per
// second) and the server broadcasts each cfg.Size-byte string to every client. It measures
// delivered messages per second, delivery latency (from the trigger to each delivery) and
// server CPU per delivered message.
func Fanout(ctx context.Context, t Target, cfg Config) Result {
	return fanout(ctx, t, cfg, "fanout", 0)
}

// Rooms spreads cfg.Clients clients over cfg.Rooms rooms (each joins with an ack), then
// broadcasts to the rooms in turn with "roomcast", like [Fanout].
func Rooms(ctx context.Context, t Target, cfg Config) Result {
	return fanout(ctx, t, cfg, "rooms", max(cfg.Rooms, 1))
}

func fanout(ctx context.Context, t Target, cfg Config, name string, rooms int) Result {
	s := newSession(t, cfg)
	defer s.hc.CloseIdleConnections()
	r := s.result(name)
	if cfg.Rate > 0 {
		r.Scenario += fmt.Sprintf("@%g/s", cfg.Rate)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+30*time.Second) // + connecting
	defer cancel()
	members := make([]int32, max(rooms, 1))
	for i := range cfg.Clients {
		members[i%len(members)]++
	}
	expected := func(seq int) int32 {
		if rooms == 0 {
			return int32(cfg.Clients)
		}
		return members[seq%rooms]
	}
	b := newBroadcast(&s.errs, cfg.Clients, cfg.Messages, cfg.InFlight, expected)
	joins := make([]chan string, cfg.Clients)
	handler := func(i int) func([]byte) {
		recv := b.receiver(i)
		joins[i] = make(chan string, 1)
		return func(p []byte) {
			if len(p) > 0 && p[0] == '3' { // the ack of "join"
				select {
				case joins[i] <- string(p):
				default:
					s.errs.add(fmt.Errorf("client %d: unexpected ack %.40q", i, p))
				}
				return
			}
			recv(p)
		}
	}
	clients, _, err := s.dialAll(ctx, cfg.Clients, 50, handler)
	defer closeAll(clients)
	if err != nil {
		r.Err = err
		return r
	}
	if rooms > 0 {
		for i, c := range clients {
			if err := c.write(fmt.Sprintf(`21["join","r%d"]`, i%rooms)); err != nil {
				r.Err = err
				return r
			}
		}
		for i := range clients {
			select {
			case p := <-joins[i]:
				if p != "31[]" {
					r.Err = fmt.Errorf("client %d: join ack %.40q", i, p)
					return r
				}
			case <-ctx.Done():
				r.Err = fmt.Errorf("waiting for join acks: %w", ctx.Err())
				return r
			}
		}
	}
	trigger := func(seq int) error {
		msg := payload(seq, cfg.Size)
		if rooms > 0 {
			return clients[0].write(fmt.Sprintf(`2["roomcast","r%d","%s"]`, seq%rooms, msg))
		}
		return clients[0].write(`2["fanout","` + msg + `"]`)
	}
	runCtx, cancelRun := context.WithTimeout(ctx, cfg.Duration)
	defer cancelRun()
	m := startMeasure(t.PID, cfg.OnMeasure)
	err = b.run(runCtx, cfg.Rate, trigger)
	r.RSSGrowth = m.stop(&r)
	r.Count = b.delivered.Load()
	r.P50, r.P99 = b.percentiles()
	r.Err = errors.Join(r.Err, err, s.errs.err())
	return r
}

// Echo runs cfg.Messages ack round trips in total ("echo" with a cfg.Size-byte string,
// answered with the same string) from cfg.Concurrency clients in a closed loop, each waiting
// for its ack before the next emit. It measures round trips per second, their latency and
// server CPU per round trip.
func Echo(ctx context.Context, t Target, cfg Config) Result {
	cfg.Clients = cfg.Concurrency
	s := newSession(t, cfg)
	defer s.hc.CloseIdleConnections()
	r := s.result("echo")
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+30*time.Second)
	defer cancel()
	acks := make([]chan string, cfg.Clients)
	handler := func(i int) func([]byte) {
		acks[i] = make(chan string, 1)
		return func(p []byte) {
			select {
			case acks[i] <- string(p):
			default:
				s.errs.add(fmt.Errorf("client %d: unexpected packet %.40q", i, p))
			}
		}
	}
	clients, _, err := s.dialAll(ctx, cfg.Clients, 50, handler)
	defer closeAll(clients)
	if err != nil {
		r.Err = err
		return r
	}
	msg := strings.Repeat("e", max(cfg.Size, 1))
	runCtx, cancelRun := context.WithTimeout(ctx, cfg.Duration)
	defer cancelRun()
	var left atomic.Int64
	left.Store(int64(cfg.Messages))
	lat := make([][]time.Duration, len(clients))
	var wg sync.WaitGroup
	var failed atomic.Value
	m := startMeasure(t.PID, cfg.OnMeasure)
	for i, c := range clients {
		wg.Go(func() {
			for id := 1; left.Add(-1) >= 0; id++ {
				start := time.Now()
				if err := c.write(fmt.Sprintf(`2%d["echo","%s"]`, id, msg)); err != nil {
					failed.CompareAndSwap(nil, fmt.Errorf("client %d: %w", i, err))
					return
				}
				select {
				case p := <-acks[i]:
					if want := fmt.Sprintf(`3%d["%s"]`, id, msg); p != want {
						s.errs.add(fmt.Errorf("client %d: ack %.40q, want %.40q", i, p, want))
						return
					}
				case <-runCtx.Done():
					failed.CompareAndSwap(nil, fmt.Errorf("echo: %w", runCtx.Err()))
					return
				}
				lat[i] = append(lat[i], time.Since(start))
			}
		})
	}
	wg.Wait()
	m.stop(&r)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	r.Count = int64(len(all))
	r.P50, r.P99 = percentiles(all)
	if e, ok := failed.Load().(error); ok {
		r.Err = e
	}
	r.Err = errors.Join(r.Err, s.errs.err())
	return r
}

// percentiles returns the median and the 99th percentile of d (sorted in place).
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(int(q*float64(len(d))), len(d)-1)] }
	return at(0.50), at(0.99)
}

// Slow connects cfg.Clients clients plus one that stops reading (WebSocket only), broadcasts
// cfg.Messages strings of cfg.Size bytes to all of them (closed loop, cfg.InFlight in flight,
// completion counted on the reading clients), then measures the server's RSS growth with
// the stalled client's backlog somewhere between the server and the kernel. The stalled
// client then reads again: Count is how many broadcasts it still got, and Err is nil whether
// or not the server disconnected it — see [Result.Disconnected].
func Slow(ctx context.Context, t Target, cfg Config) Result {
	s := newSession(t, cfg)
	defer s.hc.CloseIdleConnections()
	r := s.result("slow")
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+30*time.Second)
	defer cancel()
	b := newBroadcast(&s.errs, cfg.Clients, cfg.Messages, cfg.InFlight, func(int) int32 { return int32(cfg.Clients) })
	clients, _, err := s.dialAll(ctx, cfg.Clients, 50, b.receiver)
	defer closeAll(clients)
	if err != nil {
		r.Err = err
		return r
	}
	var slowGot atomic.Int64
	slow, err := dial(ctx, WebSocket, t.URL, s.hc, &errorLog{}, func(p []byte) {
		if bytes.HasPrefix(p, bcastPrefix) {
			slowGot.Add(1)
		}
	})
	if err != nil {
		r.Err = err
		return r
	}
	defer closeAll([]*client{slow})
	slow.stalled.Store(true)
	trigger := func(seq int) error { return clients[0].write(`2["fanout","` + payload(seq, cfg.Size) + `"]`) }
	runCtx, cancelRun := context.WithTimeout(ctx, cfg.Duration)
	defer cancelRun()
	var rss0 int64
	if t.PID > 0 {
		_, rss0, _ = ReadProc(t.PID)
	}
	m := startMeasure(t.PID, cfg.OnMeasure)
	err = b.run(runCtx, 0, trigger)
	m.stop(&r)
	select {
	case <-time.After(cfg.Settle):
	case <-ctx.Done():
	}
	if t.PID > 0 {
		_, rss1, err := ReadProc(t.PID)
		r.RSSGrowth = rss1 - rss0
		r.Err = errors.Join(r.Err, err)
	}
	// Read what the server still has for the stalled client, for a bounded time.
	close(slow.unstall)
	deadline := time.After(3 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for slowGot.Load() < int64(cfg.Messages) {
		select {
		case <-slow.done:
			r.Disconnected = true
			break wait
		case <-deadline:
			break wait
		case <-tick.C:
		}
	}
	r.Count = slowGot.Load()
	r.Err = errors.Join(r.Err, err, s.errs.err())
	return r
}

// Soak broadcasts at cfg.Rate per second to cfg.Clients clients for cfg.Duration, sampling
// the server's RSS every second; RSSGrowth is the growth from the sample at a fifth of the
// run (after warm-up) to the last one, and RSSSamples keeps them all.
func Soak(ctx context.Context, t Target, cfg Config) Result {
	var mu sync.Mutex
	var samples []int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	cfg.OnMeasure = func() {
		if t.PID <= 0 {
			return
		}
		wg.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					if _, rss, err := ReadProc(t.PID); err == nil {
						mu.Lock()
						samples = append(samples, rss)
						mu.Unlock()
					}
				case <-stop:
					return
				}
			}
		})
	}
	cfg.Messages = int(cfg.Rate * cfg.Duration.Seconds())
	runFor := cfg.Duration
	cfg.Duration += 10 * time.Second // the deadline: the rate ends the run
	r := fanout(ctx, t, cfg, "soak", 0)
	close(stop)
	wg.Wait()
	r.Scenario = fmt.Sprintf("soak %v", runFor)
	r.RSSGrowth = 0
	r.RSSSamples = samples
	if n := len(samples); n >= 5 {
		r.RSSGrowth = samples[n-1] - samples[n/5]
	}
	return r
}
