package hub

import (
	"slices"

	"github.com/hubkit/hub/socketio"
)

// Outgoing listeners: Node's socket.onAnyOutgoing and its kin. They see the events sent to
// a socket, by the socket's own emits and by the broadcasts that reach it.

// OnAnyOutgoing registers fn to receive every event sent to this socket's client (Node's
// socket.onAnyOutgoing): by [Socket.Emit], [Socket.EmitVolatile] and [Socket.EmitWithAck],
// and by every broadcast that reaches the socket, with or without acknowledgements, from
// this server or another. It sees the event's name and arguments as the client will
// receive them, binary values as []byte through [Args.Decode]. It does not see the answers
// to the client's acknowledgements, nor the protocol's own packets, nor an emit that failed
// (the socket had disconnected); a volatile event counts even when it was dropped, as in
// Node. It returns the func that removes this registration (Node's
// socket.offAnyOutgoing(fn)).
//
// Unlike Node, fn does not run in the emitter: it is queued on the socket's handler
// goroutine when the event has been queued for sending, and runs there, one at a time, in
// sending order, with the socket's other handlers — so a slow listener never holds up a
// broadcast or the other recipients, and cannot change or stop the event. The queue is the
// one the client's events share (see "Concurrency" in the package doc): a listener too slow
// for the rate of events sent to its socket gets the client disconnected. Listeners are
// read when a queued notification runs: one removed before then is not called. A panic in
// fn is recovered and logged. A socket without outgoing listeners pays one atomic load per
// event sent to it.
func (s *Socket) OnAnyOutgoing(fn func(event string, args Args)) (remove func()) {
	return s.addOutgoing(fn, false)
}

// PrependAnyOutgoing is OnAnyOutgoing, but fn runs before the listeners already
// registered (Node's socket.prependAnyOutgoing).
func (s *Socket) PrependAnyOutgoing(fn func(event string, args Args)) (remove func()) {
	return s.addOutgoing(fn, true)
}

func (s *Socket) addOutgoing(fn func(string, Args), first bool) func() {
	if fn == nil {
		panic("hub: nil listener")
	}
	l := anyListener{id: listenerIDs.Add(1), fn: fn}
	s.mu.Lock()
	s.setOutgoing(withListener(s.outgoingList(), l, first))
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.setOutgoing(without(s.outgoingList(), l.id, anyListener.key))
		s.mu.Unlock()
	}
}

// OffAnyOutgoing removes every outgoing listener (Node's socket.offAnyOutgoing()); the
// func OnAnyOutgoing returned removes one.
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	s.setOutgoing(nil)
	s.mu.Unlock()
}

// ListenersAnyOutgoing returns the outgoing listeners, in the order they run (Node's
// socket.listenersAnyOutgoing), in a new slice.
func (s *Socket) ListenersAnyOutgoing() []func(event string, args Args) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return listenerFuncs(s.outgoingList())
}

// outgoingList returns the outgoing listeners; s.mu is held.
func (s *Socket) outgoingList() []anyListener {
	if p := s.outgoing.Load(); p != nil {
		return *p
	}
	return nil
}

// setOutgoing replaces the outgoing listeners, storing nil for none so that senders pay
// one atomic load; s.mu is held.
func (s *Socket) setOutgoing(list []anyListener) {
	if len(list) == 0 {
		s.outgoing.Store(nil)
		return
	}
	list = slices.Clip(list)
	s.outgoing.Store(&list)
}

// outgoingEvent is a sent event as the outgoing listeners see it.
type outgoingEvent struct {
	name string
	args Args
	size int // what its notification counts in the handler queue
}

// outgoingOf returns the event p carries, for the outgoing listeners; nil if p is not one.
// p is not kept: Args are made over a copy of its data, which the caller may reuse.
func outgoingOf(p *socketio.Packet) *outgoingEvent {
	name, args, err := socketio.SplitEvent(slices.Clone(p.Data), p.Attachments)
	if err != nil {
		return nil
	}
	return &outgoingEvent{
		name: name,
		args: args,
		size: len(p.Data) + jobOverhead,
	}
}

// notifyOutgoing queues the outgoing listeners' view of e on the handler goroutine; e may
// be shared by the recipients of a broadcast. A handler queue already full disconnects the
// client, as when it sends too fast.
func (s *Socket) notifyOutgoing(e *outgoingEvent) {
	if e == nil {
		return
	}
	if !s.conn.push(e.size, func() { s.runOutgoing(e) }, false) {
		s.conn.overflow()
	}
}

func (s *Socket) runOutgoing(e *outgoingEvent) {
	p := s.outgoing.Load()
	if p == nil {
		return
	}
	for _, l := range *p {
		s.safely(e.name, func() error { l.fn(e.name, e.args); return nil })
	}
}

// outgoingNotice notifies the recipients of one broadcast that have outgoing listeners,
// decoding the packet once, for the first of them. It lives on the broadcaster's stack.
type outgoingNotice struct {
	p       *socketio.Packet
	e       *outgoingEvent
	decoded bool
}

// notify is called for each socket the broadcast was queued on; without listeners it costs
// an atomic load.
func (n *outgoingNotice) notify(s *Socket) {
	if s.outgoing.Load() != nil {
		n.slow(s)
	}
}

func (n *outgoingNotice) slow(s *Socket) {
	if !n.decoded {
		n.e, n.decoded = outgoingOf(n.p), true
	}
	s.notifyOutgoing(n.e)
}
