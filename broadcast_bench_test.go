package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
)

// The broadcast benchmarks run the real server with real long-polling sessions that nobody
// polls while the timer runs: a broadcast is encoded and queued on every session, no I/O. The
// queues are drained by polling GETs with the timer stopped.

// benchMsg is the 100-byte broadcast string.
var benchMsg = strings.Repeat("x", 100)

// drainEvery is how many broadcasts may queue on each session before a drain.
const drainEvery = 128

type pollFixture struct {
	srv     *hub.Server
	base    string
	hc      *http.Client
	sids    []string
	sockets []*hub.Socket
}

// newPollFixture connects n polling sockets to namespace "/", socket i in room "r<i%rooms>".
func newPollFixture(b *testing.B, n, rooms int) *pollFixture {
	b.Helper()
	return newPollFixtureOpts(b, n, rooms, hub.Options{})
}

// newPollFixtureOpts is newPollFixture with a server configured by o (its recovery, parser,
// observer…); the fixture sets the pings, the queue bound and the transports.
func newPollFixtureOpts(b *testing.B, n, rooms int, o hub.Options) *pollFixture {
	b.Helper()
	// The timeout turns a drain that would wait forever (a mistake in the fixture) into a failure.
	f := &pollFixture{hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: waitFor}}
	b.Cleanup(f.hc.CloseIdleConnections)
	f.sockets = make([]*hub.Socket, n)
	var mu sync.Mutex
	var ready atomic.Int64
	o.PingInterval = time.Hour // no pings to answer while benchmarking
	o.MaxQueuedBytes = 1 << 26
	o.Transports = []string{"polling"}
	f.srv, f.base = newServer(b, &o)
	f.srv.OnConnection(func(s *hub.Socket) {
		// Handlers may run out of order: the client says which one it is.
		var auth struct{ I int }
		if err := json.Unmarshal(s.Handshake().Auth, &auth); err != nil {
			panic(err)
		}
		i := auth.I
		s.Join(fmt.Sprintf("r%d", i%max(rooms, 1)))
		mu.Lock()
		f.sockets[i] = s
		mu.Unlock()
		ready.Add(1)
	})
	for i := range n {
		open := f.get(b, "")
		var hs struct{ Sid string }
		success(b, json.Unmarshal([]byte(strings.TrimPrefix(open, "0")), &hs))
		connect, reply := fmt.Sprintf(`40{"i":%d}`, i), "40{"
		if o.Parser == hub.MsgpackParser() {
			connect, reply = msgpackConnect(i), "b"
		}
		f.post(b, hs.Sid, connect)
		if got := f.get(b, hs.Sid); !strings.HasPrefix(got, reply) {
			b.Fatalf("namespace CONNECT: got %q", got)
		}
		f.sids = append(f.sids, hs.Sid)
	}
	// The connection handlers (joining rooms) may still be running after the CONNECT went out.
	for deadline := time.Now().Add(waitFor); ready.Load() < int64(n); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d connection handlers ran", ready.Load(), n)
		}
	}
	mu.Lock() // for the race detector: the handlers' writes happen before the reads
	mu.Unlock()
	return f
}

func (f *pollFixture) url(sid string) string {
	u := f.base + "/socket.io/?EIO=4&transport=polling"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

func (f *pollFixture) get(b *testing.B, sid string) string {
	resp, err := f.hc.Get(f.url(sid))
	success(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	success(b, err)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET: status %d %q", resp.StatusCode, body)
	}
	return string(body)
}

func (f *pollFixture) post(b *testing.B, sid, body string) {
	resp, err := f.hc.Post(f.url(sid), "text/plain;charset=UTF-8", strings.NewReader(body))
	success(b, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("POST: status %d", resp.StatusCode)
	}
}

// drain empties the queues of the sessions op sends to (with the timer stopped; a GET on an
// empty queue would wait), checking that each got want broadcasts.
func (f *pollFixture) drain(b *testing.B, recipients []int, want int) {
	b.StopTimer()
	for _, i := range recipients {
		got := f.get(b, f.sids[i])
		if n := strings.Count(got, "\x1e") + 1; n != want {
			b.Fatalf("socket %d: drained %d packets; want %d", i, n, want)
		}
	}
	b.StartTimer()
}

// loop runs op b.N times, draining every drainEvery; recipients are the indexes of the
// sockets op sends to.
func (f *pollFixture) loop(b *testing.B, recipients []int, op func()) {
	b.ReportAllocs()
	b.ResetTimer()
	pending := 0
	for i := 0; i < b.N; i++ {
		op()
		if pending++; pending == drainEvery {
			f.drain(b, recipients, pending)
			pending = 0
		}
	}
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(len(recipients)), "ns/recipient")
}

// every returns the indexes of sockets i < n with i%step == first.
func every(n, step, first int) []int {
	var out []int
	for i := first; i < n; i += step {
		out = append(out, i)
	}
	return out
}

// BenchmarkBroadcast is srv.Emit of a 100-byte string to every socket: encoded once, the same
// bytes queued on each session.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			f := newPollFixture(b, n, 1)
			f.loop(b, every(n, 1, 0), func() {
				if err := f.srv.Emit("bcast", benchMsg); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkBroadcastRecovery is BenchmarkBroadcast with connection state recovery on: each
// broadcast also gets an offset and a place in the log.
func BenchmarkBroadcastRecovery(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			f := newPollFixtureOpts(b, n, 1, hub.Options{ConnectionStateRecovery: &hub.ConnectionStateRecovery{}})
			f.loop(b, every(n, 1, 0), func() {
				if err := f.srv.Emit("bcast", benchMsg); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkSocketEmitRecovery is BenchmarkSocketEmit with connection state recovery on:
// s.Emit then goes through the adapter's log, as in Node.
func BenchmarkSocketEmitRecovery(b *testing.B) {
	f := newPollFixtureOpts(b, 1, 1, hub.Options{ConnectionStateRecovery: &hub.ConnectionStateRecovery{}})
	s := f.sockets[0]
	f.loop(b, []int{0}, func() {
		if err := s.Emit("bcast", benchMsg); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBroadcastRoom is srv.To(room).Emit to one room of 100 among 1,000 sockets in 10
// rooms.
func BenchmarkBroadcastRoom(b *testing.B) {
	f := newPollFixture(b, 1000, 10)
	f.loop(b, every(1000, 10, 3), func() {
		if err := f.srv.To("r3").Emit("bcast", benchMsg); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSocketEmit is s.Emit to one socket: encoding per recipient, for comparison with
// BenchmarkBroadcast.
func BenchmarkSocketEmit(b *testing.B) {
	f := newPollFixture(b, 1, 1)
	s := f.sockets[0]
	f.loop(b, []int{0}, func() {
		if err := s.Emit("bcast", benchMsg); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRoomLookup measures the in-memory adapter's room index with 1,000 sockets in 10
// rooms: the ids in a room, the rooms of a socket, and a join plus a leave.
func BenchmarkRoomLookup(b *testing.B) {
	f := newPollFixture(b, 1000, 10)
	a := f.srv.Of("/").Adapter()
	ctx := context.Background()
	rooms := []string{"r3"}
	b.Run("Sockets(room of 100)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ids, err := a.Sockets(ctx, rooms)
			if err != nil || len(ids) != 100 {
				b.Fatalf("got %d ids, %v", len(ids), err)
			}
		}
	})
	id := f.sockets[7].ID()
	b.Run("SocketRooms", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(a.SocketRooms(id)) == 0 {
				b.Fatal("no rooms")
			}
		}
	})
	s := f.sockets[7]
	b.Run("Join+Leave", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Join("extra")
			s.Leave("extra")
		}
	})
}

// BenchmarkBroadcastObserved is BenchmarkBroadcast with an Observer counting what is sent
// with two atomic adds per recipient, as a Prometheus counter pair does (the exporter's own
// cost per call is metrics/prometheus's BenchmarkObserverSent).
func BenchmarkBroadcastObserved(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			var messages, bytes atomic.Int64
			f := newPollFixtureOpts(b, n, 1, hub.Options{Observer: &hub.Observer{
				Sent: func(_ string, m, n int) { messages.Add(int64(m)); bytes.Add(int64(n)) },
			}})
			f.loop(b, every(n, 1, 0), func() {
				if err := f.srv.Emit("bcast", benchMsg); err != nil {
					b.Fatal(err)
				}
			})
			if messages.Load() < int64(b.N*n) {
				b.Fatalf("%d messages observed for %d broadcasts to %d sockets", messages.Load(), b.N, n)
			}
		})
	}
}
