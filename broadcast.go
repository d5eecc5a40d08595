package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hubkit/hub/adapter"
)

// BroadcastOperator selects sockets of a namespace — those in any of its rooms (every
// socket when it names none) and in none of its excepted rooms — and acts on them through
// the namespace's adapter (Node's BroadcastOperator). Get one from a [Server],
// [Namespace] or [Socket] (To, In, Except, Broadcast…). It is an immutable value: each
// method returns a new operator, so a chain may be kept and reused from any goroutine.
type BroadcastOperator struct {
	ns     *Namespace
	rooms  []string
	except []string
	flags  adapter.BroadcastFlags
}

// To returns the operator also selecting the sockets in rooms.
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b.rooms = addRooms(b.rooms, rooms)
	return b
}

// In is To.
func (b BroadcastOperator) In(rooms ...string) BroadcastOperator { return b.To(rooms...) }

// Except returns the operator excluding the sockets in rooms.
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b.except = addRooms(b.except, rooms)
	return b
}

// addRooms returns a new slice of rooms followed by those of more not in it yet.
func addRooms(rooms, more []string) []string {
	out := slices.Clip(rooms)
	for _, r := range more {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Volatile returns the operator whose events are dropped for clients that cannot take
// them right now.
func (b BroadcastOperator) Volatile() BroadcastOperator {
	b.flags.Volatile = true
	return b
}

// Local returns the operator restricted to this server's sockets (it matters only with an
// adapter spanning several servers).
func (b BroadcastOperator) Local() BroadcastOperator {
	b.flags.Local = true
	return b
}

// Timeout returns the operator whose EmitWithAck waits at most d for the answers (Node's
// timeout(ms)).
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	b.flags.Timeout = d
	return b
}

func (b BroadcastOperator) options() adapter.BroadcastOptions {
	return adapter.BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// Emit sends an event to the selected sockets. The packet is encoded once and the same
// bytes are queued for every recipient; Emit never waits for a client. With an adapter
// spanning several servers, the sockets of every server are reached.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	if err := b.ns.open(); err != nil {
		return err
	}
	p, err := newEventPacket(b.ns.name, event, args)
	if err != nil {
		return err
	}
	return b.ns.adapter.Broadcast(p, b.options())
}

// EmitWithAck sends an event to the selected sockets, asking each for an acknowledgement,
// and waits for every answer (Node's timeout(ms).emit(event, cb)). It waits until ctx is
// done or the operator's Timeout has passed, whichever comes first; then it returns the
// answers received so far and an error wrapping context.DeadlineExceeded (or ctx's error).
// With neither a Timeout nor a deadline on ctx, it waits at most [Options.PingInterval] +
// [Options.PingTimeout] (45s by default): the time a live client has to answer a ping.
// (Node's timer then fires at once; hub gives the clients a chance.) Whatever the outcome,
// the sockets stop awaiting the answers when it returns. Each answer holds all the
// arguments the client gave its callback, except for clients on other servers (first
// argument only, as in Node).
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if err := b.ns.open(); err != nil {
		return nil, err
	}
	p, err := newEventPacket(b.ns.name, event, args)
	if err != nil {
		return nil, err
	}
	timeout := b.flags.Timeout
	if _, ok := ctx.Deadline(); !ok && timeout <= 0 {
		timeout = b.ns.srv.ackTimeout()
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	opts := b.options()
	if deadline, ok := ctx.Deadline(); ok {
		opts.Flags.Timeout = max(time.Until(deadline), time.Millisecond)
	}
	w := new(ackWait)
	defer w.end()
	col := &ackCollector{done: make(chan struct{}), servers: -1}
	if err := b.ns.adapter.BroadcastWithAck(context.WithValue(ctx, ackWaitKey{}, w), p, opts, col.clientCount, col.ack); err != nil {
		return nil, err
	}
	servers, err := b.ns.adapter.ServerCount(ctx)
	if err != nil {
		return col.result(), err
	}
	col.setServers(servers)
	select {
	case <-col.done:
		return col.result(), nil
	case <-ctx.Done():
		got := col.result()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			b.ns.srv.obs.ackTimeout(b.ns)
		}
		return got, fmt.Errorf("hub: %d acknowledgements of %q received when the wait ended: %w", len(got), event, ctx.Err())
	}
}

// ackTimeout is how long a broadcast awaits acknowledgements when nobody said.
func (srv *Server) ackTimeout() time.Duration { return srv.opts.PingInterval + srv.opts.PingTimeout }

// ackWait is the set of sockets a broadcast with acknowledgements is waiting on, so that
// their entries go when the wait ends, answered or not. EmitWithAck hands its own to the
// namespace's SendWithAck in the context, under ackWaitKey, through whatever adapter.
type ackWait struct {
	mu      sync.Mutex
	ended   bool       // guarded by mu
	entries []ackEntry // guarded by mu
}

// ackWaitKey is the context key of an EmitWithAck's ackWait.
type ackWaitKey struct{}

// ackEntry is one socket awaiting an answer (the ack id is per namespace: a dynamic
// parent's children each have their own).
type ackEntry struct {
	s  *Socket
	id int64
}

// track records that s awaits answer id; false once the wait has ended (then s must not).
func (w *ackWait) track(s *Socket, id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return false
	}
	w.entries = append(w.entries, ackEntry{s, id})
	return true
}

// end removes every entry still there and refuses new ones.
func (w *ackWait) end() {
	w.mu.Lock()
	w.ended = true
	entries := w.entries
	w.entries = nil
	w.mu.Unlock()
	for _, e := range entries {
		e.s.removeAck(e.id)
	}
}

// ackCollector gathers the answers to a broadcast with acknowledgements.
type ackCollector struct {
	mu        sync.Mutex
	responses []Args // guarded by mu
	expected  int    // clients reached so far
	reported  int    // servers that reported their client count
	servers   int    // servers expected to report; -1 until known
	done      chan struct{}
	finished  bool
}

func (c *ackCollector) clientCount(n int) {
	c.mu.Lock()
	c.expected += n
	c.reported++
	c.check()
	c.mu.Unlock()
}

func (c *ackCollector) ack(a Args) {
	c.mu.Lock()
	if !c.finished {
		c.responses = append(c.responses, a)
		c.check()
	}
	c.mu.Unlock()
}

func (c *ackCollector) setServers(n int) {
	c.mu.Lock()
	c.servers = n
	c.check()
	c.mu.Unlock()
}

// check closes done once every server reported and every client answered; mu is held.
func (c *ackCollector) check() {
	if !c.finished && c.servers == c.reported && len(c.responses) == c.expected {
		c.finished = true
		close(c.done)
	}
}

func (c *ackCollector) result() []Args {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finished = true
	return slices.Clone(c.responses)
}

// FetchSockets describes the selected sockets, on every server (Node's fetchSockets). It
// blocks while an adapter spanning several servers asks them, until ctx is done.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	if err := b.ns.open(); err != nil {
		return nil, err
	}
	infos, err := b.ns.adapter.FetchSockets(ctx, b.options())
	if err != nil {
		return nil, err
	}
	out := make([]*RemoteSocket, len(infos))
	for i, info := range infos {
		out[i] = &RemoteSocket{ID: info.ID, Handshake: info.Handshake, Rooms: info.Rooms, Data: info.Data, ns: b.ns}
	}
	return out, nil
}

// SocketsJoin makes the selected sockets join rooms (Node's socketsJoin).
func (b BroadcastOperator) SocketsJoin(rooms ...string) error {
	if err := b.ns.open(); err != nil {
		return err
	}
	return b.ns.adapter.AddSockets(b.options(), rooms)
}

// SocketsLeave makes the selected sockets leave rooms (Node's socketsLeave).
func (b BroadcastOperator) SocketsLeave(rooms ...string) error {
	if err := b.ns.open(); err != nil {
		return err
	}
	return b.ns.adapter.DelSockets(b.options(), rooms)
}

// DisconnectSockets disconnects the selected sockets (Node's disconnectSockets), closing
// their clients' connections when close is set.
func (b BroadcastOperator) DisconnectSockets(close bool) error {
	if err := b.ns.open(); err != nil {
		return err
	}
	return b.ns.adapter.DisconnectSockets(b.options(), close)
}

// RemoteSocket is a socket as FetchSockets returns it, on this server or another (Node's
// RemoteSocket): a snapshot of its id, handshake, rooms and data, and operations that go
// through the adapter. It is safe for concurrent use.
type RemoteSocket struct {
	ID        string    `json:"id"`
	Handshake Handshake `json:"handshake"`
	Rooms     []string  `json:"rooms"` // its own id included
	Data      any       `json:"data"`

	ns *Namespace
}

func (r *RemoteSocket) operator() BroadcastOperator {
	return BroadcastOperator{ns: r.ns, rooms: []string{r.ID}}
}

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.operator().Emit(event, args...)
}

// EmitWithAck sends an event to the socket and waits, until ctx is done, for its
// acknowledgement.
func (r *RemoteSocket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	answers, err := r.operator().EmitWithAck(ctx, event, args...)
	if len(answers) > 0 {
		return answers[0], nil
	}
	if err == nil {
		err = fmt.Errorf("%w: %s", ErrDisconnected, r.ID)
	}
	return Args{}, err
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) error { return r.operator().SocketsJoin(rooms...) }

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) error { return r.operator().SocketsLeave(rooms...) }

// Disconnect disconnects the socket, closing its client's connection when close is set.
// Unlike [Socket.Disconnect], which acts on a socket of this server and cannot fail, it
// returns an error: the socket may be on another server, reached through the adapter.
func (r *RemoteSocket) Disconnect(close bool) error {
	return r.operator().DisconnectSockets(close)
}
