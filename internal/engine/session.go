package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/transport"
)

type state int

const (
	stateOpen    state = iota
	stateClosing       // closed for the user; the transport may still flush the final packets
	stateClosed        // finished: context cancelled, goroutines released
)

// flushTimeout bounds how long a closing session waits for its transport to write the final
// packets before it is torn down regardless; pollTimeout, how long it waits for a poll to
// come and take them when no request is open (a live client polls again at once; Node waits
// 30 s, but does not make its close wait for that).
const (
	flushTimeout = 5 * time.Second
	pollTimeout  = 1 * time.Second
)

// Session is one Engine.IO session. Its methods are safe for concurrent use.
type Session struct {
	id     string
	srv    *Server
	req    request         // the handshake request, packed
	values context.Context // the handshake request's context without its cancellation: the Value of the session's Context
	done   chan struct{}   // closed when the session is finished (its Context's Done); made on first use, guarded by mu
	afters []*afterFunc    // what its Context's AfterFunc registered; guarded by mu
	conn   Conn

	recvMu   sync.Mutex // serialises calls into conn
	notified bool       // conn.Closed was called; guarded by recvMu

	notify chan struct{} // cap 1: wakes the waiting Pull; made by the first Pull, guarded by mu

	mu         sync.Mutex // guards the fields below
	transport  string
	state      state
	reason     Reason
	cause      error
	queue      []Packet
	queued     int      // bytes in queue
	final      bool     // the last packet queued is the close's final packet
	drain      bool     // closing, and what was queued (the final packet included) still waits for the transport
	pulling    names    // transports with a Pull in progress
	watcher    *binding // the request told when packets are ready (binding.Notify)
	idle       bool     // ...and it waits for them: no writer of its runs
	held       string   // the transport whose stream request is open (see binding.Stream)
	posting    bool
	active     int           // transport requests being served
	upgrading  bool          // a request is taking the session to another transport
	probed     bool          // ...and the client's probe succeeded: answer old polls with noop (once 3probe is out)
	probeCh    chan struct{} // closed once 3probe is written or the upgrade abandoned; made by a Pull that waits or by Probe, guarded by mu
	settleCh   chan struct{} // closed when an upgrade completes or is abandoned; made by a request that waits for it
	serving    []*binding    // requests in Transport.Serve, for abortRequests
	pingTimer  *time.Timer
	pongTimer  *time.Timer
	flushTimer *time.Timer
}

// ID returns the session id (a secret: never show it to other clients).
func (s *Session) ID() string { return s.id }

// Request returns a copy of the handshake request (method, URL with query, headers, Host,
// RemoteAddr, TLS), made on each call from what the session keeps; its context is the
// session's (with the handshake request's values) and its body is empty.
func (s *Session) Request() *http.Request { return s.req.build(s.Context()) }

// Transport returns the name of the transport the session currently uses.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// Context is cancelled when the session has finished closing. Its values are those of the
// handshake request's context (what the application's middleware put there), kept for the
// session's life without the request's cancellation or deadline.
func (s *Session) Context() context.Context { return (*sessionContext)(s) }

// Send queues packets to be written in order and adjacent (a binary event's header and its
// attachments). It never blocks. It returns ErrClosed once the session is closing, and
// ErrSlowConsumer, closing the session, when the queue would pass Options.MaxQueuedBytes.
func (s *Session) Send(pkts ...Packet) error {
	n := size(pkts)
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.queued+n > s.srv.opts.MaxQueuedBytes {
		s.mu.Unlock()
		s.close(ReasonTransportError, ErrSlowConsumer, nil, false)
		return ErrSlowConsumer
	}
	s.queue = append(s.queue, pkts...)
	s.queued += n
	f, wake := s.takeReady(), s.pullWake()
	s.mu.Unlock()
	s.signal(f, wake)
	return nil
}

// SendVolatile queues packets only if the transport is waiting to write right now, with
// nothing queued before them; it reports whether they were queued.
func (s *Session) SendVolatile(pkts ...Packet) bool {
	s.mu.Lock()
	waiting := s.pulling.has(s.transport) || (s.idle && s.watcher.name == s.transport)
	if s.state != stateOpen || len(s.queue) > 0 || !waiting || s.probed {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, pkts...)
	s.queued += size(pkts)
	f, wake := s.takeReady(), s.pullWake()
	s.mu.Unlock()
	s.signal(f, wake)
	return true
}

// Close closes the session from the server side: a close packet is queued behind what is
// already there and the transport flushes it (bounded by a few seconds), then the session
// ends. Conn.Closed is called with reason. Closing a closed session does nothing.
func (s *Session) Close(reason Reason) {
	s.close(reason, nil, &Packet{Type: Close}, true)
}

func size(pkts []Packet) int {
	n := 0
	for _, p := range pkts {
		n += 1 + len(p.Data)
	}
	return n
}

// wake tells the transport that something changed: a waiting Pull, or the watcher.
func (s *Session) wake() {
	s.mu.Lock()
	f, wake := s.takeReady(), s.pullWake()
	s.mu.Unlock()
	s.signal(f, wake)
}

// pullWake returns the channel that wakes a waiting Pull, nil when none can wait: the
// session's packets go to a watcher, or no Pull has ever waited. s.mu must be held.
func (s *Session) pullWake() chan struct{} {
	if s.watcher != nil {
		return nil
	}
	return s.notify
}

// signal calls ready, the watcher's func from takeReady, if any, and wakes a waiting Pull
// through wake, pullWake's channel.
func (s *Session) signal(ready func(), wake chan struct{}) {
	if ready != nil {
		ready()
	}
	if wake == nil {
		return
	}
	select {
	case wake <- struct{}{}:
	default:
	}
}

// close starts closing: final is queued for the transport, and the session finishes once no
// request is being served. With drain (an explicit close), what is queued — final included —
// is still handed to the transport, to the next poll if none is waiting, as Node does; only
// then, or after flushTimeout (pollTimeout when no request is open), does the session leave the server's table. Otherwise (a ping
// timeout, a broken transport) it leaves at once, and later requests get "Session ID
// unknown", as in Node.
func (s *Session) close(reason Reason, cause error, final *Packet, drain bool) {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state = stateClosing
	s.srv.opened.Add(-1)
	s.reason, s.cause = reason, cause
	s.stopTimers()
	if final != nil && final.Type == Noop {
		// The client closed: what was queued for it is dropped, as Node does, and the noop
		// alone answers its poll.
		clear(s.queue)
		s.queue, s.queued = s.queue[:0], 0
	}
	s.drain = drain && (final != nil || len(s.queue) > 0)
	if final != nil {
		s.queue = append(s.queue, *final)
		s.final = true
	}
	idle := s.active == 0 && !s.drain
	switch {
	case s.active > 0:
		s.flushTimer = time.AfterFunc(flushTimeout, s.flushed)
	case s.drain:
		s.flushTimer = time.AfterFunc(pollTimeout, s.flushed)
	}
	drained := !s.drain
	s.mu.Unlock()
	if drained {
		s.srv.remove(s)
	}
	s.srv.track.add()
	go s.notifyClosed(reason, cause)
	s.wake()
	if idle {
		s.finish()
	}
}

// notifyClosed tells the Conn, after any Message in progress.
func (s *Session) notifyClosed(reason Reason, cause error) {
	defer s.srv.track.done()
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	defer s.recoverPanic("Conn.Closed")
	s.notified = true
	if s.conn != nil {
		s.conn.Closed(reason, cause)
	}
}

// recoverPanic, deferred by the engine where it calls the Handler or the Conn and at the top of
// the goroutines it runs for s, turns a panic into the end of s, its stack logged: one
// session's bug never ends the process.
func (s *Session) recoverPanic(where string) {
	if p := recover(); p != nil {
		s.panicked(where, p)
	}
}

// panicked logs a recovered panic and closes s with ReasonTransportError.
func (s *Session) panicked(where string, p any) {
	s.srv.opts.Logger.Error("engine.io: panic; session closed", "in", where, "panic", p, "stack", string(debug.Stack()))
	s.fail(fmt.Errorf("engine.io: panic in %s: %v", where, p))
}

// flushed is the flush timer's: the final packets had their time.
func (s *Session) flushed() {
	defer s.recoverPanic("flush timeout")
	s.finish()
}

// finish ends a closing session: context cancelled, waiting transports released.
func (s *Session) finish() {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	s.state = stateClosed
	s.stopTimers()
	if s.flushTimer != nil {
		s.flushTimer.Stop()
	}
	if s.done != nil {
		close(s.done)
	}
	afters := s.takeAfters()
	s.mu.Unlock()
	for _, f := range afters {
		f()
	}
	s.srv.remove(s)
	s.srv.mu.Lock()
	delete(s.srv.live, s)
	s.srv.mu.Unlock()
	s.srv.track.done() // the session's own count, taken at creation
}

func (s *Session) stopTimers() {
	if s.pingTimer != nil {
		s.pingTimer.Stop()
	}
	if s.pongTimer != nil {
		s.pongTimer.Stop()
	}
}

// fail closes the session because the transport broke or the client broke the rules.
func (s *Session) fail(err error) {
	s.close(failReason(err), err, nil, false)
	s.finish()
}

// failReason is the close reason of a session that fails with err.
func failReason(err error) Reason {
	switch {
	case err == nil || errors.Is(err, transport.ErrPeerClosed):
		return ReasonTransportClose
	case errors.Is(err, eio.ErrBadPacket):
		return ReasonParseError
	}
	return ReasonTransportError
}

// failSettled closes the session for err as fail does, but once the Conn has handled the
// messages delivered so far (Settler; at once for a Conn without it, which handles each
// within Message): what their handling queued is still handed to the transport, then the
// session ends — when the transport calls fail.
func (s *Session) failSettled(err error) {
	closeDrained := func() { s.close(failReason(err), err, nil, true) }
	s.recvMu.Lock()
	st, ok := s.conn.(Settler)
	if !ok || s.notified {
		s.recvMu.Unlock()
		closeDrained()
		return
	}
	func() {
		defer s.recoverPanic("Conn.Settle")
		st.Settle(closeDrained)
	}()
	s.recvMu.Unlock()
}

// ping is the heartbeat: queue a ping and expect a pong within PingTimeout. The timeout starts
// when the ping is queued, not when it is written.
func (s *Session) ping() {
	defer s.recoverPanic("ping")
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, Packet{Type: Ping})
	s.queued++
	s.pongTimer = time.AfterFunc(s.srv.opts.PingTimeout, func() {
		defer s.recoverPanic("ping timeout")
		s.close(ReasonPingTimeout, nil, &Packet{Type: Close}, false)
	})
	s.mu.Unlock()
	s.wake()
}

func (s *Session) pong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || s.pongTimer == nil {
		return // a pong nobody asked for
	}
	s.pongTimer.Stop()
	s.pongTimer = nil
	s.pingTimer.Reset(s.srv.opts.PingInterval)
}

// deliver hands a message to the Conn, one at a time, never after Closed.
func (s *Session) deliver(p Packet) {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	defer s.recoverPanic("Conn.Message")
	if !s.notified && s.conn != nil {
		s.conn.Message(p)
	}
}

// upgraded tells the Conn (an Upgrader) that the session moved to transport name, in order
// with its messages, never after Closed.
func (s *Session) upgraded(name string) {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	defer s.recoverPanic("Conn.Upgraded")
	if u, ok := s.conn.(Upgrader); ok && !s.notified {
		u.Upgraded(name)
	}
}

// settled closes settleCh: the upgrade in progress has completed or been abandoned. s.mu must
// be held.
func (s *Session) settled() {
	if s.settleCh != nil {
		close(s.settleCh)
		s.settleCh = nil
	}
}

// requestDone is called when a transport request of the session ends.
func (s *Session) requestDone() {
	s.mu.Lock()
	s.active--
	closing := s.state == stateClosing && s.active == 0 && !s.drain
	if s.state == stateClosing && s.active == 0 && s.drain && s.flushTimer != nil {
		// No request is open any more: a poll has pollTimeout to come for the rest.
		s.flushTimer.Reset(pollTimeout)
	}
	s.mu.Unlock()
	if closing {
		s.finish()
	}
}

// enter and leave bracket a request's Transport.Serve: while it runs, abortRequests may cut
// it short.
func (s *Session) enter(b *binding) {
	s.mu.Lock()
	s.serving = append(s.serving, b)
	s.mu.Unlock()
}

func (s *Session) leave(b *binding) {
	s.mu.Lock()
	for i, c := range s.serving {
		if c == b {
			last := len(s.serving) - 1
			s.serving[i], s.serving[last] = s.serving[last], nil
			s.serving = s.serving[:last]
			break
		}
	}
	// A WebSocket's binding lives on with its connection: it must not keep the request's
	// ResponseWriter, and with it net/http's buffers for the hijacked connection.
	b.w = nil
	s.mu.Unlock()
}

// abortRequests makes the body reads and writes of the requests being served fail at once
// (a read deadline, a write deadline in the past), so that a client that stopped sending or
// reading half way cannot hold Server.Close. A WebSocket's connection, once it is the
// transport's, is closed when the session finishes instead.
func (s *Session) abortRequests() {
	past := time.Unix(1, 0)
	s.mu.Lock()
	defer s.mu.Unlock() // held: leave waits, so no ResponseWriter is touched after its Serve
	for _, b := range s.serving {
		rc := http.NewResponseController(b.w)
		rc.SetReadDeadline(past)
		rc.SetWriteDeadline(past)
	}
}

// names is a set of transport names; a session has at most two transports at once (the one
// it is on and the one it upgrades to), so two slots and no map.
type names [2]string

func (n *names) has(name string) bool { return name != "" && (n[0] == name || n[1] == name) }

func (n *names) add(name string) {
	switch {
	case n.has(name):
	case n[0] == "":
		n[0] = name
	default:
		n[1] = name
	}
}

func (n *names) del(name string) {
	for i := range n {
		if n[i] == name {
			n[i] = ""
		}
	}
}
