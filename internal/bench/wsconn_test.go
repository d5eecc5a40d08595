package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/wsframe"
)

// wsLengths are the payload lengths exchanged each way: both sides of the 7-bit, 16-bit and
// 64-bit length encodings, and a message larger than the client's read buffer.
var wsLengths = []int{0, 125, 126, 65535, 65536, 200000}

// wsPattern is the payload of a test message of n bytes and type op.
func wsPattern(n int, op byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte((i*7+int(op))%26)
	}
	return p
}

// wsScript is the server side of TestWSConn, over github.com/coder/websocket: it checks every
// message the client sends against wsPattern and sends it back twice, once as one frame and
// once fragmented; then it pings the client, and ends with a close frame.
func wsScript(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		for _, n := range wsLengths {
			got, p, err := conn.Read(ctx)
			if err != nil {
				return fmt.Errorf("server read (%v, %d bytes): %w", typ, n, err)
			}
			if got != typ || !bytes.Equal(p, wsPattern(n, byte(typ))) {
				return fmt.Errorf("server got a %v message of %d bytes, want %v of %d bytes as sent", got, len(p), typ, n)
			}
			if err := conn.Write(ctx, typ, p); err != nil {
				return err
			}
			// Fragmented: coder/websocket writes a frame per Write, and an empty final one.
			mw, err := conn.Writer(ctx, typ)
			if err != nil {
				return err
			}
			for _, part := range [][]byte{p[:n/3], p[n/3 : 2*n/3], p[2*n/3:]} {
				if _, err := mw.Write(part); err != nil {
					return err
				}
			}
			if err := mw.Close(); err != nil {
				return err
			}
		}
	}
	// Ping while reading (the pong is read by conn.Read), then say so.
	pinged := make(chan error, 1)
	go func() {
		err := conn.Ping(ctx)
		if err == nil {
			err = conn.Write(ctx, websocket.MessageText, []byte("pinged"))
		}
		pinged <- err
	}()
	_, p, err := conn.Read(ctx)
	if err != nil {
		return fmt.Errorf("server read after the ping: %w", err)
	}
	if err := <-pinged; err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if string(p) != "close me" {
		return fmt.Errorf("server got %q, want %q", p, "close me")
	}
	// Close waits for the client's close frame in answer.
	if err := conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		return fmt.Errorf("closing handshake: %w", err)
	}
	return nil
}

// TestWSConn runs the load tool's WebSocket client against a coder/websocket server.
func TestWSConn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serverErr := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serverErr <- wsScript(ctx, w, r)
	}))
	defer srv.Close()

	c, err := dialWS(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/path?q=1")
	if err != nil {
		t.Fatal(err)
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second)) // a bound, not synchronisation
	err = func() error {
		defer c.close() // on failure, this ends the server's script too
		for _, op := range []byte{wsframe.OpText, wsframe.OpBinary} {
			for _, n := range wsLengths {
				want := wsPattern(n, op)
				if err := c.writeMessage(op, want); err != nil {
					return fmt.Errorf("write (op %d, %d bytes): %w", op, n, err)
				}
				for _, how := range []string{"one frame", "fragmented"} {
					got, p, err := c.readMessage()
					if err != nil {
						return fmt.Errorf("read (op %d, %d bytes, %s): %w", op, n, how, err)
					}
					if got != op || !bytes.Equal(p, want) {
						return fmt.Errorf("read (%s): op %d, %d bytes, want op %d, %d bytes as sent", how, got, len(p), op, n)
					}
				}
			}
		}
		// The ping is answered inside readMessage, which then returns the next message.
		if _, p, err := c.readMessage(); err != nil || string(p) != "pinged" {
			return fmt.Errorf("after the ping: %q, %v; want \"pinged\"", p, err)
		}
		if err := c.writeText("close ", "me"); err != nil {
			return err
		}
		_, p, err := c.readMessage()
		var ce *wsCloseError
		if !errors.As(err, &ce) || ce.Code != 1000 || ce.Reason != "bye" {
			return fmt.Errorf("after the close frame: %q, %v; want a close error 1000 \"bye\"", p, err)
		}
		return nil
	}()
	if err != nil {
		t.Error(err)
	}
	if err := <-serverErr; err != nil {
		t.Error(err)
	}
}

// rawServer accepts one connection on a loopback listener and hands it to the test as the
// server side; the client side is a wsConn without the handshake.
func rawServer(t *testing.T, maxMessage int) (server net.Conn, client *wsConn) {
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
	sc, err := ln.Accept()
	if err != nil {
		cc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close(); cc.Close() })
	deadline := time.Now().Add(30 * time.Second) // a bound, not synchronisation
	sc.SetDeadline(deadline)
	cc.SetDeadline(deadline)
	return sc, &wsConn{conn: cc, br: bufio.NewReaderSize(cc, 4096), maxMessage: maxMessage}
}

// serverFrame encodes an unmasked frame.
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// readClientFrame reads one frame from the client, checks that it is final and masked, and
// returns its opcode and unmasked payload.
func readClientFrame(r io.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x80 == 0 || h[1]&0x80 == 0 {
		return 0, nil, fmt.Errorf("client frame %x: not final or not masked", h)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(r, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(r, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	var key [4]byte
	if _, err := io.ReadFull(r, key[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= key[i&3]
	}
	return h[0] & 0x0f, payload, nil
}

// TestWSConnFrames feeds the reader frames a library server does not send on demand: control
// frames between the fragments of a message, and protocol violations.
func TestWSConnFrames(t *testing.T) {
	t.Run("control frames mid-message", func(t *testing.T) {
		sc, c := rawServer(t, 1<<20)
		var in []byte
		in = append(in, serverFrame(false, wsframe.OpText, []byte("ab"))...)
		in = append(in, serverFrame(true, wsframe.OpPing, []byte("p1"))...)
		in = append(in, serverFrame(false, wsframe.OpContinuation, []byte("cd"))...)
		in = append(in, serverFrame(true, wsframe.OpPong, []byte("x"))...)
		in = append(in, serverFrame(true, wsframe.OpContinuation, []byte("ef"))...)
		in = append(in, serverFrame(true, wsframe.OpBinary, bytes.Repeat([]byte{7}, 70000))...)
		if _, err := sc.Write(in); err != nil {
			t.Fatal(err)
		}
		op, p, err := c.readMessage()
		if err != nil || op != wsframe.OpText || string(p) != "abcdef" {
			t.Fatalf("got op %d %q %v, want text \"abcdef\"", op, p, err)
		}
		op, p, err = c.readMessage()
		if err != nil || op != wsframe.OpBinary || !bytes.Equal(p, bytes.Repeat([]byte{7}, 70000)) {
			t.Fatalf("got op %d, %d bytes, %v; want binary, 70000 bytes", op, len(p), err)
		}
		if op, p, err := readClientFrame(sc); err != nil || op != wsframe.OpPong || string(p) != "p1" {
			t.Fatalf("client answered the ping with op %d %q %v, want a pong \"p1\"", op, p, err)
		}
	})
	for _, tc := range []struct {
		name string
		in   []byte
		max  int
	}{
		{"masked server frame", []byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, 1 << 20},
		{"reserved bit", []byte{0xc1, 0x01, 'x'}, 1 << 20},
		{"continuation without a message", serverFrame(true, wsframe.OpContinuation, []byte("x")), 1 << 20},
		{"message inside a message", append(serverFrame(false, wsframe.OpText, []byte("a")), serverFrame(true, wsframe.OpText, []byte("b"))...), 1 << 20},
		{"fragmented control frame", serverFrame(false, wsframe.OpPing, nil), 1 << 20},
		{"long control frame", serverFrame(true, wsframe.OpPing, make([]byte, 126)), 1 << 20},
		{"message over the limit", append(serverFrame(false, wsframe.OpText, []byte("abc")), serverFrame(true, wsframe.OpContinuation, []byte("de"))...), 4},
		{"truncated frame", serverFrame(true, wsframe.OpText, []byte("abc"))[:3], 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, c := rawServer(t, tc.max)
			if _, err := sc.Write(tc.in); err != nil {
				t.Fatal(err)
			}
			if tc.name == "truncated frame" {
				sc.(*net.TCPConn).CloseWrite()
			}
			op, p, err := c.readMessage()
			if err == nil {
				t.Fatalf("got op %d %q, want an error", op, p)
			}
			t.Log(err)
		})
	}
	t.Run("close without status", func(t *testing.T) {
		sc, c := rawServer(t, 1<<20)
		if _, err := sc.Write(serverFrame(true, wsframe.OpClose, nil)); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.readMessage()
		var ce *wsCloseError
		if !errors.As(err, &ce) || ce.Code != 1005 {
			t.Fatalf("got %v, want a close error 1005", err)
		}
		if op, p, err := readClientFrame(sc); err != nil || op != wsframe.OpClose || len(p) != 0 {
			t.Fatalf("client answered the close with op %d %q %v, want an empty close", op, p, err)
		}
	})
}

// loopReader yields the same bytes forever.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

// TestWSReceiveAllocs checks that receiving a broadcast — reading its frame and parsing it —
// allocates nothing.
func TestWSReceiveAllocs(t *testing.T) {
	msg := []byte(`42["bcast","0:` + fmt.Sprint(time.Now().UnixNano()) + `:` + strings.Repeat("x", 70) + `"]`)
	c := &wsConn{br: bufio.NewReaderSize(&loopReader{b: serverFrame(true, wsframe.OpText, msg)}, 4096), maxMessage: 1 << 20}
	var errs errorLog
	const runs = 1000
	b := newBroadcast(&errs, 1, 1, 1, func(int) int32 { return runs + 10 })
	b.lat[0] = make([]time.Duration, 0, runs+10)
	recv := b.receiver(0)
	allocs := testing.AllocsPerRun(runs, func() {
		op, p, err := c.readMessage()
		if err != nil || op != wsframe.OpText || p[0] != '4' {
			t.Fatalf("read: op %d %q %v", op, p, err)
		}
		recv(p[1:])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per received broadcast, want 0", allocs)
	}
	if err := errs.err(); err != nil {
		t.Error(err)
	}
	if got := b.delivered.Load(); got != runs+1 {
		t.Errorf("%d deliveries counted, want %d", got, runs+1)
	}
}
