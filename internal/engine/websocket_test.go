package engine_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/wsframe"
)

// The WebSocket transport reads client frames itself (RFC 6455): these tests speak raw frames
// to it, over a plain TCP connection and over one that hides its socket (as a TLS connection
// does), which the transport reads through net.Conn instead.

// plainConn hides the net.Conn's syscall.Conn. It half-closes, as a TLS connection does.
type plainConn struct{ net.Conn }

func (c plainConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

type plainListener struct{ net.Listener }

func (l plainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return plainConn{c}, nil
}

// newRawServer is newServer, with the listener's connections hidden behind plainConn if plain.
func newRawServer(t *testing.T, opts *engine.Options, plain bool) (*httptest.Server, *echo) {
	t.Helper()
	e := &echo{reasons: make(chan engine.Reason, 16)}
	return serveEngine(t, e, opts, plain), e
}

// serveEngine serves an engine with handler h on an httptest server (its connections hidden
// behind plainConn if plain), both closed when the test ends.
func serveEngine(t *testing.T, h engine.Handler, opts *engine.Options, plain bool) *httptest.Server {
	t.Helper()
	srv := engine.NewServer(h, opts)
	ts := httptest.NewUnstartedServer(srv)
	if plain {
		ts.Listener = plainListener{ts.Listener}
	}
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts
}

// frame is a client frame: masked, as RFC 6455 requires.
func frame(fin bool, op byte, payload string) []byte {
	const key = 0x12345678
	b := wsframe.AppendMaskedHeader(nil, fin, op, len(payload), key)
	b = append(b, payload...)
	wsframe.Mask(b[len(b)-len(payload):], key)
	return b
}

// bigHeader is the masked header of a frame (FIN set, opcode op) declaring a 64-bit length n;
// no payload follows.
func bigHeader(op byte, n uint64) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{0x80 | op, 0x80 | 127}, n), 1, 2, 3, 4)
}

func closePayload(code uint16) string { return string([]byte{byte(code >> 8), byte(code)}) }

// requestWS is the handshake request rawWS sends.
const requestWS = "GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// webSocketHeaders sets the headers of a WebSocket handshake request, as requestWS has them.
func webSocketHeaders(h http.Header) {
	h.Set("Connection", "Upgrade")
	h.Set("Upgrade", "websocket")
	h.Set("Sec-WebSocket-Version", "13")
	h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
}

// rawWS sends the handshake request and then extra in one write, and returns the
// connection, positioned after the 101 response.
func rawWS(t *testing.T, ts *httptest.Server, extra []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(append([]byte(requestWS), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", res.Status)
	}
	return c, br
}

// readFrame reads a server frame (unmasked).
func readFrame(t *testing.T, br *bufio.Reader) (op byte, payload string) {
	t.Helper()
	op, payload, err := readFrameErr(br)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return op, payload
}

// readFrameErr is readFrame for a goroutine other than the test's: it returns an error
// instead of failing the test.
func readFrameErr(br *bufio.Reader) (op byte, payload string, err error) {
	op, p, err := wsframe.ReadServerFrame(br, 1<<30)
	return op, string(p), err
}

func expectFrame(t *testing.T, br *bufio.Reader, op byte, payload string) {
	t.Helper()
	gotOp, got := readFrame(t, br)
	if gotOp != op || got != payload {
		t.Fatalf("got frame %#x %q; want %#x %q", gotOp, got, op, payload)
	}
}

func expectEOF(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if b, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the close frame: got %#x %v; want the connection closed", b, err)
	}
}

func expectReason(t *testing.T, e *echo, want engine.Reason) {
	t.Helper()
	select {
	case r := <-e.reasons:
		if r != want {
			t.Fatalf("close reason %q; want %q", r, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no close; want %q", want)
	}
}

func TestWebSocketClientFrames(t *testing.T) {
	big := strings.Repeat("y", 70000) // two bytes past the 16-bit length, read past the buffer
	tests := []struct {
		name string
		// first goes out with the handshake request (net/http has it buffered when the
		// connection changes hands); then sends, then the frames expected back.
		first, then []byte
		want        [][2]string // opcode, payload
		reason      engine.Reason
		eof         bool
		// the connection ends with a close frame without a status, as ws's close()
		closeNoStatus bool
	}{{
		name:  "a message in the handshake's packet",
		first: frame(true, 1, "4hello"),
		want:  [][2]string{{"\x01", "4hello"}},
	}, {
		name: "fragments with a ping in between",
		then: bytes.Join([][]byte{frame(false, 1, "4hel"), frame(true, 9, "p!"), frame(false, 0, "l"), frame(true, 0, "o")}, nil),
		want: [][2]string{{"\x0a", "p!"}, {"\x01", "4hello"}},
	}, {
		name: "a binary message in fragments",
		then: append(frame(false, 2, "\x00\x01"), frame(true, 0, "\x02")...),
		want: [][2]string{{"\x02", "\x00\x01\x02"}},
	}, {
		name: "a large message",
		then: frame(true, 1, "4"+big),
		want: [][2]string{{"\x01", "4" + big}},
	}, {
		name: "an empty ping and a pong",
		then: append(frame(true, 9, ""), frame(true, 10, "x")...),
		want: [][2]string{{"\x0a", ""}},
	}, {
		name:   "a close frame with a status",
		then:   frame(true, 8, closePayload(1001)+"bye"),
		want:   [][2]string{{"\x08", closePayload(1001) + "bye"}}, // echoed, as ws does
		reason: engine.ReasonTransportClose, eof: true,
	}, {
		name:   "a close frame without a status",
		then:   frame(true, 8, ""),
		want:   [][2]string{{"\x08", ""}}, // ws answers with no status either
		reason: engine.ReasonTransportClose, eof: true,
	}, {
		name:   "an unmasked frame",
		then:   []byte{0x81, 2, '4', 'x'},
		want:   [][2]string{{"\x08", closePayload(1002)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a continuation of nothing",
		then:   frame(true, 0, "4x"),
		want:   [][2]string{{"\x08", closePayload(1002)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a fragmented ping",
		then:   frame(false, 9, "p"),
		want:   [][2]string{{"\x08", closePayload(1002)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a message over maxPayload",
		then:   append(frame(false, 1, "4"+strings.Repeat("x", 60)), frame(true, 0, strings.Repeat("x", 40))...),
		want:   [][2]string{{"\x08", closePayload(1009)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		// 23 bytes that ended the process: the running total of a 64-bit length near 2^63
		// wrapped around.
		name:   "a continuation whose length overflows the total",
		then:   append(frame(false, 1, "4ab"), bigHeader(0, 1<<63-2)...),
		want:   [][2]string{{"\x08", closePayload(1009)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a length with its top bit set",
		then:   bigHeader(1, 1<<64-1),
		want:   [][2]string{{"\x08", closePayload(1009)}}, // ws: 1009 past 2^53
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a frame over maxPayload, refused before its payload",
		then:   bigHeader(2, 1<<40),
		want:   [][2]string{{"\x08", closePayload(1009)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name: "UTF-8 split across fragments",
		then: bytes.Join([][]byte{frame(false, 1, "4\xe2"), frame(false, 0, "\x82"), frame(true, 0, "\xac\xf0\x9f\x98\x80")}, nil),
		want: [][2]string{{"\x01", "4\u20ac\U0001F600"}},
	}, {
		name:   "invalid UTF-8, early in a message that never ends",
		then:   frame(false, 1, "4\xf4\x90"), // past U+10FFFF from its second byte
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a close reason that is not UTF-8",
		then:   frame(true, 8, closePayload(1000)+"\xff"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "close code 1012",
		then:   frame(true, 8, closePayload(1012)),
		want:   [][2]string{{"\x08", closePayload(1012)}},
		reason: engine.ReasonTransportClose, eof: true,
	}, {
		name:   "close code 1014 with a reason",
		then:   frame(true, 8, closePayload(1014)+"gateway \u00e9"),
		want:   [][2]string{{"\x08", closePayload(1014) + "gateway \u00e9"}},
		reason: engine.ReasonTransportClose, eof: true,
	}, {
		name:   "close code 1015",
		then:   frame(true, 8, closePayload(1015)),
		want:   [][2]string{{"\x08", closePayload(1002)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "invalid UTF-8: overlong",
		then:   frame(true, 1, "4\xc0\xaf"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "invalid UTF-8: a surrogate",
		then:   frame(true, 1, "4\xed\xa0\x80"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "invalid UTF-8: above U+10FFFF",
		then:   frame(true, 1, "4\xf4\x90\x80\x80"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "invalid UTF-8: truncated at the end",
		then:   frame(true, 1, "4a\xe2\x82"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "invalid UTF-8: 0xfe and 0xff",
		then:   frame(true, 1, "4\xfe\xff"),
		want:   [][2]string{{"\x08", closePayload(1007)}},
		reason: engine.ReasonTransportError, eof: true,
	}, {
		name:   "a bad packet",
		then:   frame(true, 1, "x"),
		reason: engine.ReasonParseError, eof: true, closeNoStatus: true,
	}}
	for _, plain := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if plain {
				name += " (not a socket)"
			}
			t.Run(name, func(t *testing.T) {
				opts := &engine.Options{PingInterval: time.Hour}
				if strings.Contains(tt.name, "maxPayload") {
					opts.MaxPayload = 100
				}
				ts, e := newRawServer(t, opts, plain)
				c, br := rawWS(t, ts, tt.first)
				if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
					t.Fatalf("open packet: %#x %q", op, p)
				}
				if _, err := c.Write(tt.then); err != nil {
					t.Fatal(err)
				}
				for _, w := range tt.want {
					expectFrame(t, br, w[0][0], w[1])
				}
				if tt.closeNoStatus { // as ws's close(): a close frame with an empty body
					expectFrame(t, br, 8, "")
				}
				if tt.eof {
					expectEOF(t, br)
				}
				if tt.reason != "" {
					expectReason(t, e, tt.reason)
				}
			})
		}
	}
}

// goroutines counts the goroutines whose stack contains every one of fns; a name no function
// of the binary has panics (see leakcheck.Count).
func goroutines(fns ...string) int { return leakcheck.Count(fns...) }

// connGoroutines counts the goroutines of WebSocket connections: reading, writing, ending.
func connGoroutines() int { return goroutines("ws.(*Conn).") }

// parks reports whether an idle connection gives its reading goroutine up (to the poller).
var parks = runtime.GOOS == "linux"

// wantIdle waits until the n WebSocket connections are idle: no net/http handler goroutine,
// no writer, and no reading goroutine — or, where connections do not park, one each.
func wantIdle(t *testing.T, n int) {
	t.Helper()
	if !parks {
		waitFor(t, "the writers and the handler goroutines to exit", func() bool {
			return goroutines("ws.(*Conn).writeLoop") == 0 && goroutines("net/http.(*conn).serve") == 0 &&
				goroutines("ws.(*Conn).loop") == n
		})
		return
	}
	waitFor(t, "the connections' goroutines to exit", func() bool {
		return connGoroutines() == 0 && goroutines("net/http.(*conn).serve") == 0
	})
}

// An idle WebSocket connection has no goroutine of its own on Linux, once idle for a while
// (the poller watches its socket; elsewhere one, reading): no writer, and not the net/http handler's. A packet queued
// later starts a writer, which exits once it is written; a message from the client starts a
// reading goroutine, which exits once it has read everything.
func TestWebSocketIdleGoroutines(t *testing.T) {
	ts, e, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
	c := dialWS(t, ts.URL, "")
	if open := read(t, c); open[0] != '0' {
		t.Fatalf("open: %q", open)
	}
	wantIdle(t, 1)
	if parks {
		if n := goroutines("ws.(*poller).loop"); n != 1 {
			t.Fatalf("%d poller goroutines; want 1", n)
		}
	}
	for i := range 3 {
		msg := strings.Repeat("x", i)
		if err := e.last().Send(engine.Packet{Type: engine.Message, Data: []byte(msg)}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, c); got != "4"+msg {
			t.Fatalf("got %q; want %q", got, "4"+msg)
		}
		wantIdle(t, 1)
		write(t, c, "4y"+msg) // echoed
		if got := read(t, c); got != "4y"+msg {
			t.Fatalf("got %q; want %q", got, "4y"+msg)
		}
		wantIdle(t, 1)
	}
}

// The server's pings reach an idle connection, and its pongs wake it. (A connection parks
// once idle for a while: the pings come slowly enough for that.)
func TestWebSocketIdlePings(t *testing.T) {
	ts, e := newRawServer(t, &engine.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 5 * time.Second}, false)
	c, br := rawWS(t, ts, nil)
	if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
		t.Fatalf("open packet: %#x %q", op, p)
	}
	for range 3 {
		wantIdle(t, 1)
		expectFrame(t, br, 1, "2")
		if _, err := c.Write(frame(true, 1, "3")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Write(frame(true, 1, "4after pings")); err != nil {
		t.Fatal(err)
	}
	for {
		op, p := readFrame(t, br)
		if op == 1 && p == "2" {
			c.Write(frame(true, 1, "3"))
			continue
		}
		if op != 1 || p != "4after pings" {
			t.Fatalf("got frame %#x %q; want the echo", op, p)
		}
		break
	}
	select {
	case r := <-e.reasons:
		t.Fatalf("closed: %s", r)
	default:
	}
}

// A client that goes away while its connection is idle is seen at once: "transport close",
// not a ping timeout.
func TestWebSocketIdleClientCloses(t *testing.T) {
	for _, plain := range []bool{false, true} {
		ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour}, plain)
		c, br := rawWS(t, ts, nil)
		if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
		if !plain {
			wantIdle(t, 1)
		}
		c.Close()
		expectReason(t, e, engine.ReasonTransportClose)
	}
}

// Server.Close ends idle connections, and leaves no goroutine behind: not theirs, not the
// poller's.
func TestWebSocketIdleServerClose(t *testing.T) {
	e := &echo{reasons: make(chan engine.Reason, 200)}
	srv := engine.NewServer(e, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var brs []*bufio.Reader
	for range 100 {
		_, br := rawWS(t, ts, nil)
		if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
		brs = append(brs, br)
	}
	wantIdle(t, 100)
	srv.Close()
	waitFor(t, "no goroutine left after Server.Close", func() bool {
		return connGoroutines()+goroutines("ws.(*poller).loop") == 0
	})
	for _, br := range brs {
		if _, err := io.Copy(io.Discard, br); err != nil { // to EOF
			t.Fatal(err)
		}
	}
	for range 100 {
		expectReason(t, e, engine.ReasonShutdown)
	}
}

// Many idle connections all sending at once are all read and answered.
func TestWebSocketIdleManySend(t *testing.T) {
	const n = 500
	srv := engine.NewServer(&echo{}, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	conns := make([]net.Conn, n)
	brs := make([]*bufio.Reader, n)
	for i := range conns {
		conns[i], brs[i] = rawWS(t, ts, nil)
		if op, p := readFrame(t, brs[i]); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
	}
	wantIdle(t, n)
	for round := range 2 {
		start := make(chan struct{})
		errs := make(chan error, n)
		for i, c := range conns {
			go func() {
				<-start
				_, err := c.Write(frame(true, 1, fmt.Sprintf("4m%d.%d", i, round)))
				errs <- err
			}()
		}
		close(start)
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for i, br := range brs {
			expectFrame(t, br, 1, fmt.Sprintf("4m%d.%d", i, round))
		}
		wantIdle(t, n)
	}
}

// recorder records the messages its sessions receive, in order.
type recorder struct{ msgs chan string }

func (r recorder) Open(s *engine.Session) engine.Conn { return r }
func (r recorder) Message(p engine.Packet)            { r.msgs <- string(p.Data) }
func (r recorder) Closed(engine.Reason, error)        { close(r.msgs) }

// Messages that came whole before a bad frame, in the same read, are delivered first; then
// the connection fails (as in ws).
func TestWebSocketMessagesBeforeBadFrame(t *testing.T) {
	for _, plain := range []bool{false, true} {
		rec := recorder{make(chan string, 8)}
		srv := engine.NewServer(rec, &engine.Options{PingInterval: time.Hour})
		ts := httptest.NewUnstartedServer(srv)
		if plain {
			ts.Listener = plainListener{ts.Listener}
		}
		ts.Start()
		c, br := rawWS(t, ts, nil)
		if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
		bad := []byte{0x81, 2, '4', 'x'} // unmasked
		if _, err := c.Write(bytes.Join([][]byte{frame(true, 1, "4one"), frame(true, 1, "4two"), bad}, nil)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for m := range rec.msgs {
			got = append(got, m)
		}
		if strings.Join(got, ",") != "one,two" {
			t.Fatalf("plain=%v: delivered %q; want one, two", plain, got)
		}
		expectFrame(t, br, 8, closePayload(1002))
		expectEOF(t, br)
		c.Close() // the server, lingering for the client's end, sees it
		srv.Close()
		ts.Close()
	}
}

// A connection failed while the client is still sending ends with the close frame and a
// clean end of stream, not a reset that would lose the close frame: the server half-closes
// and drops what still comes, for a while.
func TestWebSocketCloseWithoutReset(t *testing.T) {
	for _, plain := range []bool{false, true} {
		ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour, MaxPayload: 100}, plain)
		c, br := rawWS(t, ts, nil)
		if op, p := readFrame(t, br); op != 1 || p[0] != '0' {
			t.Fatalf("open packet: %#x %q", op, p)
		}
		const n = 256 << 10
		msg := frame(true, 1, strings.Repeat("x", n))
		wrote := make(chan error, 1)
		go func() {
			_, err := c.Write(msg)
			wrote <- err
		}()
		expectFrame(t, br, 8, closePayload(1009))
		if err := <-wrote; err != nil {
			t.Fatalf("plain=%v: writing: %v", plain, err)
		}
		expectEOF(t, br)
		expectReason(t, e, engine.ReasonTransportError)
	}
}

// countingConn wraps a *net.TCPConn, as a PROXY-protocol listener or a byte counter does: it
// is a syscall.Conn through the embedded connection, but its bytes must go through its methods.
type countingConn struct {
	*net.TCPConn
	read, written *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.TCPConn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

type countingListener struct {
	net.Listener
	read, written atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), &l.read, &l.written}, nil
}

// A connection that wraps a socket is read and written through its own methods, never
// through the socket underneath: every byte is seen by the wrapper.
func TestWebSocketWrappedConn(t *testing.T) {
	srv := engine.NewServer(&echo{}, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewUnstartedServer(srv)
	ln := &countingListener{Listener: ts.Listener}
	ts.Listener = ln
	ts.Start()
	defer ts.Close()
	defer srv.Close()
	c, br := rawWS(t, ts, frame(true, 1, "4hello"))
	sent := int64(len(requestWS) + len(frame(true, 1, "4hello"))) // by the client
	for _, want := range []string{"0", "4hello"} {
		op, p := readFrame(t, br)
		if op != 1 || !strings.HasPrefix(p, want) {
			t.Fatalf("got frame %#x %q; want %q", op, p, want)
		}
	}
	msg := frame(true, 1, "4again")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	sent += int64(len(msg))
	expectFrame(t, br, 1, "4again")
	waitFor(t, "the wrapper to see every byte the client sent", func() bool { return ln.read.Load() == sent })
}

// A client that reads nothing, while it keeps its session alive (it answers pings without
// reading them), is dropped once a write has waited for it longer than the heartbeat allows:
// a write never blocks for ever.
func TestWebSocketClientThatNeverReads(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			opts := &engine.Options{PingInterval: 100 * time.Millisecond, PingTimeout: time.Second, MaxQueuedBytes: 256 << 20}
			ts, e := newRawServer(t, opts, plain)
			c, _ := rawWS(t, ts, nil)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4096)
			}
			s := e.last()
			stop := make(chan struct{})
			defer close(stop)
			go func() { // pongs, blindly, faster than the pings come
				pong := frame(true, 1, "3")
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						if _, err := c.Write(pong); err != nil {
							return
						}
					}
				}
			}()
			big := engine.Packet{Type: engine.Message, Data: bytes.Repeat([]byte{'x'}, 32<<20), Binary: true}
			if err := s.Send(big); err != nil {
				t.Fatal(err)
			}
			expectReason(t, e, engine.ReasonTransportError)
		})
	}
}

// A second WebSocket for a session that already has one (opened on it, or upgraded to it) or
// is upgrading to one completes its handshake and is closed at once, as in Node (ws's close():
// a close frame without a status), so that the client sees a close, not an HTTP error. The
// session goes on.
func TestWebSocketSecondForSession(t *testing.T) {
	dialRaw := func(t *testing.T, ts *httptest.Server, sid string) *bufio.Reader {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(5 * time.Second))
		req := strings.Replace(requestWS, "transport=websocket", "transport=websocket&sid="+sid, 1)
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("second WebSocket: %s; want 101", res.Status)
		}
		return br
	}
	t.Run("opened on websocket", func(t *testing.T) {
		ts, e := newRawServer(t, &engine.Options{PingInterval: time.Hour}, false)
		c, br := rawWS(t, ts, nil)
		readFrame(t, br) // open
		sid := e.last().ID()
		second := dialRaw(t, ts, sid)
		expectFrame(t, second, 8, "")
		expectEOF(t, second)
		if _, err := c.Write(frame(true, 1, "4still here")); err != nil {
			t.Fatal(err)
		}
		expectFrame(t, br, 1, "4still here")
	})
	t.Run("upgraded from polling", func(t *testing.T) {
		ts, _, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
		o := handshake(t, ts.URL)
		c := dialWS(t, ts.URL, "&sid="+o.SID)
		probe(t, c)
		write(t, c, "5")
		second := dialRaw(t, ts, o.SID)
		expectFrame(t, second, 8, "")
		expectEOF(t, second)
		write(t, c, "4still here")
		if got := read(t, c); got != "4still here" {
			t.Fatalf("got %q; want the echo", got)
		}
	})
	t.Run("while upgrading", func(t *testing.T) {
		ts, _, _ := newServer(t, &engine.Options{PingInterval: time.Hour})
		o := handshake(t, ts.URL)
		c := dialWS(t, ts.URL, "&sid="+o.SID)
		probe(t, c)
		second := dialRaw(t, ts, o.SID)
		expectFrame(t, second, 8, "")
		expectEOF(t, second)
		write(t, c, "5")
		write(t, c, "4still here")
		if got := read(t, c); got != "4still here" {
			t.Fatalf("got %q; want the echo", got)
		}
	})
}
