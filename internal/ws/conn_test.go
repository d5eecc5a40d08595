package ws

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/wsframe"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// fakeSession stands in for the transport's session: it echoes text messages; panicOn names
// a method that panics instead.
type fakeSession struct {
	panicOn string
	log     *bytes.Buffer

	mu     sync.Mutex
	queue  []string
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

func (s *fakeSession) Context() context.Context { return s.ctx }
func (s *fakeSession) Logger() *slog.Logger     { return slog.New(slog.NewTextHandler(s.log, nil)) }
func (s *fakeSession) Begin(*Conn) bool         { return true }
func (s *fakeSession) Fail(err error) {
	s.once.Do(func() { s.failed <- err })
	s.cancel()
}
func (s *fakeSession) FailSettled(err error) { s.Fail(err) }
func (s *fakeSession) Notify(ready func()) {
	s.mu.Lock()
	s.ready = ready
	s.mu.Unlock()
}
func (s *fakeSession) Message(op byte, data []byte) error {
	s.maybePanic("Message")
	s.mu.Lock()
	s.queue = append(s.queue, string(data))
	ready := s.ready
	s.mu.Unlock()
	ready()
	return nil
}
func (s *fakeSession) Frames(buf []byte) ([]byte, bool, bool) {
	s.maybePanic("Frames")
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	last := s.ctx.Err() != nil
	if len(q) == 0 && !last {
		return buf, false, false
	}
	for _, m := range q {
		buf = append(buf, 0x81, byte(len(m)))
		buf = append(buf, m...)
	}
	return buf, last, true
}

// queued queues m if the connection has called Notify, and returns its ready func then.
func (s *fakeSession) queued(m string) (ready func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready != nil {
		s.queue = append(s.queue, m)
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
	return serveTest(t, s, s.cancel, plain, 1<<20)
}

// serveTest serves one WebSocket connection for s with a MaxMessage of max, over a loopback
// TCP connection (hidden behind hiddenConn when plain); cancel ends s when the test ends.
func serveTest(t *testing.T, s Session, cancel func(), plain bool, max int64) (net.Conn, *bufio.Reader, <-chan struct{}) {
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
	Serve(sc, nil, s, Options{MaxMessage: max, Done: func() { close(done) }})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return cc, bufio.NewReader(cc), done
}

// clientFrame is a masked client frame.
func clientFrame(fin bool, op byte, payload string) []byte {
	const key = 0x12345678
	b := wsframe.AppendMaskedHeader(nil, fin, op, len(payload), key)
	b = append(b, payload...)
	wsframe.Mask(b[len(b)-len(payload):], key)
	return b
}

// readServerFrame reads an unmasked server frame.
func readServerFrame(br *bufio.Reader) (op byte, payload string, err error) {
	op, p, err := wsframe.ReadServerFrame(br, 1<<30)
	return op, string(p), err
}

// A panic in any goroutine of a connection — the reader, a flusher's visit, a writer of the
// connection's own — ends that connection, logged with its stack; another connection, served
// at the same time by the same flushers, goes on.
func TestWebSocketPanicEndsOnlyItsConnection(t *testing.T) {
	for _, tt := range []struct {
		name, panicOn string
		plain         bool
	}{
		{"reader", "Message", false},
		{"reader, not a socket", "Message", true},
		{"flusher", "Frames", false},
		{"writeLoop", "Frames", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			good := newFakeSession("")
			gc, gbr, _ := serveFake(t, good, false)
			bad := newFakeSession(tt.panicOn)
			bc, bbr, done := serveFake(t, bad, tt.plain)

			if tt.panicOn == "Frames" {
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
		if ready := s.queued("x"); ready != nil {
			return ready
		}
		if time.Now().After(deadline) {
			t.Fatal("no Notify")
		}
		time.Sleep(time.Millisecond)
	}
}
