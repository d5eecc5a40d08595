package socketio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/hubkit/hub/internal/parser"
)

// PacketType is a Socket.IO packet type; the values are the protocol's.
type PacketType int

// The Socket.IO packet types.
const (
	PacketConnect      PacketType = 0
	PacketDisconnect   PacketType = 1
	PacketEvent        PacketType = 2
	PacketAck          PacketType = 3
	PacketConnectError PacketType = 4
	PacketBinaryEvent  PacketType = 5
	PacketBinaryAck    PacketType = 6
)

// NoAckID is the [Packet.ID] of a packet that asks for no acknowledgement.
const NoAckID int64 = -1

// Packet is a Socket.IO packet in structured form, the way adapters see and forward it.
// Data is the JSON payload, for events the array [event, args...] ([SplitEvent] reads it,
// [AppendArgs] writes it), in which each binary value is the placeholder
// {"_placeholder":true,"num":i} standing for Attachments[i]. An event with attachments may
// say PacketEvent: it is sent as a binary event either way (Node's adapters carry type 2
// too). A Packet handed to an adapter is shared: treat it as read-only.
type Packet struct {
	Type        PacketType
	Namespace   string
	ID          int64 // NoAckID when absent
	Data        json.RawMessage
	Attachments [][]byte
}

// SplitEvent reads the payload of an event, data being [event, args...] with placeholders
// for attachments (a [Packet]'s Data and Attachments), and returns the event name and the
// arguments after it. The name is a JSON string, or a number, which is named as JavaScript
// names a number used as a property key (String(n): 1 is "1", 1.5 is "1.5", 1e21 is
// "1e+21"), the way the Node server and client see it. Any other payload is an error. The
// Args refer to data and attachments, which must not be modified afterwards.
func SplitEvent(data json.RawMessage, attachments [][]byte) (name string, args Args, err error) {
	elems, err := parser.SplitArray(data)
	if err != nil {
		return "", Args{}, fmt.Errorf("socketio: bad event payload: %w", err)
	}
	if len(elems) == 0 {
		return "", Args{}, errors.New("socketio: bad event payload: no event name")
	}
	name, ok := eventName(elems[0])
	if !ok {
		return "", Args{}, fmt.Errorf("socketio: bad event name %s", elems[0])
	}
	return name, Args{raw: elems[1:], attachments: attachments}, nil
}

// eventName returns the event name of an EVENT's first element: a string, or a number
// written as JavaScript's String(n) writes it.
func eventName(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if parser.UnmarshalArg(raw, nil, &s) != nil {
			return "", false
		}
		return s, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return "", false // JSON has no Infinity: a number too big to hold is malformed
	}
	if f == 0 {
		f = 0 // String(-0) is "0"
	}
	return string(parser.AppendFloat(nil, f)), true
}
