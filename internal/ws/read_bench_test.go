package ws

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// loopConn reads the same bytes over and over.
type loopConn struct {
	data []byte
	r    bytes.Reader
}

func (c *loopConn) Read(p []byte) (int, error) {
	if c.r.Len() == 0 {
		c.r.Reset(c.data)
	}
	return c.r.Read(p)
}
func (c *loopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *loopConn) Close() error                     { return nil }
func (c *loopConn) LocalAddr() net.Addr              { return nil }
func (c *loopConn) RemoteAddr() net.Addr             { return nil }
func (c *loopConn) SetDeadline(time.Time) error      { return nil }
func (c *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }

// maskedText is a masked client text frame.
func maskedText(payload string) []byte {
	b := []byte{0x81}
	n := len(payload)
	if n < 126 {
		b = append(b, 0x80|byte(n))
	} else {
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	}
	key := [4]byte{1, 2, 3, 4}
	b = append(b, key[:]...)
	for i := 0; i < n; i++ {
		b = append(b, payload[i]^key[i&3])
	}
	return b
}

// BenchmarkReadMessage reads text messages of an Engine.IO event's size from a connection's
// buffer: the frame reader's own cost per message.
func BenchmarkReadMessage(b *testing.B) {
	for _, tt := range []struct {
		name, text string
	}{
		{"100B", strings.Repeat("héllo ", 14)},
		{"100B-ASCII", strings.Repeat("hello ", 14)},
		{"4KB", strings.Repeat("héllo ", 571)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			msg := maskedText(`42["chat message","` + tt.text + `"]`)
			lc := &loopConn{data: bytes.Repeat(msg, 64)}
			c := &Conn{nc: lc, limit: 1 << 20}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.readMessage(); err != nil && err != io.EOF {
					b.Fatal(err)
				}
			}
		})
	}
}
