//go:build unix

package interop_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// A raw WebSocket client for the RFC 6455 case table: it writes whatever bytes a case asks
// for, malformed ones included, and reads the server's frames one by one. No WebSocket
// library would let a client send what the table sends.

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xa
)

// frame describes one client frame; the constructors below build the usual ones, and bytes()
// its wire bytes.
type frame struct {
	fin      bool
	rsv      byte // RSV1..RSV3, as the 0x70 bits of the first byte
	op       byte // opcode
	payload  []byte
	length   uint64 // the declared payload length, if not 0; else len(payload)
	lenForm  byte   // 126 or 127 forces that extended length form; 0 picks the shortest
	unmasked bool   // send without a mask (clients must mask)
}

// text, binary, ping, pong, closeFrame and cont build whole, masked frames.
func text(p string) frame        { return frame{fin: true, op: opText, payload: []byte(p)} }
func binaryFrame(p []byte) frame { return frame{fin: true, op: opBinary, payload: p} }
func ping(p string) frame        { return frame{fin: true, op: opPing, payload: []byte(p)} }
func pong(p string) frame        { return frame{fin: true, op: opPong, payload: []byte(p)} }
func cont(p string, fin bool) frame {
	return frame{fin: fin, op: opCont, payload: []byte(p)}
}

// first is the first frame of a fragmented message (FIN clear).
func first(op byte, p string) frame { return frame{op: op, payload: []byte(p)} }

// closeFrame is a close frame with a status code and a reason; code 0 sends an empty body.
func closeFrame(code uint16, reason string) frame {
	var p []byte
	if code != 0 {
		p = binary.BigEndian.AppendUint16(nil, code)
		p = append(p, reason...)
	}
	return frame{fin: true, op: opClose, payload: p}
}

// bytes encodes f with a random masking key.
func (f frame) bytes() []byte {
	n := f.length
	if n == 0 {
		n = uint64(len(f.payload))
	}
	b0 := f.rsv&0x70 | f.op&0x0f
	if f.fin {
		b0 |= 0x80
	}
	var mask byte = 0x80
	if f.unmasked {
		mask = 0
	}
	out := []byte{b0}
	switch {
	case f.lenForm == 126:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	case f.lenForm == 127:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, n)
	case n < 126:
		out = append(out, mask|byte(n))
	case n <= 0xffff:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, n)
	}
	if f.unmasked {
		return append(out, f.payload...)
	}
	var key [4]byte
	rand.Read(key[:])
	out = append(out, key[:]...)
	for i, c := range f.payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// frames concatenates the wire bytes of fs.
func frames(fs ...frame) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.bytes()...)
	}
	return b
}

// serverFrame is a frame read from the server.
type serverFrame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

// wsConn is one raw client connection, past its WebSocket and Socket.IO handshakes.
type wsConn struct {
	nc net.Conn
	br *bufio.Reader

	wmu sync.Mutex // serialises writes: a case's bytes and the answers to the server's pings
}

// maxServerFrame bounds what the client accepts in one frame from a server.
const maxServerFrame = 1 << 20

// dialWS opens a WebSocket to base's Socket.IO path, and connects to the main namespace: it
// reads the Engine.IO open packet, sends "40", and reads the CONNECT answer and the app's
// "welcome" event. Everything is bounded by deadline.
func dialWS(base string, deadline time.Time) (*wsConn, error) {
	host := strings.TrimPrefix(base, "http://")
	nc, err := net.DialTimeout("tcp", host, time.Until(deadline))
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(deadline)
	var key [16]byte
	rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + k + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, err
	}
	c := &wsConn{nc: nc, br: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	h := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		nc.Close()
		return nil, fmt.Errorf("handshake: %s, Sec-WebSocket-Accept %q", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	step := func(want string) error {
		for {
			f, err := c.readFrame()
			if err != nil {
				return fmt.Errorf("waiting for %q: %w", want, err)
			}
			if f.op == opText && string(f.payload) == "2" {
				c.write(text("3").bytes())
				continue
			}
			if f.op != opText || !strings.HasPrefix(string(f.payload), want) {
				return fmt.Errorf("waiting for %q: got opcode %d %q", want, f.op, f.payload)
			}
			return nil
		}
	}
	if err := step("0{"); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.write(text("40").bytes()); err != nil {
		nc.Close()
		return nil, err
	}
	for _, want := range []string{`40{"sid":`, `42["welcome",`} {
		if err := step(want); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// write writes b whole, serialised with the other writes.
func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// writeChunks writes b in writes of n bytes, serialised with the other writes as one unit.
func (c *wsConn) writeChunks(b []byte, n int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for len(b) > 0 {
		k := min(n, len(b))
		if _, err := c.nc.Write(b[:k]); err != nil {
			return err
		}
		b = b[k:]
	}
	return nil
}

// readFrame reads one frame from the server, which must not mask it.
func (c *wsConn) readFrame() (serverFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return serverFrame{}, err
	}
	f := serverFrame{fin: h[0]&0x80 != 0, rsv: h[0] & 0x70, op: h[0] & 0x0f}
	if h[1]&0x80 != 0 {
		return f, errors.New("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > maxServerFrame {
		return f, fmt.Errorf("a frame of %d bytes from the server", n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, f.payload); err != nil {
		return f, err
	}
	return f, nil
}

// isReset reports whether err is the connection being reset by its peer.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// abbreviate shows p whole when short, and by length and hash when long; invalid UTF-8 is
// quoted.
func abbreviate(p []byte) string {
	if len(p) > 48 {
		h := sha1.Sum(p)
		return fmt.Sprintf("%s… (%d bytes, sha1 %x)", abbreviate(p[:32]), len(p), h[:4])
	}
	s := string(p)
	if !isPrintableUTF8(p) {
		s = fmt.Sprintf("%q", p)
	}
	return s
}

// isPrintableUTF8 reports whether p is valid UTF-8 without control characters.
func isPrintableUTF8(p []byte) bool {
	return utf8.Valid(p) && !bytes.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
