package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine/packet"
	"github.com/hubkit/hub/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// fakeSession stands in for the engine's session: it echoes messages and hands them to the
// connection's writer; panicOn names a method that panics instead.
type fakeSession struct {
	panicOn string
	log     *bytes.Buffer

	mu     sync.Mutex
	queue  []packet.Packet
	ready  func()
	failed chan error // gets the first Fail
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func newFakeSession(panicOn string) *fakeSession {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakeSession{panicOn: panicOn, log: new(bytes.Buffer), failed: make(chan error, 1), ctx: ctx, cancel: cancel}
}

func (s *fakeSession) maybePanic(m string) {
	if s.panicOn == m {
		panic("fakeSession." + m)
	}
}

func (s *fakeSession) ID() string        { return "fake" }
func (s *fakeSession) MaxPayload() int64 { return 1 << 20 }
func (s *fakeSession) Pull(context.Context, []packet.Packet) ([]packet.Packet, error) {
	return nil, errors.New("not here")
}
func (s *fakeSession) Notify(ready func()) {
	s.mu.Lock()
	s.ready = ready
	s.mu.Unlock()
}
func (s *fakeSession) TryPull(reuse []packet.Packet) ([]packet.Packet, error) {
	s.maybePanic("TryPull")
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	if s.ctx.Err() != nil {
		return q, ErrClosed
	}
	return q, nil
}
func (s *fakeSession) Detach() func() { return func() {} }
func (s *fakeSession) Stream()        {}
func (s *fakeSession) Receive(pkts ...packet.Packet) error {
	s.maybePanic("Receive")
	s.mu.Lock()
	s.queue = append(s.queue, pkts...)
	ready := s.ready
	s.mu.Unlock()
	ready()
	return nil
}
func (s *fakeSession) BeginReceive() (func(), error) { return func() {}, nil }
func (s *fakeSession) Fail(err error) {
	s.once.Do(func() { s.failed <- err })
	s.cancel()
}
func (s *fakeSession) Upgrading() bool             { return false }
func (s *fakeSession) Probe() error                { return nil }
func (s *fakeSession) Upgrade() error              { return nil }
func (s *fakeSession) AbortUpgrade()               {}
func (s *fakeSession) Context() context.Context    { return s.ctx }
func (s *fakeSession) WriteTimeout() time.Duration { return 5 * time.Second }
func (s *fakeSession) Logger() *slog.Logger        { return slog.New(slog.NewTextHandler(s.log, nil)) }

// queue queues p if the connection has called Notify, and returns its ready func then.
func (s *fakeSession) queued(p packet.Packet) (ready func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready != nil {
		s.queue = append(s.queue, p)
	}
	return s.ready
}

// hiddenConn hides the connection's type: the transport reads and writes it through its own
// methods, as a TLS connection.
type hiddenConn struct{ net.Conn }

// serveFake serves one WebSocket connection for s, over a loopback TCP connection (hidden
// behind hiddenConn when plain), and returns the client's end and a channel closed when the
// connection has ended (done).
func serveFake(t *testing.T, s *fakeSession, plain bool) (net.Conn, *bufio.Reader, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	cc.SetDeadline(time.Now().Add(10 * time.Second))
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if plain {
		sc = hiddenConn{sc}
	}
	done := make(chan struct{})
	c := &wsConn{nc: sc, s: s, limit: s.MaxPayload(), done: func() { close(done) }}
	c.start(nil)
	go c.run(0)
	t.Cleanup(func() {
		s.cancel()
		<-done
	})
	return cc, bufio.NewReader(cc), done
}

// clientFrame is a masked client frame.
func clientFrame(fin bool, op byte, payload string) []byte {
	b := []byte{op}
	if fin {
		b[0] |= 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, key[:]...)
	for i := 0; i < n; i++ {
		b = append(b, payload[i]^key[i&3])
	}
	return b
}

// readServerFrame reads an unmasked server frame.
func readServerFrame(br *bufio.Reader) (op byte, payload string, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, "", err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, "", err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, "", err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return 0, "", err
	}
	return h[0] & 0x0f, string(p), nil
}

// A panic in any goroutine of a connection — the reader, a flusher's visit, a writer of the
// connection's own — ends that connection, logged with its stack; another connection, served
// at the same time by the same flushers, goes on.
func TestWebSocketPanicEndsOnlyItsConnection(t *testing.T) {
	for _, tt := range []struct {
		name, panicOn string
		plain         bool
	}{
		{"reader", "Receive", false},
		{"reader, not a socket", "Receive", true},
		{"flusher", "TryPull", false},
		{"writeLoop", "TryPull", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			good := newFakeSession("")
			gc, gbr, _ := serveFake(t, good, false)
			bad := newFakeSession(tt.panicOn)
			bc, bbr, done := serveFake(t, bad, tt.plain)

			if tt.panicOn == "TryPull" {
				// The writer panics on its first visit: give it something to write.
				waitReady(t, bad)()
			} else if _, err := bc.Write(clientFrame(true, 1, "4boom")); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-bad.failed:
				if !strings.Contains(err.Error(), "panic") {
					t.Fatalf("session failed with %v; want the panic", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the session did not fail")
			}
			<-done // the connection ended: its request is done
			if _, err := io.Copy(io.Discard, bbr); err != nil {
				t.Fatalf("the panicking connection: %v; want it closed", err)
			}
			if log := bad.log.String(); !strings.Contains(log, "fakeSession."+tt.panicOn) || !strings.Contains(log, "goroutine") {
				t.Fatalf("log %q; want the panic with its stack", log)
			}

			// The other connection still works, both ways.
			if _, err := gc.Write(clientFrame(true, 1, "4hello")); err != nil {
				t.Fatal(err)
			}
			if op, p, err := readServerFrame(gbr); err != nil || op != 1 || p != "4hello" {
				t.Fatalf("the other connection: %#x %q %v; want the echo", op, p, err)
			}
		})
	}
}

// waitReady waits for the connection to have called Notify, queues a message for it and
// returns its ready func.
func waitReady(t *testing.T, s *fakeSession) func() {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ready := s.queued(packet.Packet{Type: packet.Message, Data: []byte("x")}); ready != nil {
			return ready
		}
		if time.Now().After(deadline) {
			t.Fatal("no Notify")
		}
		time.Sleep(time.Millisecond)
	}
}

// A flush queue that never drains fully — connections requeued as fast as they are taken —
// keeps an array the size of what waits, not of every visit so far.
func TestFlushQueueBounded(t *testing.T) {
	var f flushQueue
	f.running = 1 // as if a flusher were visiting
	a, b := new(wsConn), new(wsConn)
	f.requeue(a)
	f.requeue(b)
	for range 1_000_000 {
		c := f.pop()
		if c == nil {
			t.Fatal("the queue ran dry")
		}
		f.requeue(c)
	}
	if n := cap(f.q); n > 4096 {
		t.Fatalf("after 1M visits with 2 connections waiting, the queue's array holds %d entries; want at most 4096", n)
	}
	if c := f.pop(); c != a {
		t.Fatal("the queue lost its order")
	}
}
