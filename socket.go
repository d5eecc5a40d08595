package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// DisconnectReason says why a socket disconnected: one of the Reason constants, the Node
// server's words, which OnDisconnecting and OnDisconnect receive.
type DisconnectReason string

// The disconnect reasons.
const (
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect" // the client disconnected the socket
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect" // Socket.Disconnect
	ReasonTransportClose            DisconnectReason = "transport close"             // the client closed the connection
	ReasonTransportError            DisconnectReason = "transport error"             // the connection failed
	ReasonPingTimeout               DisconnectReason = "ping timeout"                // the client stopped answering pings
	ReasonParseError                DisconnectReason = "parse error"                 // the client sent an undecodable Engine.IO packet
	ReasonForcedClose               DisconnectReason = "forced close"                // the server closed the connection: a bad or out-of-place packet, Disconnect(true)…
	ReasonServerShuttingDown        DisconnectReason = "server shutting down"        // Server.Shutdown or Server.Close
)

// socket states
const (
	statePending   int32 = iota // running connection middleware
	stateConnected              // connected; events flow
	stateClosing                // disconnected; the disconnect handlers have yet to run
	stateClosed                 // gone
)

// Socket is one client's connection to one namespace (Node's Socket). Its id is random,
// distinct per namespace, and is not the Engine.IO session id.
//
// Handlers registered on a socket (On, Once, OnAny, Use, OnError, OnAnyOutgoing,
// OnDisconnecting, OnDisconnect) run on the socket's handler goroutine — shared by the
// client's sockets in all namespaces — one at a time and in the order the client's packets
// arrived, never on the network read path. A handler may block (the client's later events
// wait), but should watch [Socket.Context]. A panic in a handler is recovered and logged, as
// net/http does. Every method of Socket is safe for concurrent use; Emit and the other
// sending methods never block.
type Socket struct {
	id            string
	ns            *Namespace
	conn          *conn
	handshake     Handshake // Time, Issued and Auth set at creation; the rest by Handshake()
	handshakeOnce sync.Once
	ctx           socketContext
	state         atomic.Int32
	roomMu        sync.Mutex // makes Join's state check and addition one step for leaveAll

	mu              sync.Mutex
	handlers        []namedHandler // in registration order; guarded by mu
	anyHandlers     []anyListener  // guarded by mu, like the next three (see listeners.go)
	middleware      []packetMiddleware
	onError         []errorListener
	outgoing        atomic.Pointer[[]anyListener] // nil when none; written with mu held
	onDisconnecting []func(reason DisconnectReason)
	onDisconnect    []func(reason DisconnectReason)
	onUpgrade       []func(transport string) // see upgrade.go
	acks            map[int64]func(Args)     // pending acknowledgements by id; guarded by mu
	data            any

	pid       string // private session id, with connection state recovery on; set before connecting
	recovered bool   // the socket recovered a previous one's state; set before connecting
}

func newSocket(ns *Namespace, c *conn, auth json.RawMessage) *Socket {
	s := &Socket{
		id:        newSocketID(),
		ns:        ns,
		conn:      c,
		handshake: Handshake{Auth: auth},
	}
	now := time.Now()
	s.handshake.Time, s.handshake.Issued = now, now.UnixMilli()
	s.ctx.parent, s.ctx.values = ns.srv.ctx, c.sess.Context()
	return s
}

// newSocketID returns a random id like Node's base64id: 15 random bytes, 20 characters.
func newSocketID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// ID returns the socket's id, which is also the name of the room only it is in.
func (s *Socket) ID() string { return s.id }

// Namespace returns the namespace the socket belongs to.
func (s *Socket) Namespace() *Namespace { return s.ns }

// Handshake returns how the socket connected. The result is shared: do not modify it.
func (s *Socket) Handshake() *Handshake {
	s.handshakeOnce.Do(func() { fillHandshake(&s.handshake, s.conn.sess.Request()) })
	return &s.handshake
}

// Request returns the HTTP request that opened the client's Engine.IO session (Node's
// socket.request): its method, URL, headers, Host, RemoteAddr and TLS state, in a copy made
// on each call (the session keeps them packed). Its body is empty. Its context is the
// session's: done when the connection has closed, with the values of the handshake request's
// context — what the application's net/http middleware put there (the user, a trace span) —
// for as long as the connection lives.
func (s *Socket) Request() *http.Request { return s.conn.sess.Request() }

// Transport returns the name of the transport the client uses now: "polling",
// "websocket" or "sse".
func (s *Socket) Transport() string { return s.conn.sess.Transport() }

// Context returns a context cancelled when the socket disconnects (or the server closes);
// its cause then wraps [ErrDisconnected] and names the reason. It carries the values of the
// handshake request's context (see [Socket.Request]): pass it to the calls a handler makes
// on the user's behalf. (What the middleware put there stays in memory while the connection
// lives: keep it small — a user id, not a loaded page.)
func (s *Socket) Context() context.Context { return s.ctx.get() }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool { return s.state.Load() == stateConnected }

// Recovered reports whether the socket recovered the state of a previous one (Node's
// socket.recovered): with [Options.ConnectionStateRecovery] on, a client that lost its
// connection came back in time, and got its socket id, rooms and Data back, and the events
// it missed.
func (s *Socket) Recovered() bool { return s.recovered }

// Data returns the value last given to SetData (Node's socket.data), nil at first.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData attaches v to the socket; FetchSockets reports it. With an adapter spanning
// several servers, v must marshal to JSON.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// OnDisconnecting registers fn to run when the socket disconnects, while it is still in
// its rooms. reason is one of the Reason constants.
func (s *Socket) OnDisconnecting(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnecting = append(s.onDisconnecting, fn)
	s.mu.Unlock()
}

// OnDisconnect registers fn to run once the socket has disconnected and left its rooms.
// reason is one of the Reason constants. Events that arrived before the disconnect have
// been handled by then.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// Emit sends an event to the client (Node's socket.emit). args are marshalled as JSON,
// except that []byte values, at any depth, travel as binary attachments. It never blocks;
// it fails for reserved event names, arguments that do not marshal, and a disconnected
// socket. With connection state recovery on, the event goes through the adapter, which
// gives it an offset and keeps it for the socket, should its client come back.
func (s *Socket) Emit(event string, args ...any) error {
	p, err := newEventPacket(s.ns.name, event, args)
	if err != nil {
		return err
	}
	if s.pid != "" && s.state.Load() == stateConnected {
		return s.ns.adapter.Broadcast(p, adapter.BroadcastOptions{Rooms: []string{s.id}, Flags: adapter.BroadcastFlags{Local: true}})
	}
	return s.send(p, false)
}

// EmitVolatile is Emit for an event that may be lost: it is dropped if the client cannot
// take it right now (Node's socket.volatile.emit).
func (s *Socket) EmitVolatile(event string, args ...any) error {
	p, err := newEventPacket(s.ns.name, event, args)
	if err != nil {
		return err
	}
	return s.send(p, true)
}

// EmitWithAck sends an event asking the client for an acknowledgement and waits for it
// (Node's socket.timeout(ms).emitWithAck): it returns the arguments the client's callback
// was given. It returns an error wrapping ctx's error when ctx is done first, and one
// wrapping [ErrDisconnected] when the socket disconnects first. It blocks: do not call it
// from a handler of the same client unless that client's events may wait.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	p, err := newEventPacket(s.ns.name, event, args)
	if err != nil {
		return Args{}, err
	}
	p.ID = s.ns.nextAckID()
	answer := make(chan Args, 1)
	if !s.addAck(p.ID, func(a Args) { answer <- a }) {
		return Args{}, s.disconnectedError()
	}
	if err := s.send(p, false); err != nil {
		s.removeAck(p.ID)
		return Args{}, err
	}
	select {
	case a := <-answer:
		return a, nil
	case <-ctx.Done():
		s.removeAck(p.ID)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			s.ns.srv.obs.ackTimeout(s.ns)
		}
		return Args{}, fmt.Errorf("hub: no acknowledgement of %q: %w", event, ctx.Err())
	case <-s.ctx.get().Done():
		select {
		case a := <-answer:
			return a, nil
		default:
		}
		return Args{}, s.disconnectedError()
	}
}

// Join adds the socket to rooms (Node's socket.join). It does nothing once the socket has
// disconnected.
func (s *Socket) Join(rooms ...string) {
	// A Join racing the disconnect lands before the socket leaves its rooms, or not at all.
	// (Not s.mu: the adapter is called with the lock held.)
	s.roomMu.Lock()
	defer s.roomMu.Unlock()
	if st := s.state.Load(); st == statePending || st == stateConnected {
		s.ns.adapter.AddAll(s.id, rooms...)
	}
}

// leaveAll removes the socket from every room, once it is no longer pending or connected
// (so that no Join adds it back).
func (s *Socket) leaveAll() {
	s.roomMu.Lock() // wait for a Join in progress
	s.roomMu.Unlock()
	s.ns.adapter.DelAll(s.id)
}

// Leave removes the socket from rooms (Node's socket.leave, one room at a time there).
func (s *Socket) Leave(rooms ...string) {
	for _, room := range rooms {
		s.ns.adapter.Del(s.id, room)
	}
}

// Rooms returns the rooms the socket is in, its own id room included.
func (s *Socket) Rooms() []string { return s.ns.adapter.SocketRooms(s.id) }

// To selects the sockets in any of rooms, except this one (Node's socket.to).
func (s *Socket) To(rooms ...string) BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is To.
func (s *Socket) In(rooms ...string) BroadcastOperator { return s.Broadcast().To(rooms...) }

// Except selects every socket of the namespace in none of rooms, except this one.
func (s *Socket) Except(rooms ...string) BroadcastOperator {
	return s.Broadcast().Except(rooms...)
}

// Broadcast selects every socket of the namespace except this one (Node's
// socket.broadcast).
func (s *Socket) Broadcast() BroadcastOperator {
	return BroadcastOperator{ns: s.ns, except: []string{s.id}}
}

// CloseConn closes the client's connection (Node's socket.conn.close()), without a
// DISCONNECT packet: what is already queued is flushed, then the transport closes. The client
// sees "transport close" and reconnects by itself, unlike after [Socket.Disconnect]; every
// socket of the client, in every namespace, disconnects with [ReasonForcedClose].
func (s *Socket) CloseConn() { s.conn.forceClose() }

// Disconnect disconnects the socket (Node's socket.disconnect): the client is told, and the
// disconnect handlers run with "server namespace disconnect". With close set, every socket
// of the client is disconnected that way and its connection is closed. It does nothing if
// the socket is not connected.
func (s *Socket) Disconnect(close bool) {
	if s.state.Load() != stateConnected {
		return
	}
	if close {
		s.conn.disconnectAll()
		return
	}
	s.close(ReasonServerNamespaceDisconnect, true)
}

func (s *Socket) disconnectedError() error {
	cause := s.ctx.err()
	switch {
	case cause == nil:
		return ErrDisconnected
	case errors.Is(cause, ErrDisconnected):
		return cause
	default: // the server closed
		return fmt.Errorf("%w: %w", ErrDisconnected, cause)
	}
}

// send encodes p and queues it for the client.
func (s *Socket) send(p *socketio.Packet, volatile bool) error {
	pkts, err := s.ns.srv.encodePacket(p)
	if err != nil {
		return err
	}
	if err := s.write(pkts, volatile); err != nil {
		return err
	}
	if (p.Type == socketio.PacketEvent || p.Type == socketio.PacketBinaryEvent) && s.outgoing.Load() != nil {
		s.notifyOutgoing(outgoingOf(p))
	}
	return nil
}

// write queues encoded packets for the client; they may be shared with other sockets.
func (s *Socket) write(pkts []engine.Packet, volatile bool) error {
	if st := s.state.Load(); st != statePending && st != stateConnected {
		return s.disconnectedError()
	}
	if volatile {
		s.conn.sendVolatile(pkts)
		return nil
	}
	if err := s.conn.send(pkts); err != nil {
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return nil
}

// addAck registers fn for the acknowledgement id; false if the socket is gone.
func (s *Socket) addAck(id int64, fn func(Args)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.state.Load(); st != statePending && st != stateConnected {
		return false // close has dropped the pending acknowledgements
	}
	if s.acks == nil {
		s.acks = make(map[int64]func(Args))
	}
	s.acks[id] = fn
	return true
}

func (s *Socket) removeAck(id int64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

// onAck delivers an acknowledgement from the client; it runs on the read path.
func (s *Socket) onAck(id int64, args Args) {
	s.mu.Lock()
	fn := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if fn != nil {
		fn(args)
	}
}

// ackFunc returns the Ack answering the client's acknowledgement id.
func (s *Socket) ackFunc(id int64) Ack {
	return sio.Once(func(args ...any) error {
		p, err := newAckPacket(s.ns.name, id, args)
		if err != nil {
			return err
		}
		return s.send(p, false)
	})
}

// safely calls fn, reporting the error it returns, or its panic as a *PanicError, to
// OnError.
func (s *Socket) safely(event string, fn func() error) {
	if err := sio.Call(event, fn); err != nil {
		s.reportError(event, err)
	}
}

// reportError hands err to Options.OnError, or logs it when OnError is not set (a panic
// with its stack).
func (s *Socket) reportError(event string, err error) {
	if onError := s.ns.srv.opts.OnError; onError != nil {
		onError(s, event, err)
		return
	}
	var pe *PanicError
	if ok := errors.As(err, &pe); ok {
		s.ns.srv.opts.Logger.Error("hub: panic in handler",
			"namespace", s.ns.name, "socket", s.id, "event", event,
			"panic", pe.Value, "stack", string(pe.Stack))
		return
	}
	s.ns.srv.opts.Logger.Warn("hub: event handler error",
		"namespace", s.ns.name, "socket", s.id, "event", event, "err", err)
}

// connect runs the connection middleware of a new socket, then connects it; it runs on the
// handler goroutine. With connection state recovery on, it first restores the state of the
// previous socket the client names, if it can.
func (s *Socket) connect() {
	c := s.conn
	var (
		refusal error
		st      *adapter.SessionState
	)
	csr := s.ns.srv.opts.ConnectionStateRecovery
	if csr != nil {
		st = s.restore()
	}
	open := c.begin(s)
	if open && (st == nil || csr.RunMiddlewares) {
		for _, mw := range s.ns.middlewareChain() {
			if refusal = s.runMiddleware(mw); refusal != nil {
				break
			}
		}
	}
	live := open && refusal == nil
	if live {
		goLive := func(more []*socketio.Packet) {
			if live = c.attach(s); !live {
				return
			}
			s.ns.add(s)
			s.ns.adapter.AddAll(s.id, s.id)
			s.ns.srv.obs.socketConnected(s.ns)
			if st != nil { // the missed events first, as Node sends them
				for _, p := range st.Missed {
					c.sendPacket(p)
				}
				for _, p := range more {
					c.sendPacket(p)
				}
			}
			c.sendPacket(&socketio.Packet{Type: socketio.PacketConnect, Namespace: s.ns.name, ID: socketio.NoAckID, Data: s.connectReply()})
		}
		if r, ok := s.ns.adapter.(adapter.Resumer); ok && st != nil {
			r.Resume(st, s.Rooms(), goLive)
		} else {
			goLive(nil)
		}
	}
	if !live {
		s.state.Store(stateClosed)
		s.ctx.end(fmt.Errorf("%w: refused", ErrDisconnected))
		s.leaveAll()
		s.ns.remove(s) // a recovered socket had claimed its id
		c.connectDone(s.ns.name)
		if open && refusal != nil {
			c.sendPacket(&socketio.Packet{Type: socketio.PacketConnectError, Namespace: s.ns.name, ID: socketio.NoAckID, Data: connectErrorPayload(refusal)})
		}
		return
	}
	for _, fn := range s.ns.connectionHandlers() {
		s.safely("connection", func() error { fn(s); return nil })
	}
}

// connectReply is the CONNECT packet's payload: {"sid":…}, and the pid with connection state
// recovery on.
func (s *Socket) connectReply() json.RawMessage {
	if s.pid == "" {
		return json.RawMessage(`{"sid":"` + s.id + `"}`)
	}
	return json.RawMessage(`{"sid":"` + s.id + `","pid":"` + s.pid + `"}`)
}

// restore gives the socket the state of the previous socket whose pid and offset the
// client's CONNECT names (Node's Namespace._createSocket), if the adapter still has it and
// no socket holds its id now; else a fresh pid. It returns the state restored, or nil.
func (s *Socket) restore() *adapter.SessionState {
	if pid, off, ok := recoveryAuth(s.handshake.Auth); ok {
		st, err := s.ns.adapter.RestoreSession(s.conn.sess.Context(), pid, off)
		if err != nil {
			s.ns.srv.opts.Logger.Warn("hub: restoring a session for connection state recovery", "namespace", s.ns.name, "err", err)
		}
		if st != nil && st.SID != "" && st.PID == pid && s.ns.claim(st.SID, s) {
			s.id, s.pid, s.data, s.recovered = st.SID, st.PID, st.Data, true
			s.Join(st.Rooms...)
			return st
		}
	}
	s.pid = newSocketID()
	return nil
}

// recoveryAuth returns the pid and offset of a CONNECT payload, if both are strings (the
// client merges them into its auth when it reconnects).
func recoveryAuth(auth json.RawMessage) (pid, offset string, ok bool) {
	var v struct {
		PID    json.RawMessage `json:"pid"`
		Offset json.RawMessage `json:"offset"`
	}
	if json.Unmarshal(auth, &v) != nil || len(v.PID) == 0 || v.PID[0] != '"' || len(v.Offset) == 0 || v.Offset[0] != '"' {
		return "", "", false
	}
	if json.Unmarshal(v.PID, &pid) != nil || json.Unmarshal(v.Offset, &offset) != nil {
		return "", "", false
	}
	return pid, offset, true
}

// runMiddleware calls mw, turning a panic into a refusal.
func (s *Socket) runMiddleware(mw func(*Socket) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.ns.srv.opts.Logger.Error("hub: panic in connection middleware",
				"namespace", s.ns.name, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("hub: internal error")
		}
	}()
	return mw(s)
}

// close disconnects a connected socket for reason: it stops sending, fails pending
// acknowledgements, tells the client when notify is set, and queues the disconnect
// handlers. It reports whether the socket was connected.
func (s *Socket) close(reason DisconnectReason, notify bool) bool {
	if !s.state.CompareAndSwap(stateConnected, stateClosing) {
		return false
	}
	s.mu.Lock()
	s.acks = nil
	s.mu.Unlock()
	s.ctx.end(fmt.Errorf("%w (%s)", ErrDisconnected, reason))
	s.conn.detach(s)
	s.ns.srv.obs.socketDisconnected(s.ns, reason)
	if notify {
		s.conn.sendPacket(&socketio.Packet{Type: socketio.PacketDisconnect, Namespace: s.ns.name, ID: socketio.NoAckID})
	}
	s.conn.push(0, func() { s.finishClose(reason) }, true)
	return true
}

// finishClose runs the disconnect handlers and removes the socket; it runs on the handler
// goroutine, after the events that arrived before the disconnect.
func (s *Socket) finishClose(reason DisconnectReason) {
	s.mu.Lock()
	fns := s.onDisconnecting
	s.mu.Unlock()
	for _, fn := range fns {
		s.safely("disconnecting", func() error { fn(reason); return nil })
	}
	var st *adapter.SessionState
	if s.pid != "" && recoverable(reason) {
		st = &adapter.SessionState{SID: s.id, PID: s.pid, Rooms: s.Rooms(), Data: s.Data()}
	}
	s.leaveAll()
	s.ns.remove(s)
	if st != nil { // once gone: a socket recovering it never meets this one in the namespace
		s.ns.adapter.PersistSession(st)
	}
	s.state.Store(stateClosed)
	s.mu.Lock()
	fns = s.onDisconnect
	s.mu.Unlock()
	for _, fn := range fns {
		s.safely("disconnect", func() error { fn(reason); return nil })
	}
}

// info describes the socket for FetchSockets.
func (s *Socket) info() adapter.SocketInfo {
	return adapter.SocketInfo{ID: s.id, Handshake: *s.Handshake(), Rooms: s.Rooms(), Data: s.Data()}
}
