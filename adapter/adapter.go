// Package adapter is the seam between a hub namespace and the sockets it reaches, for
// those who write adapters: the [Adapter] a namespace broadcasts through, the [Namespace]
// hub hands an adapter, and [Memory], the in-memory adapter every namespace has by default
// (Node's socket.io-adapter). Apps do not import it: they pick an adapter with
// hub.Options.Adapter, such as the one of package github.com/hubkit/hub/adapter/redis.
//
// An adapter for several servers typically embeds a *Memory for the sockets of this
// process, as Node's adapters extend the in-memory one, and forwards each operation to the
// other servers unless its options say Local; what it receives from them it applies
// through the embedded Memory and [Namespace.ReceiveServerSideEmit].
package adapter

import (
	"context"
	"time"

	"github.com/hubkit/hub/socketio"
)

// Adapter is what a namespace broadcasts through: it knows which sockets are in which rooms
// and delivers packets to them. It mirrors Node's socket.io-adapter.
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

	// Broadcast sends p to the sockets opts selects. p.Namespace is set; p.ID is
	// [socketio.NoAckID]. The adapter must neither modify p nor keep it past the call except
	// to read it.
	Broadcast(p *socketio.Packet, opts BroadcastOptions) error
	// BroadcastWithAck sends p to the sockets opts selects, each asked for an
	// acknowledgement (the namespace picks the ack id). It calls clientCount once per server
	// with the number of sockets reached there, and ack with each answer as it arrives
	// (from other servers only its first argument, as in Node's cluster adapters). Answers
	// are awaited until ctx is done or opts.Flags.Timeout has passed, whichever comes
	// first. clientCount and ack may be called concurrently and after BroadcastWithAck
	// returns.
	BroadcastWithAck(ctx context.Context, p *socketio.Packet, opts BroadcastOptions, clientCount func(n int), ack func(socketio.Args)) error
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
	ServerSideEmit(ctx context.Context, p *socketio.Packet) error
	// ServerSideEmitWithAck is ServerSideEmit asking every other server for an
	// acknowledgement: their adapters hand p to [Namespace.ReceiveServerSideEmit] with an
	// Ack that sends its first argument back. It waits until each other server answered or
	// ctx is done, and returns the answers received, one Args of one value per server, with
	// an error if some are missing. A single-process adapter has no other server and
	// returns none at once.
	ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error)
	// PersistSession keeps the state of a socket that disconnected for a recoverable
	// reason, under its PID, for connection state recovery (Node's persistSession). It is
	// called only when recovery is on.
	PersistSession(st *SessionState)
	// RestoreSession returns the session persisted under pid, with the events sent to its
	// rooms after offset in Missed (Node's restoreSession); nil, and no error, when it
	// cannot: unknown or expired session, offset no longer kept. Restoring must not consume
	// the session: a client may present the same pid again. With recovery on, an adapter
	// that restores sessions must log the events it broadcasts — those of type event, with
	// no ack id and not volatile — appending to each a unique offset string as its last
	// argument, as the session-aware [Memory] does, and should implement [Resumer].
	RestoreSession(ctx context.Context, pid, offset string) (*SessionState, error)
	// ServerCount returns the number of servers sharing this namespace (1 for one process).
	ServerCount(ctx context.Context) (int, error)
	// Close releases the adapter; the server calls it on Shutdown or Close.
	Close() error
}

// Resumer is implemented by an adapter that restores sessions from a log of its own, such
// as the session-aware [Memory]. Between RestoreSession and the moment a recovered socket
// is connected, events may be broadcast to its rooms: hub calls Resume with the restored
// state, and Resume calls live — which connects the socket — with the events logged for
// rooms since RestoreSession, so that each event reaches the socket exactly once, replayed
// or live. Without Resume such events may be missed.
type Resumer interface {
	Resume(st *SessionState, rooms []string, live func(more []*socketio.Packet))
}

// BroadcastOptions select the sockets an operation applies to: those in any of Rooms (every
// socket of the namespace when Rooms is empty) that are in none of Except. Adapters must not
// modify the slices.
type BroadcastOptions struct {
	Rooms  []string
	Except []string
	Flags  BroadcastFlags
}

// BroadcastFlags modify a broadcast.
type BroadcastFlags struct {
	// Volatile drops the packet for a client that cannot take it right now.
	Volatile bool
	// Local restricts the operation to this server's sockets.
	Local bool
	// Timeout is how long acknowledgements are awaited (BroadcastWithAck); zero means the
	// namespace's default.
	Timeout time.Duration
}

// SocketInfo describes a socket, local or on another server: what Node's RemoteSocket
// carries. Rooms includes the socket's own id.
type SocketInfo struct {
	ID        string             `json:"id"`
	Handshake socketio.Handshake `json:"handshake"`
	Rooms     []string           `json:"rooms"`
	Data      any                `json:"data"`
}

// SessionState is the state of a socket kept for connection state recovery (Node's
// Session): what [Adapter.PersistSession] stores when the socket disconnects for a
// recoverable reason, and what [Adapter.RestoreSession] gives back, with the events the
// socket missed meanwhile.
type SessionState struct {
	SID   string   // the socket's id, kept by the recovered socket
	PID   string   // the private session id the client presents to recover
	Rooms []string // the rooms the socket was in, its own id room included
	Data  any      // the socket's Data
	// Missed holds, from RestoreSession, the events sent to the socket's rooms after the
	// client's offset, in order, each with its offset as its last argument.
	Missed []*socketio.Packet

	through uint64 // the last log entry RestoreSession looked at (Memory)
}

// Namespace is the namespace an adapter serves, as hub hands it to the adapter's
// constructor (hub.Options.Adapter): its name, and the operations on its sockets of this
// process that [Memory] needs. An adapter embedding a *Memory needs only Name and
// ReceiveServerSideEmit itself.
//
// The socket operations take socket ids and skip those of sockets that are not connected
// (yet, or any more); none blocks on a client. All methods are safe for concurrent use.
type Namespace interface {
	// Name returns the namespace's name, such as "/" or "/admin".
	Name() string
	// Connected reports whether socket id is connected to the namespace on this server.
	Connected(id string) bool
	// Send encodes p once and queues it on each socket of ids, dropping it for a client
	// that cannot take it right now when volatile is set.
	Send(p *socketio.Packet, ids []string, volatile bool) error
	// SendWithAck gives p an ack id of the namespace, encodes it once, and queues it on each
	// socket of ids, which awaits its answer until ctx is done or timeout has passed (the
	// namespace's default when zero). Each answer goes to ack, on the answering socket's
	// read path. It returns the number of sockets it queued p on.
	SendWithAck(ctx context.Context, p *socketio.Packet, ids []string, volatile bool, timeout time.Duration, ack func(socketio.Args)) (int, error)
	// Describe returns the SocketInfo of each socket of ids.
	Describe(ids []string) []SocketInfo
	// Join makes each socket of ids join rooms.
	Join(ids, rooms []string)
	// Leave makes each socket of ids leave rooms.
	Leave(ids, rooms []string)
	// Disconnect disconnects each socket of ids, closing its whole connection when close
	// is set.
	Disconnect(ids []string, close bool)
	// RoomListener returns the func told of the changes of the namespace's rooms on this
	// server, as Node's adapter emits them: event "create-room" or "delete-room" (id
	// empty), "join-room" or "leave-room" (id the socket's); nil when nobody listens, which
	// an adapter checks before gathering the changes. An adapter calls it after the change,
	// without holding its locks (the func may call back into the adapter), in the order of
	// Node's in-memory adapter.
	RoomListener() func(event, room, id string)
	// ReceiveServerSideEmit hands an event another server sent to the namespace's
	// server-side emit handlers. p.Data is [event, args...]. ack, nil when the sender asked
	// for no acknowledgement, sends the answer back to the sender; hub calls it at most
	// once. It does not block on the handlers' behalf beyond running them.
	ReceiveServerSideEmit(p *socketio.Packet, ack socketio.Ack) error
}
