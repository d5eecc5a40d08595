// Package packet is the old import path of the Engine.IO packet codec, which now lives in
// [github.com/hubkit/hub/internal/eio], outside the engine's subtree, because the client, the
// transports and the engine all use it. It only forwards to eio, for the files still being
// rewritten on another branch (args.go, client/socket.go); delete it once nothing imports it.
//
// Deprecated: import github.com/hubkit/hub/internal/eio.
package packet

import "github.com/hubkit/hub/internal/eio"

// Aliases of [eio.PacketType] and [eio.Packet].
type (
	PacketType = eio.PacketType
	Packet     = eio.Packet
)

// The packet types and [eio.RecordSeparator].
const (
	Open            = eio.Open
	Close           = eio.Close
	Ping            = eio.Ping
	Pong            = eio.Pong
	Message         = eio.Message
	Upgrade         = eio.Upgrade
	Noop            = eio.Noop
	RecordSeparator = eio.RecordSeparator
)

// ErrBadPacket is [eio.ErrBadPacket].
var ErrBadPacket = eio.ErrBadPacket

// DecodeText calls [eio.DecodeText].
func DecodeText(b []byte) (Packet, error) { return eio.DecodeText(b) }

// AppendText calls [eio.AppendText].
func AppendText(dst []byte, p Packet) []byte { return eio.AppendText(dst, p) }

// AppendPayload calls [eio.AppendPayload].
func AppendPayload(dst []byte, pkts []Packet) []byte { return eio.AppendPayload(dst, pkts) }

// DecodePayload calls [eio.DecodePayload].
func DecodePayload(b []byte) ([]Packet, error) { return eio.DecodePayload(b) }

// ToValidUTF8 calls [eio.ToValidUTF8].
func ToValidUTF8(b []byte) []byte { return eio.ToValidUTF8(b) }
