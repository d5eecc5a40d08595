package ws

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
)

// settlingSession is fakeSession for a session that handles messages later (as hub's
// Socket.IO layer does, on a goroutine of its own): what Message gets is echoed only once the
// connection fails, when FailSettled asks for it — or never, for an old connection that fails
// the session at once.
type settlingSession struct {
	*fakeSession
	mu      sync.Mutex
	held    []string
	closing bool // FailSettled was called: the next Frames are the last
	sent    bool // ...and they were taken
}

func (s *settlingSession) Message(op byte, data []byte) error {
	s.mu.Lock()
	s.held = append(s.held, string(data))
	s.mu.Unlock()
	return nil
}

func (s *settlingSession) FailSettled(err error) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.fakeSession.mu.Lock()
	ready := s.fakeSession.ready
	s.fakeSession.mu.Unlock()
	ready()
}

func (s *settlingSession) Frames(buf []byte) ([]byte, bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closing || s.sent {
		return buf, false, false
	}
	s.sent = true
	for _, m := range s.held {
		buf = append(buf, 0x81, byte(len(m)))
		buf = append(buf, m...)
	}
	return buf, true, true
}

// A failure found after good messages in one read: the session's replies to them go out
// first, then the close frame with the failure's code — from the flushers (a socket) and
// from a writer of the connection's own.
func TestFailureAfterReplies(t *testing.T) {
	for _, plain := range []bool{false, true} {
		for _, tt := range []struct {
			name string
			bad  []byte
			code uint16
		}{
			{"reserved opcode", clientFrame(true, 3, ""), closeProtocolError},
			{"continuation of nothing", clientFrame(true, 0, "x"), closeProtocolError},
			{"invalid UTF-8", clientFrame(true, 1, "4\xff"), closeInvalidData},
			{"over MaxMessage", clientFrame(true, 2, strings.Repeat("x", 200)), closeTooBig},
		} {
			name := tt.name
			if plain {
				name += " (not a socket)"
			}
			t.Run(name, func(t *testing.T) {
				s := &settlingSession{fakeSession: newFakeSession("")}
				cc, br := serveSettling(t, s, plain)
				in := bytes.Join([][]byte{clientFrame(true, 1, "4first"), clientFrame(true, 1, "4second"), tt.bad, clientFrame(true, 1, "4after")}, nil)
				if _, err := cc.Write(in); err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{"4first", "4second"} {
					if op, p, err := readServerFrame(br); err != nil || op != 1 || p != want {
						t.Fatalf("got %#x %q %v; want the reply %q", op, p, err, want)
					}
				}
				want := string(appendClose(nil, tt.code)[2:])
				if op, p, err := readServerFrame(br); err != nil || op != 8 || p != want {
					t.Fatalf("got %#x %q %v; want the close frame %q", op, p, err, want)
				}
				if err := <-s.failed; err == nil {
					t.Fatal("the session did not fail")
				}
				cc.Close() // the connection, lingering for the client's end, ends now
			})
		}
	}
}

// serveSettling serves a settlingSession, with a MaxMessage of 100 bytes (see serveTest).
func serveSettling(t *testing.T, s *settlingSession, plain bool) (net.Conn, *bufio.Reader) {
	cc, br, _ := serveTest(t, s, s.cancel, plain, 100)
	return cc, br
}
