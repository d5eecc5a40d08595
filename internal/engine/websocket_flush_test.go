package engine_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// The WebSocket writers — the process's flushers on a raw socket, a goroutine per connection
// otherwise — are exercised here with many connections and senders at once, and with a client
// that stops reading.

// dialMany opens n raw WebSocket connections and returns them with their sessions, in order.
func dialMany(t *testing.T, ts *httptest.Server, e *echo, n int) ([]*bufio.Reader, []*engine.Session) {
	t.Helper()
	brs := make([]*bufio.Reader, n)
	sess := make([]*engine.Session, n)
	for i := range brs {
		_, brs[i] = rawWS(t, ts, nil)
		if op, p := readFrame(t, brs[i]); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
		sess[i] = e.last()
	}
	return brs, sess
}

// Broadcasts from several goroutines at once reach every connection whole, each sender's in
// its order. With 8 Ps, 4 flushers run: connections go idle and busy again all the time, and
// a connection is visited by one flusher right after another let it go.
func TestWebSocketConcurrentBroadcasts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			const conns, senders, msgs = 20, 4, 1000
			ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour}, plain)
			e.reasons = nil // more sessions than it holds; no test of reasons here
			brs, sess := dialMany(t, ts, e, conns)
			var wg sync.WaitGroup
			for k := range senders {
				wg.Go(func() {
					for i := range msgs {
						p := engine.Packet{Type: engine.Message, Data: fmt.Appendf(nil, "s%d.%d.%s", k, i, strings.Repeat("x", i%50))}
						for _, s := range sess {
							if err := s.Send(p); err != nil {
								t.Errorf("send: %v", err)
								return
							}
						}
					}
				})
			}
			errs := make(chan error, conns)
			for _, br := range brs {
				go func() {
					next := make([]int, senders)
					for range senders * msgs {
						op, p, err := readFrameErr(br)
						var k, i int
						f := strings.Split(strings.TrimPrefix(p, "4s"), ".")
						if err == nil && (op != 1 || len(f) != 3) {
							err = fmt.Errorf("frame %#x %q", op, p)
						}
						if err == nil {
							k, _ = strconv.Atoi(f[0])
							i, _ = strconv.Atoi(f[1])
							if k >= senders || i != next[k] || len(f[2]) != i%50 {
								err = fmt.Errorf("frame %q; want sender %d's %d", p, k, next[min(k, senders-1)])
							}
						}
						if err != nil {
							errs <- err
							return
						}
						next[k]++
					}
					errs <- nil
				}()
			}
			wg.Wait()
			for range conns {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// A client that stops reading holds up no other: while its socket is full, another
// connection gets every message; and when it reads again, it gets every one too, whole and in
// order (the write its socket could not take at once is finished by a goroutine of its own).
func TestWebSocketStalledClient(t *testing.T) {
	const msgs, size = 800, 16 << 10 // 12.8 MB: more than the loopback socket buffers hold
	ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour, MaxQueuedBytes: 64 << 20}, false)
	brs, sess := dialMany(t, ts, e, 2)
	stalled, reader := brs[0], brs[1]
	pad := strings.Repeat("y", size)
	go func() {
		for i := range msgs {
			p := engine.Packet{Type: engine.Message, Data: fmt.Appendf(nil, "%d.%s", i, pad)}
			for _, s := range sess {
				s.Send(p)
			}
		}
	}()
	for i := range msgs {
		expectFrame(t, reader, 1, fmt.Sprintf("4%d.%s", i, pad))
	}
	if parks {
		waitFor(t, "a goroutine to wait on the stalled socket", func() bool {
			return goroutines("ws.(*Conn).writeRest") == 1
		})
	}
	for i := range msgs {
		expectFrame(t, stalled, 1, fmt.Sprintf("4%d.%s", i, pad))
	}
	if parks {
		waitFor(t, "the writers to exit", func() bool { return connGoroutines() == 0 })
	}
}

// A client whose socket is full while the server answers its pings (the reading goroutine
// waits to write a pong, holding the connection's write lock) holds up no other connection
// either: the flushers do not wait for that lock.
func TestWebSocketBlockedPongHoldsUpNoOne(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the wait for the pong's write is seen as internal/poll's pollWait, which Windows' I/O does not use")
	}
	ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour}, false)
	e.reasons = nil
	x, _ := rawWS(t, ts, nil) // never read from again
	xs := e.last()
	_, yr := rawWS(t, ts, nil)
	ys := e.last()
	readFrame(t, yr) // the open packet
	ping := frame(true, 0x9, strings.Repeat("p", 125))
	go func() { // pings until the server stops reading them
		for {
			if _, err := x.Write(ping); err != nil {
				return
			}
		}
	}()
	waitFor(t, "the reading goroutine to wait to write a pong", func() bool {
		return goroutines("ws.(*Conn).control", "poll.(*FD).Write", "runtime_pollWait") > 0 // blocked writing
	})
	for i := range 10 {
		p := engine.Packet{Type: engine.Message, Data: fmt.Appendf(nil, "m%d", i)}
		xs.Send(p)
		ys.Send(p)
	}
	for i := range 10 {
		expectFrame(t, yr, 1, fmt.Sprintf("4m%d", i))
	}
}
