package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/transport"
)

// binding is a session as seen by one transport request: it implements transport.Session.
type binding struct {
	s         *Session
	name      string       // the transport serving the request
	upgrading bool         // the request takes the session over from another transport
	counted   bool         // the request counts as active (set when an upgrade completes)
	stream    bool         // the request pulls many times (Stream was called)
	holds     bool         // the stream holds the session's downward direction (s.held)
	ready     func()       // set by Notify: called when packets are ready
	spare     []eio.Packet // the array TryPull hands the session next (guarded by s.mu)
	detached  bool         // Detach was called: end runs when the transport says so
	end       func()       // what ends the request (set by Server.serve)
	w         http.ResponseWriter
	receiving bool // the request is an upload between BeginReceive and its end (guarded by s.mu)
}

var _ transport.Session = (*binding)(nil)

var errUpgrade = errors.New("engine.io: upgrade not possible now")

func (b *binding) ID() string               { return b.s.id }
func (b *binding) MaxPayload() int64        { return b.s.srv.opts.MaxPayload }
func (b *binding) Context() context.Context { return b.s.Context() }
func (b *binding) Upgrading() bool          { return b.upgrading }
func (b *binding) Fail(err error)           { b.s.fail(err) }
func (b *binding) FailSettled(err error)    { b.s.failSettled(err) }
func (b *binding) Stream()                  { b.stream = true }

// WriteTimeout is what a heartbeat allows: a client that takes longer to read a write would
// have missed a ping.
func (b *binding) WriteTimeout() time.Duration {
	return b.s.srv.opts.PingInterval + b.s.srv.opts.PingTimeout
}

func (b *binding) Logger() *slog.Logger {
	if l := b.s.srv.opts.Logger; l != nil {
		return l
	}
	return slog.Default()
}

// release lets another request pull once a stream, or a request told of packets, has ended.
func (b *binding) release() {
	if !b.holds && b.ready == nil {
		return
	}
	s := b.s
	s.mu.Lock()
	if b.holds && s.held == b.name {
		s.held = ""
	}
	if s.watcher == b {
		s.watcher, s.idle = nil, false
	}
	s.mu.Unlock()
}

func (b *binding) Pull(ctx context.Context, reuse []eio.Packet) ([]eio.Packet, error) {
	s := b.s
	s.mu.Lock()
	if s.pulling.has(b.name) || (s.held == b.name && !b.holds) {
		s.mu.Unlock()
		s.close(ReasonTransportError, transport.ErrOverlap, &Packet{Type: Close}, false)
		return nil, transport.ErrOverlap
	}
	s.pulling.add(b.name)
	if b.stream && !b.holds { // between its Pulls too, the stream is the one pulling
		s.held, b.holds = b.name, true
	}
	defer func() {
		s.mu.Lock()
		s.pulling.del(b.name)
		s.mu.Unlock()
	}()
	for {
		if pkts, drained, ok, err := b.take(reuse); ok {
			s.mu.Unlock()
			if drained { // the final packet is out: the session is gone for later requests
				s.srv.remove(s)
			}
			return pkts, err
		}
		if s.notify == nil {
			s.notify = make(chan struct{}, 1)
		}
		if s.probeCh == nil && !s.probed {
			s.probeCh = make(chan struct{}) // closed when a probe is answered
		}
		notify, probe, done := s.notify, s.probeCh, s.doneChan()
		s.mu.Unlock()
		select {
		case <-notify:
			// Let whoever woke us queue more first — a broadcast is waking every session's
			// writer in turn: the writers then take batches, not one packet each, and each
			// batch is one write(2). Measured in BENCHMARKS.md: server CPU per delivered
			// broadcast message −15–30%, delivered msg/s ×2.
			runtime.Gosched()
		case <-probe:
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
}

// take takes what is ready for this transport; ok is false when nothing is and the session
// is open. drained reports that the final packet of an explicit close is among them: the
// caller removes the session from the server's table (after unlocking). s.mu must be held.
func (b *binding) take(reuse []eio.Packet) (pkts []eio.Packet, drained, ok bool, err error) {
	s := b.s
	if b.moving() {
		// The session is moving (or has moved) to another transport: release this one.
		return []eio.Packet{{Type: Noop}}, false, true, nil
	}
	if s.answering() && !b.upgrading && s.state == stateOpen {
		// The probe's answer is being written: this poll gets its noop once it is out,
		// not before (see Probe); what is queued meanwhile waits for the new transport.
		return nil, false, false, nil
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
			return pkts, false, true, nil
		}
		pkts := s.queue
		clear(reuse) // drop the references to packets already written
		s.queue, s.queued = reuse[:0], 0
		drained := closing && s.drain
		s.drain = false
		if closing {
			return pkts, drained, true, transport.ErrClosed
		}
		return pkts, false, true, nil
	}
	if s.state != stateOpen {
		return nil, false, true, transport.ErrClosed
	}
	return nil, false, false, nil
}

// moving reports whether the session is moving (or has moved) to another transport than
// this request's: the probe has been answered. s.mu must be held.
func (b *binding) moving() bool {
	s := b.s
	return b.name != s.transport || (s.probed && s.probeCh == nil && !b.upgrading)
}

// answering reports whether an upgrade's probe succeeded and its answer is being written
// (Probe's answer runs): s.probeCh is then the channel closed once it is written, or once
// the upgrade is abandoned. s.mu must be held.
func (s *Session) answering() bool { return s.probed && s.probeCh != nil }

// Notify makes this request the one told when packets are ready: see transport.Session.
func (b *binding) Notify(ready func()) {
	s := b.s
	s.mu.Lock()
	b.ready = ready
	s.watcher, s.idle = b, true
	f := s.takeReady()
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// TryPull is Pull without the wait, for a request that called Notify: when nothing is
// ready it returns no packets and no error, and the session calls ready for the next ones.
func (b *binding) TryPull(reuse []eio.Packet) ([]eio.Packet, error) {
	s := b.s
	s.mu.Lock()
	if reuse == nil { // a new writer: the array the last one handed back
		reuse, b.spare = b.spare, nil
	}
	pkts, drained, ok, err := b.take(reuse)
	if !ok {
		if cap(reuse) <= maxKeptPackets {
			clear(reuse)
			b.spare = reuse[:0] // for the next writer's packets
		}
		s.idle = true
		s.mu.Unlock()
		return nil, nil
	}
	s.mu.Unlock()
	if drained {
		s.srv.remove(s)
	}
	return pkts, err
}

// maxKeptPackets bounds the packet array an idle session keeps for its next packets.
const maxKeptPackets = 64

// takeReady returns the ready func of the request that called Notify when it waits and
// something is ready for it — packets, the close, a move to another transport — and marks it
// busy: it is not told again until a TryPull finds nothing. s.mu must be held; call the func
// after unlocking.
func (s *Session) takeReady() func() {
	b := s.watcher
	if b == nil || !s.idle {
		return nil
	}
	if len(s.queue) == 0 && s.state == stateOpen && !b.moving() {
		return nil
	}
	s.idle = false
	return b.ready
}

// Detach lets Serve return before the request is done: see transport.Session.
func (b *binding) Detach() (done func()) {
	b.detached = true
	return b.end
}

func (b *binding) Receive(pkts ...eio.Packet) error {
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
			// The client is leaving: its poll is answered with a noop — one parked now, or
			// one sent at the same moment as this close and decided after it (protocol.md §4
			// item 21): on polling and SSE the session stays in the server's table until a
			// poll takes the noop, or pollTimeout passes, and only later polls get "Session
			// ID unknown".
			s.mu.Lock()
			onPolling := !s.srv.transports[s.transport].Upgradable()
			s.mu.Unlock()
			s.close(ReasonTransportClose, nil, &Packet{Type: Noop}, onPolling)
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
		// As Node: the session closes, and the upload in progress is cut (its body read
		// fails at once, and the transport drops it).
		for _, o := range s.serving {
			if o.receiving {
				http.NewResponseController(o.w).SetReadDeadline(time.Unix(1, 0))
			}
		}
		s.mu.Unlock()
		s.close(ReasonTransportError, transport.ErrOverlap, &Packet{Type: Close}, false)
		return nil, transport.ErrOverlap
	}
	s.posting, b.receiving = true, true
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.posting, b.receiving = false, false
		s.mu.Unlock()
	}, nil
}

// Probe records that the client probed this transport successfully, has answer write the
// probe's answer (3probe), then releases the old transport's parked poll with a noop: see
// transport.Session.Probe for why in that order.
func (b *binding) Probe(answer func() error) error {
	s := b.s
	s.mu.Lock()
	if !b.upgrading || !s.movable() || s.probed {
		s.mu.Unlock()
		return errUpgrade
	}
	s.probed = true // a poll from now on may come after the client's 5: it settles first
	if s.probeCh == nil {
		s.probeCh = make(chan struct{}) // answering: polls wait for the answer to be out
	}
	s.mu.Unlock()
	err := answer()
	if err != nil {
		return err // the transport abandons the upgrade, which releases the polls
	}
	s.mu.Lock()
	s.answered()
	f, wake := s.takeReady(), s.pullWake()
	s.mu.Unlock()
	s.signal(f, wake)
	return nil
}

// answered closes probeCh: the probe's answer is out, or the upgrade abandoned, and a poll
// waiting for it goes on (with a noop, when the session moves). s.mu must be held.
func (s *Session) answered() {
	if s.probeCh != nil {
		close(s.probeCh)
		s.probeCh = nil
	}
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
	s.active++
	b.counted, b.upgrading = true, false
	s.settled()
	s.mu.Unlock()
	s.wake() // what was buffered during the upgrade goes out on the new transport
	s.upgraded(b.name)
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
		s.answered() // a poll waiting for the probe's answer takes what is queued
	}
	s.settled()
}

// movable reports whether the session may change transport: while open, and while an
// explicit close still has packets to flush (Node lets an upgrade complete while a socket is
// closing, and flushes on the new transport). s.mu must be held.
func (s *Session) movable() bool {
	return s.state == stateOpen || (s.state == stateClosing && s.drain)
}
