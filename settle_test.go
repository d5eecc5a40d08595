package hub_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub"
)

// When an event and a bad frame arrive in one read, the event's handler runs and what it
// emits is written before the close frame, as on the Node server: hub
// runs handlers off the read path, and the connection waits for them.
func TestReplyBeforeBadFrame(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		bad  []byte
		code uint16
	}{
		{"reserved opcode", maskedFrame(0x80|3, ""), 1002},
		{"RSV2 set", maskedFrame(0x80|0x20|1, `42["echo","x"]`), 1002},
		{"invalid UTF-8", maskedFrame(0x81, "42[\"echo\",\"\xff\"]"), 1007},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, base := newServer(t, nil)
			srv.OnConnection(func(s *hub.Socket) {
				s.On("echo", func(args hub.Args) {
					s.Emit("echo", args.Values()...)
				})
			})
			c, br := rawSocketIO(t, base)
			in := bytes.Join([][]byte{
				maskedFrame(0x81, `42["echo","first"]`),
				maskedFrame(0x81, `42["echo","second"]`),
				tt.bad,
				maskedFrame(0x81, `42["echo","after"]`),
			}, nil)
			if _, err := c.Write(in); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`42["echo","first"]`, `42["echo","second"]`} {
				if op, p := readServerFrame(t, br); op != 1 || p != want {
					t.Fatalf("got frame %#x %q; want %q", op, p, want)
				}
			}
			op, p := readServerFrame(t, br)
			if op != 8 || len(p) != 2 || binary.BigEndian.Uint16([]byte(p)) != tt.code {
				t.Fatalf("got frame %#x %q; want the close frame with %d", op, p, tt.code)
			}
		})
	}
}

// rawSocketIO opens a WebSocket-only session to the server at base over a raw TCP
// connection, and connects to "/".
func rawSocketIO(t *testing.T, base string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", res, err)
	}
	if op, p := readServerFrame(t, br); op != 1 || !strings.HasPrefix(p, "0{") {
		t.Fatalf("open packet: %#x %q", op, p)
	}
	if _, err := c.Write(maskedFrame(0x81, "40")); err != nil {
		t.Fatal(err)
	}
	if op, p := readServerFrame(t, br); op != 1 || !strings.HasPrefix(p, "40{") {
		t.Fatalf("CONNECT reply: %#x %q", op, p)
	}
	return c, br
}

// maskedFrame is a client frame with first byte b0 (FIN, RSV bits, opcode) and a short
// payload, masked.
func maskedFrame(b0 byte, payload string) []byte {
	key := [4]byte{1, 2, 3, 4}
	b := append([]byte{b0, 0x80 | byte(len(payload))}, key[:]...)
	for i := range len(payload) {
		b = append(b, payload[i]^key[i&3])
	}
	return b
}

// readServerFrame reads a short unmasked server frame: its opcode and payload.
func readServerFrame(t *testing.T, br *bufio.Reader) (byte, string) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	if n >= 126 {
		t.Fatalf("frame header %x: want a short frame", h)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return h[0] & 0x0f, string(p)
}
