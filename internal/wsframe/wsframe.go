// Package wsframe holds the few pieces of RFC 6455 that hub's own WebSocket code shares: the
// opcodes, the frame header a server writes, the masking of client frames and the
// Sec-WebSocket-Accept key. The server's WebSocket code (internal/ws, internal/transport), the
// load tool (internal/bench) and its floor server (bench/cmd/floor-server) read and write
// frames with them.
package wsframe

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xa
)

// AppendHeader appends the header of a final, unmasked frame (server to client) with opcode
// op carrying n bytes.
func AppendHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// AppendMaskedHeader appends the header of a masked frame (client to server) with opcode op
// carrying n bytes, FIN set if fin, and the masking key; the payload that follows must be
// masked with the same key (Mask).
func AppendMaskedHeader(b []byte, fin bool, op byte, n int, key uint32) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b = append(b, b0)
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	return binary.BigEndian.AppendUint32(b, key)
}

// Mask XORs p with the big-endian masking key, repeated (RFC 6455 §5.3): it masks and
// unmasks alike. p is taken to start at offset 0 of the payload.
func Mask(p []byte, key uint32) {
	k8 := uint64(key)<<32 | uint64(key)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.BigEndian.PutUint64(p[i:], binary.BigEndian.Uint64(p[i:])^k8)
	}
	for ; i < len(p); i++ {
		p[i] ^= byte(key >> (24 - 8*uint(i&3)))
	}
}

// AcceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §4.2.2).
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// ReadServerFrame reads one frame a server sent: final and unmasked, as hub's are (an error
// otherwise), with a payload of at most max bytes. It returns the opcode and the payload.
func ReadServerFrame(r io.Reader, max uint64) (op byte, payload []byte, err error) {
	var h [10]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		return 0, nil, fmt.Errorf("frame header %x: want a final, unmasked frame", h[:2])
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(r, h[2:4]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		if _, err := io.ReadFull(r, h[2:10]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(h[2:10])
	}
	if n > max {
		return 0, nil, fmt.Errorf("a frame of %d bytes: more than %d", n, max)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0f, payload, nil
}
