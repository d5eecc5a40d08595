package engine

import (
	"context"
	"errors"
	"runtime"

	"github.com/hubkit/hub/internal/engine/packet"
	"github.com/hubkit/hub/transport"
)

// binding is a session as seen by one transport request: it implements transport.Session.
type binding struct {
	s         *Session
	name      string // the transport serving the request
	upgrading bool   // the request takes the session over from another transport
	counted   bool   // the request counts as active (set when an upgrade completes)
	stream    bool   // the request pulls many times (Stream was called)
	holds     bool   // the stream holds the session's downward direction (s.held)
}

var _ transport.Session = (*binding)(nil)

var errUpgrade = errors.New("engine.io: upgrade not possible now")

func (b *binding) ID() string               { return b.s.id }
func (b *binding) MaxPayload() int64        { return b.s.srv.opts.MaxPayload }
func (b *binding) Context() context.Context { return b.s.ctx }
func (b *binding) Upgrading() bool          { return b.upgrading }
func (b *binding) Fail(err error)           { b.s.fail(err) }
func (b *binding) Stream()                  { b.stream = true }

// release lets another request pull once a stream has ended.
func (b *binding) release() {
	if !b.holds {
		return
	}
	b.s.mu.Lock()
	if b.s.held == b.name {
		b.s.held = ""
	}
	b.s.mu.Unlock()
}

func (b *binding) Pull(ctx context.Context, reuse []packet.Packet) ([]packet.Packet, error) {
	s := b.s
	s.mu.Lock()
	if s.pulling[b.name] || (s.held == b.name && !b.holds) {
		s.mu.Unlock()
		s.close(ReasonTransportError, transport.ErrOverlap, &Packet{Type: Close}, false)
		return nil, transport.ErrOverlap
	}
	s.pulling[b.name] = true
	if b.stream && !b.holds { // between its Pulls too, the stream is the one pulling
		s.held, b.holds = b.name, true
	}
	defer func() {
		s.mu.Lock()
		delete(s.pulling, b.name)
		s.mu.Unlock()
	}()
	for {
		if b.name != s.transport || (s.probed && !b.upgrading) {
			// The session is moving (or has moved) to another transport: release this one.
			s.mu.Unlock()
			return []packet.Packet{{Type: Noop}}, nil
		}
		if len(s.queue) > 0 {
			closing := s.state != stateOpen
			if closing && s.final && len(s.queue) > 1 {
				// What was queued before the close goes out on its own, the final packet
				// after it, as in Node: a client reading "41" then "1" in one poll would see
				// the transport close before the namespace disconnect.
				last := len(s.queue) - 1
				pkts := s.queue[:last:last]
				s.queue = s.queue[last:]
				s.queued = size(s.queue)
				s.mu.Unlock()
				return pkts, nil
			}
			pkts := s.queue
			clear(reuse) // drop the references to packets already written
			s.queue, s.queued = reuse[:0], 0
			drained := closing && s.drain
			s.drain = false
			s.mu.Unlock()
			if drained { // the final packet is out: the session is gone for later requests
				s.srv.remove(s)
			}
			if closing {
				return pkts, transport.ErrClosed
			}
			return pkts, nil
		}
		if s.state != stateOpen {
			s.mu.Unlock()
			return nil, transport.ErrClosed
		}
		probe := s.probeCh
		s.mu.Unlock()
		select {
		case <-s.notify:
			// Let whoever woke us queue more first — a broadcast is waking every session's
			// writer in turn: the writers then take batches, not one packet each, and each
			// batch is one write(2). Measured in BENCHMARKS.md: server CPU per delivered
			// broadcast message −15–30%, delivered msg/s ×2.
			runtime.Gosched()
		case <-probe:
		case <-s.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
}

func (b *binding) Receive(pkts ...packet.Packet) error {
	s := b.s
	for _, p := range pkts {
		s.mu.Lock()
		open := s.state == stateOpen
		s.mu.Unlock()
		if !open {
			return transport.ErrClosed
		}
		switch p.Type {
		case Message:
			s.deliver(p)
		case Pong:
			s.pong()
		case Close:
			// The client is leaving: a parked poll is released with a noop.
			s.close(ReasonTransportClose, nil, &Packet{Type: Noop}, false)
			return transport.ErrClosed
		case Ping:
			// v4 heartbeats go server → client; a client ping is a protocol violation.
			s.fail(errors.New("engine.io: invalid heartbeat direction"))
			return transport.ErrClosed
		}
		// open, upgrade and noop from the client mean nothing here; Node ignores them too.
	}
	return nil
}

func (b *binding) BeginReceive() (func(), error) {
	s := b.s
	s.mu.Lock()
	if s.posting {
		s.mu.Unlock()
		s.close(ReasonTransportError, transport.ErrOverlap, &Packet{Type: Close}, false)
		return nil, transport.ErrOverlap
	}
	s.posting = true
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.posting = false
		s.mu.Unlock()
	}, nil
}

func (b *binding) Probe() error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !b.upgrading || !s.movable() || s.probed {
		return errUpgrade
	}
	s.probed = true
	close(s.probeCh) // a parked poll on the old transport is answered with a noop
	return nil
}

func (b *binding) Upgrade() error {
	s := b.s
	s.mu.Lock()
	if !b.upgrading || !s.probed || !s.movable() {
		s.mu.Unlock()
		return errUpgrade
	}
	s.transport = b.name
	s.upgrading, s.probed = false, false
	s.probeCh = make(chan struct{})
	s.active++
	b.counted, b.upgrading = true, false
	s.mu.Unlock()
	s.wake() // what was buffered during the upgrade goes out on the new transport
	return nil
}

func (b *binding) AbortUpgrade() {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !b.upgrading || !s.upgrading {
		return
	}
	b.upgrading = false
	s.upgrading = false
	if s.probed {
		s.probed = false
		s.probeCh = make(chan struct{})
	}
}

// movable reports whether the session may change transport: while open, and while an
// explicit close still has packets to flush (Node lets an upgrade complete while a socket is
// closing, and flushes on the new transport). s.mu must be held.
func (s *Session) movable() bool {
	return s.state == stateOpen || (s.state == stateClosing && s.drain)
}
