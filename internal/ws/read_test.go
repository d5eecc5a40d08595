package ws

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// byteConn is a net.Conn that reads from a fixed input and records what is written.
type byteConn struct {
	r   io.Reader
	out bytes.Buffer
}

func (c *byteConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *byteConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *byteConn) Close() error                     { return nil }
func (c *byteConn) LocalAddr() net.Addr              { return nil }
func (c *byteConn) RemoteAddr() net.Addr             { return nil }
func (c *byteConn) SetDeadline(time.Time) error      { return nil }
func (c *byteConn) SetReadDeadline(time.Time) error  { return nil }
func (c *byteConn) SetWriteDeadline(time.Time) error { return nil }
func newReader(in []byte, limit int64) (*Conn, *byteConn) {
	bc := &byteConn{r: bytes.NewReader(in)}
	c := &Conn{nc: bc, limit: limit}
	c.start(nil)
	return c, bc
}

// readAll reads messages until an error: the messages, as "t:" or "b:" and the payload.
func readAll(c *Conn) ([]string, error) {
	var msgs []string
	for {
		op, msg, err := c.readMessage()
		if err != nil {
			return msgs, err
		}
		kind := "t:"
		if op == 2 {
			kind = "b:"
		}
		msgs = append(msgs, kind+string(msg))
	}
}

func be16(n uint16) string { return string([]byte{byte(n >> 8), byte(n)}) }

// hdr64 is the masked header of a frame (FIN as fin, opcode op) declaring a 64-bit length n.
func hdr64(fin bool, op byte, n uint64) []byte {
	b := []byte{op, 0x80 | 127}
	if fin {
		b[0] |= 0x80
	}
	for i := 7; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return append(b, 0, 0, 0, 0)
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// The frame reader against hostile input: each row, the bytes a client sends, the messages
// read before the error, the error, and what the server wrote back (pongs, the close frame
// answering the client's; the close frame for an error is the caller's).
func TestReaderHostile(t *testing.T) {
	const limit = 100
	long := strings.Repeat("x", 60)
	tests := []struct {
		name  string
		in    []byte
		msgs  []string
		err   error // nil: io.EOF after the messages; closeError{}: a close frame
		wrote string
	}{
		{"text", clientFrame(true, 1, "hi"), []string{"t:hi"}, nil, ""},
		{"binary", clientFrame(true, 2, "\xff\x00"), []string{"b:\xff\x00"}, nil, ""},
		{"empty text", clientFrame(true, 1, ""), []string{"t:"}, nil, ""},
		{"fragments around a ping", cat(clientFrame(false, 1, "a"), clientFrame(true, 9, "p"), clientFrame(true, 0, "b")),
			[]string{"t:ab"}, nil, "\x8a\x01p"},
		{"16-bit length", clientFrame(true, 2, strings.Repeat("y", 100)), []string{"b:" + strings.Repeat("y", 100)}, nil, ""},
		{"reserved bit 1", []byte{0xc1, 0x80, 0, 0, 0, 0}, nil, errProtocol, ""},
		{"reserved bit 3", []byte{0x91, 0x80, 0, 0, 0, 0}, nil, errProtocol, ""},
		{"unmasked", []byte{0x81, 0x01, 'x'}, nil, errProtocol, ""},
		{"opcode 3", clientFrame(true, 3, ""), nil, errProtocol, ""},
		{"opcode 11", clientFrame(true, 11, ""), nil, errProtocol, ""},
		{"continuation of nothing", clientFrame(true, 0, "x"), nil, errProtocol, ""},
		{"text inside text", cat(clientFrame(false, 1, "a"), clientFrame(true, 1, "b")), nil, errProtocol, ""},
		{"fragmented ping", clientFrame(false, 9, ""), nil, errProtocol, ""},
		{"ping of 126 bytes", clientFrame(true, 9, strings.Repeat("p", 126)), nil, errProtocol, ""},
		{"over the limit in one frame", clientFrame(true, 1, strings.Repeat("x", limit+1)), nil, errTooBig, ""},
		{"at the limit", clientFrame(true, 1, strings.Repeat("x", limit)), []string{"t:" + strings.Repeat("x", limit)}, nil, ""},
		{"over the limit in fragments", cat(clientFrame(false, 1, long), clientFrame(true, 0, long)), nil, errTooBig, ""},
		{"64-bit length overflowing the total", cat(clientFrame(false, 1, "4ab"), hdr64(true, 0, 1<<63-2)), nil, errTooBig, ""},
		{"64-bit length, top bit set", hdr64(true, 2, 1<<64-1), nil, errTooBig, ""},
		{"64-bit length, 2^63", hdr64(true, 2, 1<<63), nil, errTooBig, ""},
		{"64-bit length, every bit but the top", hdr64(true, 2, 1<<63-1), nil, errTooBig, ""},
		{"invalid UTF-8", clientFrame(true, 1, "\xff"), nil, errBadUTF8, ""},
		{"overlong /", clientFrame(true, 1, "\xc0\xaf"), nil, errBadUTF8, ""},
		{"surrogate", clientFrame(true, 1, "\xed\xa0\x80"), nil, errBadUTF8, ""},
		{"above U+10FFFF", clientFrame(true, 1, "\xf4\x90\x80\x80"), nil, errBadUTF8, ""},
		{"truncated at the end", clientFrame(true, 1, "a\xe2\x82"), nil, errBadUTF8, ""},
		{"invalid UTF-8 in a binary message", clientFrame(true, 2, "\xff"), []string{"b:\xff"}, nil, ""},
		{"valid UTF-8 split in three", cat(clientFrame(false, 1, "\xf0\x9f"), clientFrame(false, 0, "\x98"), clientFrame(true, 0, "\x80")),
			[]string{"t:\U0001F600"}, nil, ""},
		{"invalid UTF-8 in the first fragment, no more", clientFrame(false, 1, "ok\xf4\x90"), nil, errBadUTF8, ""},
		{"invalid UTF-8 in a middle fragment", cat(clientFrame(false, 1, "a"), clientFrame(false, 0, "\xe2\x28")), nil, errBadUTF8, ""},
		{"a message, then a bad frame", cat(clientFrame(true, 1, "one"), []byte{0x81, 1, 'x'}), []string{"t:one"}, errProtocol, ""},
		{"close without status", clientFrame(true, 8, ""), nil, closeError{1005}, "\x88\x00"},
		{"close 1000 with a reason", clientFrame(true, 8, be16(1000)+"bye"), nil, closeError{1000}, "\x88\x05" + be16(1000) + "bye"},
		{"close 1012", clientFrame(true, 8, be16(1012)), nil, closeError{1012}, "\x88\x02" + be16(1012)},
		{"close 1013", clientFrame(true, 8, be16(1013)), nil, closeError{1013}, "\x88\x02" + be16(1013)},
		{"close 1014", clientFrame(true, 8, be16(1014)), nil, closeError{1014}, "\x88\x02" + be16(1014)},
		{"close 4999", clientFrame(true, 8, be16(4999)), nil, closeError{4999}, "\x88\x02" + be16(4999)},
		{"close 1 byte", clientFrame(true, 8, "\x03"), nil, errProtocol, ""},
		{"close 999", clientFrame(true, 8, be16(999)), nil, errProtocol, ""},
		{"close 1004", clientFrame(true, 8, be16(1004)), nil, errProtocol, ""},
		{"close 1005", clientFrame(true, 8, be16(1005)), nil, errProtocol, ""},
		{"close 1006", clientFrame(true, 8, be16(1006)), nil, errProtocol, ""},
		{"close 1015", clientFrame(true, 8, be16(1015)), nil, errProtocol, ""},
		{"close 2999", clientFrame(true, 8, be16(2999)), nil, errProtocol, ""},
		{"close 5000", clientFrame(true, 8, be16(5000)), nil, errProtocol, ""},
		{"close reason not UTF-8", clientFrame(true, 8, be16(1000)+"\xff"), nil, errBadUTF8, ""},
		{"truncated header", []byte{0x81}, nil, io.EOF, ""},
		{"truncated payload", clientFrame(true, 1, "hello")[:8], nil, io.EOF, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, bc := newReader(tt.in, limit)
			msgs, err := readAll(c)
			if strings.Join(msgs, "|") != strings.Join(tt.msgs, "|") {
				t.Errorf("got messages %q; want %q", msgs, tt.msgs)
			}
			want := tt.err
			if want == nil {
				want = io.EOF
			}
			if ce, ok := want.(closeError); ok {
				var got closeError
				if !errors.As(err, &got) || got != ce {
					t.Errorf("got error %v; want %v", err, ce)
				}
			} else if !errors.Is(err, want) {
				t.Errorf("got error %v; want %v", err, want)
			}
			if got := bc.out.String(); got != tt.wrote {
				t.Errorf("wrote %q; want %q", got, tt.wrote)
			}
		})
	}
}

// FuzzWebSocketReader reads arbitrary client bytes: the reader never panics, never returns a
// message over its limit or a text message that is not UTF-8, and stops at the end of input.
func FuzzWebSocketReader(f *testing.F) {
	f.Add(clientFrame(true, 1, "4hello"))
	f.Add(cat(clientFrame(false, 1, "4ab"), hdr64(true, 0, 1<<63-2)))
	f.Add(hdr64(true, 2, 1<<64-1))
	f.Add(cat(clientFrame(false, 1, "\xf0\x9f"), clientFrame(true, 9, "p"), clientFrame(true, 0, "\x98\x80")))
	f.Add(clientFrame(true, 1, "\xed\xa0\x80"))
	f.Add(clientFrame(true, 8, be16(1000)+"bye"))
	f.Add(clientFrame(true, 8, be16(1014)+"\xff"))
	f.Add(cat(clientFrame(true, 1, "one"), []byte{0x81, 1, 'x'}))
	f.Add(clientFrame(true, 2, strings.Repeat("y", 300)))
	f.Add([]byte{0xc1, 0x80, 0, 0, 0, 0})
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, in []byte) {
		c, _ := newReader(in, limit)
		for {
			op, msg, err := c.readMessage()
			if err != nil {
				return
			}
			if len(msg) > limit {
				t.Fatalf("a message of %d bytes; the limit is %d", len(msg), limit)
			}
			if op == 1 && !utf8.Valid(msg) {
				t.Fatalf("text message %q is not UTF-8", msg)
			}
		}
	})
}

// A frame that declares a large length and sends little holds memory for what came, not for
// what it declared.
func TestReaderMemoryFollowsBytes(t *testing.T) {
	const declared = 1 << 20
	in := append(hdr64(true, 2, declared), make([]byte, 100)...)
	c, _ := newReader(in, declared)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, _, err := c.readMessage(); err != io.EOF {
		t.Fatalf("got %v; want EOF", err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > declared/4 {
		t.Fatalf("reading 100 bytes of a frame declaring %d allocated %d bytes; want at most %d", declared, n, declared/4)
	}
}
