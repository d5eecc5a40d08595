package hub

import (
	"context"
	"time"

	"github.com/hubkit/hub/socketio"
)

// Adapter is what a namespace broadcasts through: it knows which sockets are in which rooms
// and delivers packets to them. [MemoryAdapter], the default, serves one process; an adapter
// for several servers (Redis, …) lives in a module of its own, typically embeds a
// *MemoryAdapter for the sockets of this process (as Node's adapters extend the in-memory
// one) and forwards the operations to the other servers unless opts.Flags.Local is set.
// It mirrors Node's socket.io-adapter.
//
// Every method may be called concurrently, from any goroutine, including a socket's handler
// goroutine and the engine's read path: none may block on the network or on a client, except
// those taking a context. Room and socket ids are opaque strings; a socket is always in the
// room named by its id.
type Adapter interface {
	// AddAll adds socket id to rooms (Node's addAll).
	AddAll(id string, rooms ...string)
	// Del removes socket id from room.
	Del(id, room string)
	// DelAll removes socket id from every room; the socket is gone.
	DelAll(id string)
	// SocketRooms returns the rooms socket id is in, nil for an unknown socket. It is local.
	SocketRooms(id string) []string

	// Broadcast sends p to the sockets opts selects. p.Namespace is set; p.ID is [NoAckID].
	// The adapter must neither modify p nor keep it past the call except to read it.
	Broadcast(p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck sends p to the sockets opts selects, each asked for an
	// acknowledgement (the adapter picks the ack id). It calls clientCount once per server
	// with the number of sockets reached there, and ack with each answer as it arrives
	// (from other servers only its first argument, as in Node's cluster adapters).
	// opts.Flags.Timeout says how long answers are awaited. clientCount and ack may be
	// called concurrently and after BroadcastWithAck returns.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(n int), ack func(Args)) error
	// Sockets returns the ids of the sockets in any of rooms (all sockets when empty).
	Sockets(ctx context.Context, rooms []string) ([]string, error)
	// FetchSockets describes the sockets opts selects, on every server unless Local.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error)
	// AddSockets makes the sockets opts selects join rooms.
	AddSockets(opts BroadcastOptions, rooms []string) error
	// DelSockets makes the sockets opts selects leave rooms.
	DelSockets(opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the sockets opts selects, closing their whole
	// connection when close is set.
	DisconnectSockets(opts BroadcastOptions, close bool) error
	// ServerSideEmit sends p, an event whose Data is [event, args...], to the namespace on
	// every other server, whose adapter hands it to [Namespace.ReceiveServerSideEmit].
	// A single-process adapter has no other server and does nothing.
	ServerSideEmit(ctx context.Context, p *Packet) error
	// PersistSession keeps the state of a socket that disconnected for a recoverable reason,
	// under its PID, for [Options.ConnectionStateRecovery] (Node's persistSession). It is
	// called only when recovery is on.
	PersistSession(st *SessionState)
	// RestoreSession returns the session persisted under pid, with the events sent to its
	// rooms after offset in Missed (Node's restoreSession); nil, and no error, when it
	// cannot: unknown or expired session, offset no longer kept. Restoring must not consume
	// the session: a client may present the same pid again. With recovery on, an adapter
	// that restores sessions must log the events it broadcasts — those of type event, with
	// no ack id and not volatile — appending to each a unique offset string as its last
	// argument, as [MemoryAdapter] does.
	RestoreSession(ctx context.Context, pid, offset string) (*SessionState, error)
	// ServerSideEmitWithAck is ServerSideEmit asking every other server for an
	// acknowledgement: their adapters hand p to [Namespace.ReceiveServerSideEmit] with an Ack
	// that sends its first argument back. It waits until each other server answered or ctx
	// is done, and returns the answers received, one Args of one value per server, with an
	// error if some are missing. A single-process adapter has no other server and returns
	// none at once.
	ServerSideEmitWithAck(ctx context.Context, p *Packet) ([]Args, error)
	// ServerCount returns the number of servers sharing this namespace (1 for one process).
	ServerCount(ctx context.Context) (int, error)
	// Close releases the adapter; the server calls it on Shutdown or Close.
	Close() error
}

// BroadcastOptions select the sockets an operation applies to: those in any of Rooms (every
// socket of the namespace when Rooms is empty) that are in none of Except. Adapters must not
// modify the slices.
type BroadcastOptions struct {
	Rooms  []string
	Except []string
	Flags  BroadcastFlags

	// acks, set by BroadcastOperator.EmitWithAck, collects the sockets asked for an
	// acknowledgement so that they stop awaiting it when the wait ends. Adapters pass opts
	// on unchanged; a request from another server has none (see MemoryAdapter).
	acks *ackWait
}

// BroadcastFlags modify a broadcast.
type BroadcastFlags struct {
	// Volatile drops the packet for a client that cannot take it right now.
	Volatile bool
	// Local restricts the operation to this server's sockets.
	Local bool
	// Timeout is how long acknowledgements are awaited (BroadcastWithAck).
	Timeout time.Duration
}

// PacketType is a Socket.IO packet type; the values are the protocol's.
type PacketType = socketio.PacketType

// The Socket.IO packet types.
const (
	PacketConnect      = socketio.PacketConnect
	PacketDisconnect   = socketio.PacketDisconnect
	PacketEvent        = socketio.PacketEvent
	PacketAck          = socketio.PacketAck
	PacketConnectError = socketio.PacketConnectError
	PacketBinaryEvent  = socketio.PacketBinaryEvent
	PacketBinaryAck    = socketio.PacketBinaryAck
)

// NoAckID is the [Packet.ID] of a packet that asks for no acknowledgement.
const NoAckID = socketio.NoAckID

// Packet is a Socket.IO packet in structured form, the way adapters see and forward it; see
// [socketio.Packet]. A Packet handed to an adapter is shared: treat it as read-only.
type Packet = socketio.Packet

// SocketInfo describes a socket, local or on another server: what Node's RemoteSocket
// carries. Rooms includes the socket's own id.
type SocketInfo struct {
	ID        string    `json:"id"`
	Handshake Handshake `json:"handshake"`
	Rooms     []string  `json:"rooms"`
	Data      any       `json:"data"`
}
