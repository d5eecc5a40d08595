// Package parser is the Socket.IO v5 packet codec: the text form of a packet, the binary
// attachments that follow BINARY_EVENT and BINARY_ACK headers, and the JSON helpers that turn
// Go values into event arguments and back, with []byte values carried as attachments.
// It does no I/O.
package parser

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/eio"
)

// Type is the Socket.IO packet type, the first character of a packet.
type Type byte

// The Socket.IO v5 packet types.
const (
	Connect      Type = iota // 0: CONNECT
	Disconnect               // 1: DISCONNECT
	Event                    // 2: EVENT
	Ack                      // 3: ACK
	ConnectError             // 4: CONNECT_ERROR
	BinaryEvent              // 5: BINARY_EVENT
	BinaryAck                // 6: BINARY_ACK
)

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

// String returns the protocol name of t, such as "BINARY_EVENT".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// NoID is the [Packet] ID of a packet without an ack id.
const NoID int64 = -1

// ErrInvalid is wrapped by every error the [Decoder] returns, and by the errors of
// [SplitArray] and [UnmarshalArg] that come from malformed input. Check it with errors.Is.
var ErrInvalid = errors.New("parser: invalid packet")

// The limits on what one received packet may cost. Node has none of them, but no real
// application meets them: a JavaScript function cannot even be applied to tens of thousands
// of arguments (the Node server itself fails with "Maximum call stack size exceeded" when
// relaying an event of 40,000 arguments with socket.emit(event, ...args)), and data nested
// hundreds of levels deep is a stack hazard for every JSON walker. A packet past one is
// refused like a packet that does not decode: the connection is closed.
const (
	// MaxArgs is the most elements the JSON array of an EVENT or ACK may have (the event
	// name counts). It bounds the memory the split arguments take on top of the packet,
	// 24 bytes each, which could otherwise be twelve times the packet's size.
	MaxArgs = 10000

	// MaxDepth is the deepest nesting of arrays and objects in a received packet's JSON, the
	// outer array of an EVENT or ACK included. It bounds the stack of the walks over it
	// (encoding/json allows 10000, which costs a goroutine megabytes of stack).
	MaxDepth = 256
)

// LimitError reports a received packet past one of the limits ([MaxArgs], [MaxDepth],
// [Decoder.MaxAttachments]). It wraps [ErrInvalid].
type LimitError struct {
	Limit string // what is limited: "arguments", "nesting depth", "attachments"
	Max   int    // the limit
}

func (e *LimitError) Error() string {
	return "parser: packet over the limit of " + strconv.Itoa(e.Max) + " " + e.Limit
}

// Unwrap returns [ErrInvalid]: a packet over a limit is refused as an invalid one.
func (e *LimitError) Unwrap() error { return ErrInvalid }

var errArgs = &LimitError{Limit: "arguments", Max: MaxArgs}

// Packet is one Socket.IO packet.
//
// The zero ID is a valid ack id: set ID to [NoID] for a packet without one. To send binary
// data, use [BinaryEvent] or [BinaryAck] with the Attachments (and placeholders in Data) that
// [AppendArgs] returns; a packet from the [Decoder] keeps the type it had on the wire.
type Packet struct {
	Type        Type
	Namespace   string          // "/" when the wire form has none
	ID          int64           // ack id, NoID when absent
	Data        json.RawMessage // JSON payload as on the wire (placeholders in place); nil when absent
	Attachments [][]byte        // binary attachments of BinaryEvent/BinaryAck, in num order
}

// Append appends the text form of p, without the Engine.IO "4" prefix, to dst and returns the
// extended buffer:
//
//	<type>[<len(Attachments)>-][<namespace>,][<id>][<data>]
//
// The attachment count is written only for [BinaryEvent] and [BinaryAck], the namespace only
// when it is neither "" nor "/", and the id only when it is not negative. Data is written as
// is (what [AppendArgs] writes and the [Decoder] returns from a checked message is valid
// UTF-8); a namespace that is not valid UTF-8 is written with U+FFFD in place of its
// ill-formed sequences. Append allocates only to grow dst. The attachments themselves go out as separate
// binary Engine.IO messages, in order, right after the text.
func (p *Packet) Append(dst []byte) []byte {
	dst = append(dst, '0'+byte(p.Type))
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		dst = strconv.AppendInt(dst, int64(len(p.Attachments)), 10)
		dst = append(dst, '-')
	}
	if p.Namespace != "" && p.Namespace != "/" {
		dst = appendNamespace(dst, p.Namespace)
		dst = append(dst, ',')
	}
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// appendNamespace appends nsp, with U+FFFD in place of ill-formed UTF-8.
func appendNamespace(dst []byte, nsp string) []byte {
	for i := 0; i < len(nsp); i++ {
		if nsp[i] >= utf8.RuneSelf {
			if !utf8.ValidString(nsp[i:]) {
				return append(dst, eio.ToValidUTF8([]byte(nsp))...)
			}
			break
		}
	}
	return append(dst, nsp...)
}

// ReservedEvent reports whether name is one of socket.io's RESERVED_EVENTS, which neither side
// may emit: connect, connect_error, disconnect, disconnecting, newListener, removeListener.
func ReservedEvent(name string) bool {
	switch name {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}
