// Package eio is the Engine.IO v4 packet codec: packets, text and base64 forms, and the
// polling payload framing. It does no I/O.
package eio

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// PacketType is the one-character Engine.IO packet type, as it appears on the wire.
type PacketType byte

// The Engine.IO v4 packet types.
const (
	Open    PacketType = '0'
	Close   PacketType = '1'
	Ping    PacketType = '2'
	Pong    PacketType = '3'
	Message PacketType = '4'
	Upgrade PacketType = '5'
	Noop    PacketType = '6'
)

// Packet is one Engine.IO packet. Data is shared, never modified: the same bytes may be queued
// on many sessions at once (a broadcast is encoded once).
type Packet struct {
	Type   PacketType
	Data   []byte
	Binary bool // a binary message: Data holds the raw bytes
}

// ErrBadPacket reports an Engine.IO packet that cannot be decoded.
var ErrBadPacket = errors.New("engine.io: malformed packet")

// DecodeText decodes one text-encoded packet (`4hello`, `2probe`, or `b<base64>` for binary).
// The returned Data aliases b for text packets. DecodeText does not check UTF-8: a WebSocket
// text frame is checked by the frame reader (invalid UTF-8 fails the connection with 1007),
// and a polling body by [DecodePayload].
func DecodeText(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, ErrBadPacket
	}
	if b[0] == 'b' {
		data, err := decodeBase64(b[1:])
		if err != nil {
			return Packet{}, ErrBadPacket
		}
		return Packet{Type: Message, Data: data, Binary: true}, nil
	}
	t := PacketType(b[0])
	if t < Open || t > Noop {
		return Packet{}, ErrBadPacket
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// decodeBase64 accepts padded and unpadded standard base64 (some clients omit the padding).
func decodeBase64(s []byte) ([]byte, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	return out[:n], err
}

// AppendText appends the text form of p: the type digit and data, or `b` and padded base64
// for a binary message.
func AppendText(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, byte(p.Type))
	return append(dst, p.Data...)
}

// RecordSeparator joins packets in a polling payload.
const RecordSeparator = 0x1e

// AppendPayload appends packets joined with the record separator, as a polling body.
func AppendPayload(dst []byte, pkts []Packet) []byte {
	for i, p := range pkts {
		if i > 0 {
			dst = append(dst, RecordSeparator)
		}
		dst = AppendText(dst, p)
	}
	return dst
}

// DecodePayload splits a polling body on the record separator and decodes each packet. Like the
// Node server it stops at the first packet it cannot decode and reports ErrBadPacket, returning
// the packets decoded before it. An empty body is an error.
//
// A polling body is text: like Node, which reads it as UTF-8, DecodePayload replaces invalid
// UTF-8 with U+FFFD ([ToValidUTF8]) before splitting, so no text packet it returns holds
// invalid UTF-8 that could be relayed into a WebSocket text frame. The packets' Data alias b
// when b is valid UTF-8, and a corrected copy otherwise.
func DecodePayload(b []byte) ([]Packet, error) {
	b = ToValidUTF8(b)
	// Sized once: a body of tiny packets must not also cost the garbage of a growing slice.
	pkts := make([]Packet, 0, bytes.Count(b, []byte{RecordSeparator})+1)
	for {
		i := bytes.IndexByte(b, RecordSeparator)
		part := b
		if i >= 0 {
			part = b[:i]
		}
		p, err := DecodeText(part)
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
		if i < 0 {
			return pkts, nil
		}
		b = b[i+1:]
	}
}
