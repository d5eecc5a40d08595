package ws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/wsframe"
)

// Errors of the frame reader that close the connection with a status of their own.
var (
	errProtocol = errors.New("engine.io: websocket protocol error")
	errTooBig   = errors.New("engine.io: websocket message exceeds maxPayload")
	errBadUTF8  = errors.New("engine.io: websocket text is not valid UTF-8")
)

// growStep is how much a message's buffer grows by at most before the bytes for it came;
// a multiple of 4 (see readMessage).
const growStep = 64 << 10

// readBufSize is the size of the pooled read buffers.
const readBufSize = 4096

var readPool = newBufPool(readBufSize)

// start sets the connection up for reading: pending holds what the client sent behind its
// handshake request.
func (c *Conn) start(pending []byte) {
	c.raw = rawConn(c.nc)
	if len(pending) > 0 {
		c.buf = readPool.get()
		if len(pending) > len(*c.buf) {
			b := make([]byte, len(pending))
			c.buf = &b
		}
		c.w = copy(*c.buf, pending)
	}
}

// release gives the read buffer back to the pool; nothing may be buffered.
func (c *Conn) release() {
	if c.buf != nil {
		readPool.put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
}

// readMessage reads the next data message, whole: its opcode (wsframe.OpText or
// wsframe.OpBinary) and its unmasked payload, which the caller owns. It answers pings on the
// way, and a close frame with a close frame, then returns an error. A message larger than
// c.limit is errTooBig, a frame RFC 6455 does not allow from a client errProtocol, text that
// is not UTF-8 errBadUTF8 — found as early as the fragment that breaks it, as ws and
// Autobahn's "fail fast" cases expect.
func (c *Conn) readMessage() (op byte, msg []byte, err error) {
	checked := 0 // msg[:checked] is valid UTF-8, for a text message
	for {
		if err := c.fill(2); err != nil {
			return 0, nil, err
		}
		b := *c.buf
		b0, b1 := b[c.r], b[c.r+1]
		fin, opcode, n7 := b0&0x80 != 0, b0&0x0f, b1&0x7f
		if b0&0x70 != 0 || b1&0x80 == 0 { // no extension negotiated; client frames are masked
			return 0, nil, errProtocol
		}
		hlen := 6
		switch n7 {
		case 126:
			hlen += 2
		case 127:
			hlen += 8
		}
		if err := c.fill(hlen); err != nil {
			return 0, nil, err
		}
		b = *c.buf
		h := b[c.r : c.r+hlen]
		n := uint64(n7)
		switch n7 {
		case 126:
			n = uint64(binary.BigEndian.Uint16(h[2:]))
		case 127:
			n = binary.BigEndian.Uint64(h[2:])
		}
		key := binary.BigEndian.Uint32(h[hlen-4:])
		c.r += hlen
		if opcode >= wsframe.OpClose { // a control frame: whole, at most 125 bytes
			if !fin || n > 125 {
				return 0, nil, errProtocol
			}
			var cb [125]byte
			p := cb[:n]
			if err := c.readFull(p); err != nil {
				return 0, nil, err
			}
			wsframe.Mask(p, key)
			if err := c.control(opcode, p); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case (opcode == wsframe.OpText || opcode == wsframe.OpBinary) && op == 0:
			op = opcode
		case opcode == wsframe.OpContinuation && op != 0:
		default: // an unknown opcode, a continuation of nothing, a message inside a message
			return 0, nil, errProtocol
		}
		// Compared without adding: a 64-bit length near 2^63 must not wrap the total. Any
		// length past the limit is 1009, as in ws (which refuses lengths past 2^53 the same way).
		if c.limit < 0 || n > uint64(c.limit)-uint64(len(msg)) {
			return 0, nil, errTooBig
		}
		// The payload is read in steps of growStep at most, so that what a message holds
		// grows with the bytes that came, not with the length the client declared.
		for rem := n; rem > 0 || n == 0; {
			k := min(rem, growStep)
			start := len(msg)
			if msg == nil && fin && k == n {
				msg = make([]byte, n)
			} else {
				msg = append(msg, make([]byte, k)...)
			}
			if err := c.readFull(msg[start:]); err != nil {
				return 0, nil, err
			}
			wsframe.Mask(msg[start:], key) // growStep is a multiple of 4: the key lines up
			if rem -= k; n == 0 {
				break
			}
		}
		if op == wsframe.OpText {
			var ok bool
			if checked, ok = validUTF8(msg, checked, fin); !ok {
				return 0, nil, errBadUTF8
			}
		}
		if fin {
			return op, msg, nil
		}
	}
}

// validUTF8 checks p[from:] for UTF-8, where p[:from] was found valid before. Unless final,
// p may end inside a character whose bytes so far can still make a valid one: the bytes from
// that character on are left to the next call, from the offset returned.
func validUTF8(p []byte, from int, final bool) (next int, ok bool) {
	end := len(p)
	if !final {
		// Back up to the start of the last character, if it may be incomplete (at most 3
		// bytes; utf8.FullRune is false only for a prefix that can still be valid).
		for i := len(p) - 1; i >= from && i >= len(p)-3; i-- {
			if p[i] < 0x80 {
				break
			}
			if p[i] >= 0xc0 {
				if !utf8.FullRune(p[i:]) {
					end = i
				}
				break
			}
		}
	}
	return end, utf8.Valid(p[from:end])
}

// closeError is what readMessage returns for a close frame from the client.
type closeError struct{ code int }

func (e closeError) Error() string {
	return fmt.Sprintf("websocket: closed by the client (status %d)", e.code)
}

// control handles a control frame: a ping is answered with a pong, a close frame with a
// close frame carrying the client's status and reason, as ws does (the closeError returned
// ends the read loop).
func (c *Conn) control(opcode byte, p []byte) error {
	switch opcode {
	case wsframe.OpPing:
		var b [2 + 125]byte
		c.writeBatch(append(wsframe.AppendHeader(b[:0], wsframe.OpPong, len(p)), p...), false)
		return nil
	case wsframe.OpPong:
		return nil
	case wsframe.OpClose:
		code := 1005 // no status
		switch {
		case len(p) == 1:
			return errProtocol
		case len(p) >= 2:
			code = int(binary.BigEndian.Uint16(p))
			if !validCloseCode(code) {
				return errProtocol
			}
			if !utf8.Valid(p[2:]) {
				return errBadUTF8
			}
		}
		var b [2 + 125]byte
		c.writeBatch(append(wsframe.AppendHeader(b[:0], wsframe.OpClose, len(p)), p...), true)
		return closeError{code}
	}
	return errProtocol
}

// validCloseCode reports whether a close frame may carry code: RFC 6455 §7.4 and the IANA
// registry (1012–1014 included), as ws's isValidStatusCode.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// fill reads until need bytes (at most readBufSize) are buffered.
func (c *Conn) fill(need int) error {
	for c.w-c.r < need {
		if c.buf != nil && len(*c.buf)-c.r < need { // make room at the end
			c.w = copy(*c.buf, (*c.buf)[c.r:c.w])
			c.r = 0
		}
		if err := c.readMore(); err != nil {
			return err
		}
	}
	return nil
}

// readFull fills p: from the buffer, and a large remainder straight from the connection.
func (c *Conn) readFull(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if len(p) < readBufSize {
		if err := c.fill(len(p)); err != nil {
			return err
		}
	}
	k := 0
	if c.buf != nil {
		k = copy(p, (*c.buf)[c.r:c.w])
		c.r += k
		if c.r == c.w {
			c.r, c.w = 0, 0
		}
	}
	if k < len(p) {
		c.clearIdleDeadline()
		_, err := io.ReadFull(c.nc, p[k:])
		return err
	}
	return nil
}

// readConn reads more into the buffer through c.nc. With nothing buffered, it waits for the
// first byte in c.one, and takes a buffer only once that byte is there.
func (c *Conn) readConn() error {
	if c.r == c.w {
		c.release()
		n, err := c.nc.Read(c.one[:])
		if n == 0 {
			return err
		}
		c.buf = readPool.get()
		(*c.buf)[0] = c.one[0]
		c.w = 1
		return nil
	}
	n, err := c.nc.Read((*c.buf)[c.w:])
	c.w += n
	if n > 0 {
		return nil // an error comes again with the next read
	}
	return err
}
