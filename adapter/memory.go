package adapter

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hubkit/hub/socketio"
)

// Memory is the in-memory [Adapter] of one namespace, the default: rooms and sockets of this
// process only (Node's in-memory Adapter), and, made by [NewSessionAware], the log that
// connection state recovery needs (Node's SessionAwareAdapter). Other adapters embed it for
// local delivery. Its methods are safe for concurrent use and never block on a client: a
// broadcast is encoded once and the same engine packets are queued on every socket.
type Memory struct {
	ns Namespace

	mu    sync.RWMutex
	rooms map[string]*idSet // room → socket ids; guarded by mu
	sids  map[string]*idSet // socket id → rooms; guarded by mu

	log *recoveryLog // from NewSessionAware; else nil
}

var (
	_ Adapter = (*Memory)(nil)
	_ Resumer = (*Memory)(nil)
)

// NewMemory returns the in-memory adapter of ns, which recovers no session (as Node's
// in-memory Adapter).
func NewMemory(ns Namespace) *Memory {
	return &Memory{
		ns:    ns,
		rooms: make(map[string]*idSet),
		sids:  make(map[string]*idSet),
	}
}

// NewSessionAware returns the in-memory adapter of ns that keeps what connection state
// recovery needs (Node's SessionAwareAdapter): the events broadcast in the last maxAge,
// each with an offset, and the state of the sockets that disconnected for a recoverable
// reason, in at most about maxBytes (past it the oldest go first). hub makes one for each
// namespace when recovery is on and no other adapter is configured.
func NewSessionAware(ns Namespace, maxAge time.Duration, maxBytes int) *Memory {
	a := NewMemory(ns)
	a.log = newRecoveryLog(maxAge, maxBytes)
	return a
}

// Namespace returns the namespace a serves.
func (a *Memory) Namespace() Namespace { return a.ns }

// roomChange is a change of the rooms, told to the namespace's RoomListener once a's lock
// is released.
type roomChange struct{ event, room string }

// tell calls listen with changes, for socket id.
func tell(listen func(event, room, id string), changes []roomChange, id string) {
	for _, c := range changes {
		if c.event == "create-room" || c.event == "delete-room" {
			listen(c.event, c.room, "")
		} else {
			listen(c.event, c.room, id)
		}
	}
}

// AddAll adds socket id to rooms, telling the namespace's RoomListener of the rooms created
// and joined.
func (a *Memory) AddAll(id string, rooms ...string) {
	listen := a.ns.RoomListener()
	var changes []roomChange
	a.mu.Lock()
	mine := a.sids[id]
	if mine == nil {
		mine = new(idSet)
		a.sids[id] = mine
	}
	for _, room := range rooms {
		mine.add(room)
		members := a.rooms[room]
		if members == nil {
			members = new(idSet)
			a.rooms[room] = members
			if listen != nil {
				changes = append(changes, roomChange{"create-room", room})
			}
		}
		if listen != nil && !members.has(id) {
			changes = append(changes, roomChange{"join-room", room})
		}
		members.add(id)
	}
	a.mu.Unlock()
	tell(listen, changes, id)
}

// Del removes socket id from room, telling the namespace's RoomListener.
func (a *Memory) Del(id, room string) {
	listen := a.ns.RoomListener()
	var changes []roomChange
	a.mu.Lock()
	if mine := a.sids[id]; mine != nil {
		mine.del(room)
	}
	changes = a.delLocked(room, id, listen != nil, changes)
	a.mu.Unlock()
	tell(listen, changes, id)
}

// delLocked removes id from room, appending the changes to changes when record is set.
// a.mu must be held.
func (a *Memory) delLocked(room, id string, record bool, changes []roomChange) []roomChange {
	members := a.rooms[room]
	if members == nil {
		return changes
	}
	if record && members.has(id) {
		changes = append(changes, roomChange{"leave-room", room})
	}
	members.del(id)
	if members.len() == 0 {
		delete(a.rooms, room)
		if record {
			changes = append(changes, roomChange{"delete-room", room})
		}
	}
	return changes
}

// DelAll removes socket id from every room, telling the namespace's RoomListener.
func (a *Memory) DelAll(id string) {
	listen := a.ns.RoomListener()
	var changes []roomChange
	a.mu.Lock()
	if mine := a.sids[id]; mine != nil {
		for room := range mine.all() {
			changes = a.delLocked(room, id, listen != nil, changes)
		}
	}
	delete(a.sids, id)
	a.mu.Unlock()
	tell(listen, changes, id)
}

// SocketRooms returns the rooms socket id is in, sorted; nil for an unknown socket.
func (a *Memory) SocketRooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	mine, ok := a.sids[id]
	if !ok {
		return nil
	}
	rooms := make([]string, 0, mine.len())
	for room := range mine.all() {
		rooms = append(rooms, room)
	}
	slices.Sort(rooms)
	return rooms
}

// idPool recycles the id lists of broadcasts, so that a broadcast costs no allocation per
// recipient.
var idPool = sync.Pool{New: func() any { s := make([]string, 0, 64); return &s }}

// apply calls fn with the ids of the sockets opts selects (connected or not: the
// namespace's operations skip the others). fn runs without a's lock held, so it may call
// back into a; it must not keep ids.
func (a *Memory) apply(opts BroadcastOptions, fn func(ids []string)) {
	p := idPool.Get().(*[]string)
	ids := a.collect(opts, (*p)[:0])
	fn(ids)
	clear(ids)
	*p = ids[:0]
	idPool.Put(p)
}

// collect appends to dst the ids of the sockets opts selects.
func (a *Memory) collect(opts BroadcastOptions, dst []string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	excluded := func(id string) bool {
		for _, room := range opts.Except {
			if members := a.rooms[room]; members != nil && members.has(id) {
				return true
			}
		}
		return false
	}
	if len(opts.Rooms) == 0 {
		for id := range a.sids {
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
		return dst
	}
	var seen map[string]struct{}
	if len(opts.Rooms) > 1 {
		seen = make(map[string]struct{})
	}
	for _, room := range opts.Rooms {
		members := a.rooms[room]
		if members == nil {
			continue
		}
		for id := range members.all() {
			if seen != nil {
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = struct{}{}
			}
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
	}
	return dst
}

// Broadcast sends p to every local socket opts selects, encoded once. On a session-aware
// adapter, an event asking for no acknowledgement and not volatile is first given an
// offset, appended as its last argument, and kept for recovering sockets.
func (a *Memory) Broadcast(p *socketio.Packet, opts BroadcastOptions) error {
	if a.log != nil && loggable(p, opts) {
		return a.log.broadcast(a, p, opts)
	}
	return a.deliver(p, opts)
}

// deliver sends p to every local socket opts selects.
func (a *Memory) deliver(p *socketio.Packet, opts BroadcastOptions) error {
	var err error
	a.apply(opts, func(ids []string) { err = a.ns.Send(p, ids, opts.Flags.Volatile) })
	return err
}

// BroadcastWithAck sends p, with an ack id of the namespace, to every local socket opts
// selects, then calls clientCount with how many there were. Each socket's answer goes to
// ack, on that socket's read path. The sockets stop awaiting it when ctx is done or after
// opts.Flags.Timeout (the namespace's default when zero).
func (a *Memory) BroadcastWithAck(ctx context.Context, p *socketio.Packet, opts BroadcastOptions, clientCount func(n int), ack func(socketio.Args)) error {
	var (
		n   int
		err error
	)
	a.apply(opts, func(ids []string) {
		n, err = a.ns.SendWithAck(ctx, p, ids, opts.Flags.Volatile, opts.Flags.Timeout, ack)
	})
	if err != nil {
		return err
	}
	clientCount(n)
	return nil
}

// Sockets returns the ids of the connected local sockets in any of rooms (all when empty).
func (a *Memory) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	var out []string
	a.apply(BroadcastOptions{Rooms: rooms}, func(ids []string) {
		for _, id := range ids {
			if a.ns.Connected(id) {
				out = append(out, id)
			}
		}
	})
	return out, nil
}

// FetchSockets describes the connected local sockets opts selects.
func (a *Memory) FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error) {
	var infos []SocketInfo
	a.apply(opts, func(ids []string) { infos = a.ns.Describe(ids) })
	return infos, nil
}

// AddSockets makes the local sockets opts selects join rooms.
func (a *Memory) AddSockets(opts BroadcastOptions, rooms []string) error {
	a.apply(opts, func(ids []string) { a.ns.Join(ids, rooms) })
	return nil
}

// DelSockets makes the local sockets opts selects leave rooms.
func (a *Memory) DelSockets(opts BroadcastOptions, rooms []string) error {
	a.apply(opts, func(ids []string) { a.ns.Leave(ids, rooms) })
	return nil
}

// DisconnectSockets disconnects the local sockets opts selects.
func (a *Memory) DisconnectSockets(opts BroadcastOptions, close bool) error {
	a.apply(opts, func(ids []string) { a.ns.Disconnect(ids, close) })
	return nil
}

// ServerSideEmit does nothing: one process has no other server to tell.
func (a *Memory) ServerSideEmit(ctx context.Context, p *socketio.Packet) error { return nil }

// ServerSideEmitWithAck returns no answers at once: one process has no other server to ask.
// (Node's in-memory adapter never calls back; its cluster adapters, alone, answer [] at
// once.)
func (a *Memory) ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error) {
	return nil, nil
}

// ServerCount returns 1.
func (a *Memory) ServerCount(ctx context.Context) (int, error) { return 1, nil }

// Close does nothing.
func (a *Memory) Close() error { return nil }
