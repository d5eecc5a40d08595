package hub

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/adapter"
)

// Namespace is a communication channel multiplexed over the clients' connections (Node's
// Namespace): it has its own connection middleware, connection handlers, rooms and adapter.
// Get one with [Server.Of]; the main namespace is "/". A dynamic parent namespace, from
// [Server.OfFunc] or [Server.OfPattern], holds no sockets itself: its middleware and
// handlers apply to each child namespace it creates, and its broadcasts reach them all; a
// child goes once its last socket has left.
// Methods are safe for concurrent use.
type Namespace struct {
	name          string
	srv           *Server
	adapter       adapter.Adapter
	adapterClosed atomic.Bool
	parent        *Namespace                                   // for a child of a dynamic namespace
	allow         func(name string, auth json.RawMessage) bool // for a dynamic parent
	ackIDs        atomic.Int64                                 // next ack id (Node's nsp._ids)
	users         int                                          // of a dynamic child: sockets connecting or connected; guarded by mu

	mu           sync.RWMutex
	sockets      map[string]*Socket // connected sockets by id; guarded by mu
	middleware   []func(*Socket) error
	onConnection []func(*Socket)
	onServerEmit []func(event string, args Args, ack Ack)
	onRoom       []func(event, room, id string) // guarded by mu; hasOnRoom says whether any
	hasOnRoom    atomic.Bool
	children     []*Namespace // of a dynamic parent; guarded by mu
}

func newNamespace(srv *Server, name string, parent *Namespace) *Namespace {
	return &Namespace{name: name, srv: srv, parent: parent, sockets: make(map[string]*Socket)}
}

// Name returns the namespace's name, such as "/" or "/admin" ("/_0", "/_1"… for dynamic
// parents, as in Node).
func (ns *Namespace) Name() string { return ns.name }

// Server returns the server ns belongs to.
func (ns *Namespace) Server() *Server { return ns.srv }

// Adapter returns the namespace's adapter, made by [Options.Adapter].
func (ns *Namespace) Adapter() adapter.Adapter { return ns.adapter }

// Use adds connection middleware (Node's nsp.use): fn runs for every socket connecting to
// the namespace, before it is connected, in the order added. A non-nil error refuses the
// socket: the client gets a connect_error whose message is the error's text and whose data
// is the [ConnectError]'s Data, if the error is one. fn runs on the client's handler
// goroutine (middleware of different clients runs concurrently); it may read the socket's
// handshake, set its data and join rooms, and block (on a database, say) — the client's
// other events wait.
func (ns *Namespace) Use(fn func(s *Socket) error) {
	ns.mu.Lock()
	ns.middleware = append(ns.middleware, fn)
	ns.mu.Unlock()
}

// OnConnection registers fn to run for every socket that connects to the namespace (Node's
// nsp.on("connection")), after the client has been told it is connected. fn runs on the
// socket's handler goroutine, before any of the socket's events: register the socket's
// handlers there.
func (ns *Namespace) OnConnection(fn func(s *Socket)) {
	ns.mu.Lock()
	ns.onConnection = append(ns.onConnection, fn)
	ns.mu.Unlock()
}

// Sockets returns the namespace's connected sockets on this server (for a dynamic parent,
// those of all its children).
func (ns *Namespace) Sockets() []*Socket {
	ns.mu.RLock()
	out := make([]*Socket, 0, len(ns.sockets))
	for _, s := range ns.sockets {
		if s.Connected() {
			out = append(out, s)
		}
	}
	children := ns.children
	ns.mu.RUnlock()
	for _, c := range children {
		out = append(out, c.Sockets()...)
	}
	return out
}

// Socket returns the connected socket of this server with the given id, or nil.
func (ns *Namespace) Socket(id string) *Socket { return ns.connectedSocket(id) }

// Broadcast operators (Node's nsp.to(), nsp.except()…); see [BroadcastOperator].

// To selects the sockets in any of rooms.
func (ns *Namespace) To(rooms ...string) BroadcastOperator { return ns.operator().To(rooms...) }

// In is To.
func (ns *Namespace) In(rooms ...string) BroadcastOperator { return ns.operator().To(rooms...) }

// Except selects the sockets in none of rooms.
func (ns *Namespace) Except(rooms ...string) BroadcastOperator {
	return ns.operator().Except(rooms...)
}

// Volatile returns an operator whose events may be dropped for clients not ready for them.
func (ns *Namespace) Volatile() BroadcastOperator { return ns.operator().Volatile() }

// Local returns an operator restricted to this server's sockets.
func (ns *Namespace) Local() BroadcastOperator { return ns.operator().Local() }

// Timeout returns an operator whose EmitWithAck waits at most d.
func (ns *Namespace) Timeout(d time.Duration) BroadcastOperator { return ns.operator().Timeout(d) }

// Emit sends an event to every socket of the namespace (Node's nsp.emit). It never blocks.
func (ns *Namespace) Emit(event string, args ...any) error {
	return ns.operator().Emit(event, args...)
}

// EmitWithAck sends an event to every socket of the namespace and collects their answers;
// see [BroadcastOperator.EmitWithAck].
func (ns *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return ns.operator().EmitWithAck(ctx, event, args...)
}

// FetchSockets describes every socket of the namespace; see [BroadcastOperator.FetchSockets].
func (ns *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return ns.operator().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (ns *Namespace) SocketsJoin(rooms ...string) error { return ns.operator().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (ns *Namespace) SocketsLeave(rooms ...string) error {
	return ns.operator().SocketsLeave(rooms...)
}

// DisconnectSockets disconnects every socket of the namespace.
func (ns *Namespace) DisconnectSockets(close bool) error {
	return ns.operator().DisconnectSockets(close)
}

func (ns *Namespace) operator() BroadcastOperator { return BroadcastOperator{ns: ns} }

// nextAckID returns a fresh ack id of the namespace (shared by its sockets and broadcasts).
func (ns *Namespace) nextAckID() int64 { return ns.ackIDs.Add(1) - 1 }

func (ns *Namespace) connectedSocket(id string) *Socket {
	ns.mu.RLock()
	s := ns.sockets[id]
	ns.mu.RUnlock()
	if s == nil || s.state.Load() != stateConnected {
		return nil
	}
	return s
}

// detach makes ns a namespace of a closed server, kept nowhere, with an adapter that needs
// no closing; its operations return ErrServerClosed (see open).
func (ns *Namespace) detach() *Namespace {
	ns.adapter = adapter.NewMemory(ns.seam())
	ns.adapterClosed.Store(true)
	return ns
}

// open returns ErrServerClosed once the server's Shutdown or Close has closed ns's adapter.
func (ns *Namespace) open() error {
	if ns.adapterClosed.Load() && ns.srv.closed.Load() {
		return ErrServerClosed
	}
	return nil
}

// claim reserves id for s, a recovering socket, unless a socket of the namespace holds it
// (connected, connecting or not gone yet): two sockets never share an id.
func (ns *Namespace) claim(id string, s *Socket) bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if _, taken := ns.sockets[id]; taken {
		return false
	}
	ns.sockets[id] = s
	return true
}

func (ns *Namespace) add(s *Socket) {
	ns.mu.Lock()
	ns.sockets[s.id] = s
	ns.mu.Unlock()
}

// remove forgets s, which has disconnected; a dynamic child left empty goes (release).
func (ns *Namespace) remove(s *Socket) {
	ns.mu.Lock()
	if ns.sockets[s.id] == s {
		delete(ns.sockets, s.id)
	}
	ns.mu.Unlock()
	ns.release()
}

// acquire counts a socket about to connect to ns, found by Server.lookup with the server's
// lock held: a dynamic child is not reclaimed while a socket connects to it or is connected.
func (ns *Namespace) acquire() {
	if ns.parent == nil {
		return
	}
	ns.mu.Lock()
	ns.users++
	ns.mu.Unlock()
}

// release ends what acquire began, once the socket was refused or has disconnected. The
// last socket leaving a dynamic child reclaims it: the child leaves the server and its
// parent, and its adapter is closed; a client connecting to the name again makes a new
// child. Node does this only with cleanupEmptyChildNamespaces; hub always does, so that
// clients cannot make the server hold namespaces without bound.
func (ns *Namespace) release() {
	if ns.parent == nil {
		return
	}
	ns.mu.Lock()
	ns.users--
	empty := ns.users == 0
	ns.mu.Unlock()
	if !empty {
		return
	}
	srv := ns.srv
	srv.mu.Lock()
	ns.mu.Lock()
	gone := ns.users == 0 && srv.nsps[ns.name] == ns // no lookup acquired it meanwhile
	ns.mu.Unlock()
	if gone {
		delete(srv.nsps, ns.name)
		ns.parent.removeChild(ns)
	}
	srv.mu.Unlock()
	if gone && ns.adapterClosed.CompareAndSwap(false, true) {
		if err := ns.adapter.Close(); err != nil {
			srv.opts.Logger.Warn("hub: closing the adapter of an empty dynamic namespace", "namespace", ns.name, "err", err)
		}
	}
}

// allows asks the dynamic parent ns whether a client may make namespace name. A panic in
// the user's function is logged and refuses, as an error passed to next does in Node: the
// client gets "Invalid namespace" unless another parent allows it.
func (ns *Namespace) allows(name string, auth json.RawMessage) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ns.srv.opts.Logger.Error("hub: panic in a dynamic namespace check",
				"parent", ns.name, "namespace", name, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	return ns.allow(name, auth)
}

func (ns *Namespace) addChild(child *Namespace) {
	ns.mu.Lock()
	ns.children = append(ns.children, child)
	ns.mu.Unlock()
}

// removeChild forgets child, reclaimed, in a new slice: Sockets may be reading the old one.
func (ns *Namespace) removeChild(child *Namespace) {
	ns.mu.Lock()
	ns.children = slices.DeleteFunc(slices.Clone(ns.children), func(c *Namespace) bool { return c == child })
	ns.mu.Unlock()
}

func (ns *Namespace) childList() []*Namespace {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return slices.Clone(ns.children)
}

// middlewareChain returns the middleware a connecting socket runs: the parent's, then ns's.
func (ns *Namespace) middlewareChain() []func(*Socket) error {
	var chain []func(*Socket) error
	if ns.parent != nil {
		chain = ns.parent.middlewareChain()
	}
	ns.mu.RLock()
	chain = append(chain, ns.middleware...)
	ns.mu.RUnlock()
	return chain
}

// connectionHandlers returns the parent's connection handlers, then ns's.
func (ns *Namespace) connectionHandlers() []func(*Socket) {
	var fns []func(*Socket)
	if ns.parent != nil {
		fns = ns.parent.connectionHandlers()
	}
	ns.mu.RLock()
	fns = append(fns, ns.onConnection...)
	ns.mu.RUnlock()
	return fns
}

// OnRoomChange registers fn for the changes of the namespace's rooms on this server (Node's
// nsp.adapter.on("create-room" | "delete-room" | "join-room" | "leave-room")): event is one
// of those names, id the socket's for "join-room" and "leave-room" and empty for the others.
// A socket's own room counts: it is created and joined as the socket connects, left and
// deleted as it disconnects. On a dynamic parent, fn is told of the changes in every child.
// fn runs synchronously on the goroutine that made the change (a handler calling Join, the
// connect or disconnect path, an adapter applying another server's operation), after the
// change: it must not block. A panic in it is recovered and logged.
func (ns *Namespace) OnRoomChange(fn func(event, room, id string)) {
	if fn == nil {
		panic("hub: nil room change handler")
	}
	ns.mu.Lock()
	ns.onRoom = append(ns.onRoom, fn)
	ns.mu.Unlock()
	ns.hasOnRoom.Store(true)
}

// roomListener returns the func telling ns's room change handlers, and its parent's, of a
// change; nil when there are none.
func (ns *Namespace) roomListener() func(event, room, id string) {
	if !ns.hasOnRoom.Load() && (ns.parent == nil || !ns.parent.hasOnRoom.Load()) {
		return nil
	}
	return func(event, room, id string) {
		for _, owner := range []*Namespace{ns.parent, ns} {
			if owner == nil {
				continue
			}
			owner.mu.RLock()
			fns := owner.onRoom
			owner.mu.RUnlock()
			for _, fn := range fns {
				ns.roomHandler(fn, event, room, id)
			}
		}
	}
}

// roomHandler calls a room change handler, logging a panic.
func (ns *Namespace) roomHandler(fn func(event, room, id string), event, room, id string) {
	defer func() {
		if r := recover(); r != nil {
			ns.srv.opts.Logger.Error("hub: panic in a room change handler",
				"namespace", ns.name, "event", event, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(event, room, id)
}
