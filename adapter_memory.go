package hub

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryAdapter is the in-memory [Adapter] of one namespace, the default: rooms and sockets
// of this process only (Node's in-memory Adapter). Other adapters embed it for local
// delivery. Its methods are safe for concurrent use and never block on a client: a broadcast
// is encoded once and the same engine packets are queued on every socket.
type MemoryAdapter struct {
	ns *Namespace

	mu    sync.RWMutex
	rooms map[string]*idSet // room → socket ids; guarded by mu
	sids  map[string]*idSet // socket id → rooms; guarded by mu

	log *recoveryLog // the server's default adapter with connection state recovery on; else nil
}

var _ Adapter = (*MemoryAdapter)(nil)

// NewMemoryAdapter returns the in-memory adapter of ns.
func NewMemoryAdapter(ns *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		ns:    ns,
		rooms: make(map[string]*idSet),
		sids:  make(map[string]*idSet),
	}
}

// Namespace returns the namespace a serves.
func (a *MemoryAdapter) Namespace() *Namespace { return a.ns }

// AddAll adds socket id to rooms.
func (a *MemoryAdapter) AddAll(id string, rooms ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
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
		}
		members.add(id)
	}
}

// Del removes socket id from room.
func (a *MemoryAdapter) Del(id, room string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mine := a.sids[id]; mine != nil {
		mine.del(room)
	}
	a.delLocked(room, id)
}

func (a *MemoryAdapter) delLocked(room, id string) {
	members := a.rooms[room]
	if members == nil {
		return
	}
	members.del(id)
	if members.len() == 0 {
		delete(a.rooms, room)
	}
}

// DelAll removes socket id from every room.
func (a *MemoryAdapter) DelAll(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mine := a.sids[id]; mine != nil {
		for room := range mine.all() {
			a.delLocked(room, id)
		}
	}
	delete(a.sids, id)
}

// SocketRooms returns the rooms socket id is in, sorted; nil for an unknown socket.
func (a *MemoryAdapter) SocketRooms(id string) []string {
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

// targetPool recycles the socket lists of broadcasts, so that a broadcast costs no
// allocation per recipient.
var targetPool = sync.Pool{New: func() any { s := make([]*Socket, 0, 64); return &s }}

// apply calls fn for each connected local socket opts selects. fn runs without a's lock
// held, so it may call back into a.
func (a *MemoryAdapter) apply(opts BroadcastOptions, fn func(s *Socket)) {
	tp := targetPool.Get().(*[]*Socket)
	targets := a.collect(opts, (*tp)[:0])
	for _, s := range targets {
		fn(s)
	}
	clear(targets)
	*tp = targets[:0]
	targetPool.Put(tp)
}

// collect appends to dst the connected local sockets opts selects.
func (a *MemoryAdapter) collect(opts BroadcastOptions, dst []*Socket) []*Socket {
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
			if excluded(id) {
				continue
			}
			if s := a.ns.connectedSocket(id); s != nil {
				dst = append(dst, s)
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
			if excluded(id) {
				continue
			}
			if s := a.ns.connectedSocket(id); s != nil {
				dst = append(dst, s)
			}
		}
	}
	return dst
}

// Broadcast encodes p once and queues the same engine packets on every socket opts selects.
// With connection state recovery on (the server's default adapter only), an event asking
// for no acknowledgement and not volatile is first given an offset, appended as its last
// argument, and kept for recovering sockets.
func (a *MemoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	if a.log != nil && loggable(p, opts) {
		return a.log.broadcast(a, p, opts)
	}
	return a.deliver(p, opts)
}

// deliver encodes p once and queues it on every socket opts selects, telling their outgoing
// listeners.
func (a *MemoryAdapter) deliver(p *Packet, opts BroadcastOptions) error {
	pkts, err := a.ns.srv.encodePacket(p)
	if err != nil {
		return err
	}
	out := outgoingNotice{p: p}
	a.apply(opts, func(s *Socket) {
		if s.write(pkts, opts.Flags.Volatile) == nil {
			out.notify(s)
		}
	})
	return nil
}

// BroadcastWithAck sends p, with an ack id taken from the namespace's counter, to every
// socket opts selects, then calls clientCount with how many there were. Each socket's
// answer goes to ack, on that socket's read path. The sockets stop awaiting the answer when
// the wait of the [BroadcastOperator.EmitWithAck] that asked ends; for a request with no
// such wait (another server's), after opts.Flags.Timeout, or the server's default (see
// EmitWithAck) when it is zero.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(n int), ack func(Args)) error {
	q := *p
	q.ID = a.ns.nextAckID()
	pkts, err := a.ns.srv.encodePacket(&q)
	if err != nil {
		return err
	}
	w := opts.acks
	if w == nil {
		w = new(ackWait)
		timeout := opts.Flags.Timeout
		if timeout <= 0 {
			timeout = a.ns.srv.ackTimeout()
		}
		time.AfterFunc(timeout, w.end)
	}
	n := 0
	out := outgoingNotice{p: p}
	a.apply(opts, func(s *Socket) {
		if !s.addAck(q.ID, ack) {
			return
		}
		if !w.track(s, q.ID) || s.write(pkts, opts.Flags.Volatile) != nil {
			s.removeAck(q.ID)
			return
		}
		out.notify(s)
		n++
	})
	clientCount(n)
	return nil
}

// Sockets returns the ids of the local sockets in any of rooms (all when empty).
func (a *MemoryAdapter) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	var ids []string
	a.apply(BroadcastOptions{Rooms: rooms}, func(s *Socket) { ids = append(ids, s.id) })
	return ids, nil
}

// FetchSockets describes the local sockets opts selects.
func (a *MemoryAdapter) FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error) {
	var infos []SocketInfo
	a.apply(opts, func(s *Socket) { infos = append(infos, s.info()) })
	return infos, nil
}

// AddSockets makes the local sockets opts selects join rooms.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) error {
	a.apply(opts, func(s *Socket) { s.Join(rooms...) })
	return nil
}

// DelSockets makes the local sockets opts selects leave rooms.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) error {
	a.apply(opts, func(s *Socket) {
		for _, room := range rooms {
			s.Leave(room)
		}
	})
	return nil
}

// DisconnectSockets disconnects the local sockets opts selects.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	a.apply(opts, func(s *Socket) { s.Disconnect(close) })
	return nil
}

// ServerSideEmit does nothing: one process has no other server to tell.
func (a *MemoryAdapter) ServerSideEmit(ctx context.Context, p *Packet) error { return nil }

// ServerSideEmitWithAck returns no answers at once: one process has no other server to ask.
// (Node's in-memory adapter never calls back; its cluster adapters, alone, answer [] at
// once.)
func (a *MemoryAdapter) ServerSideEmitWithAck(ctx context.Context, p *Packet) ([]Args, error) {
	return nil, nil
}

// ServerCount returns 1.
func (a *MemoryAdapter) ServerCount(ctx context.Context) (int, error) { return 1, nil }

// Close does nothing.
func (a *MemoryAdapter) Close() error { return nil }
