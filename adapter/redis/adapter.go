// Package redis is a [adapter.Adapter] on Redis Pub/Sub, for running several hub servers as one:
// broadcasts, rooms and the server-wide operations (FetchSockets, SocketsJoin, SocketsLeave,
// DisconnectSockets, ServerSideEmit, ServerCount) reach the sockets of every server. It
// speaks the wire format of Node's @socket.io/redis-adapter 8.3, classic or sharded, so hub
// and Node socket.io servers can share one Redis and serve one application; and [Emitter]
// publishes to such a cluster from a process that serves no clients, as
// @socket.io/redis-emitter does.
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
//	srv := hub.New(&hub.Options{Adapter: redis.NewAdapter(rdb, nil)})
//
// Messages published while Redis is unreachable are lost, as with Node's adapter; the
// adapter reconnects and subscribes again by itself, and delivery to this server's own
// sockets never depends on Redis.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// ErrTimeout is what a request to the other servers returns, wrapped in a [*TimeoutError],
// when some of them did not answer in time.
var ErrTimeout = errors.New("redis: request timed out")

// ErrClosed is returned by operations on a closed adapter.
var ErrClosed = errors.New("redis: adapter closed")

// TimeoutError reports a request some servers did not answer in time. It matches
// [ErrTimeout] with errors.Is.
type TimeoutError struct {
	Op       string        // the request, such as "fetch sockets"
	Expected int           // the number of other servers asked
	Answered int           // the number that answered
	Timeout  time.Duration // how long the request waited
}

// Error says how many servers did not answer.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("redis: %s: %d of %d servers did not answer within %v", e.Op, e.Expected-e.Answered, e.Expected, e.Timeout)
}

// Is reports whether target is [ErrTimeout].
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// NewAdapter returns the [hub.Options].Adapter factory of a cluster on rdb (Node's
// createAdapter, or createShardedAdapter with opts.Sharded): each namespace gets an
// [*Adapter] with its own subscription. rdb is shared and not closed by the adapters.
func NewAdapter(rdb goredis.UniversalClient, opts *Options) func(ns adapter.Namespace) adapter.Adapter {
	o := opts.withDefaults()
	return func(ns adapter.Namespace) adapter.Adapter { return newAdapter(ns, rdb, o) }
}

// Adapter is the Redis adapter of one namespace. It embeds the namespace's
// [*adapter.Memory] for this server's sockets and publishes every operation to the other
// servers unless the operation is Local. Get it with ns.Adapter().(*redis.Adapter) for the
// methods hub's Adapter interface has no room for.
//
// Its methods are safe for concurrent use. Those without a context never wait for Redis:
// their messages are queued and published in order by the adapter's publisher goroutine.
// Those with a context block until their answers arrive, the context ends, or
// [Options].RequestTimeout passes. Messages from other servers are handled on the adapter's
// receiving goroutine, one at a time.
type Adapter struct {
	*adapter.Memory

	ns    adapter.Namespace
	rdb   goredis.UniversalClient
	opts  Options
	log   *slog.Logger
	uid   string
	codec codec
	shard *shardedCodec // nil for the classic protocol

	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	closed  atomic.Bool
	pubsub  *goredis.PubSub
	queue   chan outgoing
	dropped atomic.Int64
	subs    subQueue // sharded room subscriptions waiting to be made
	wg      sync.WaitGroup

	mu          sync.Mutex
	requests    map[string]*pending    // requests awaiting answers, by id; guarded by mu
	ackRequests map[string]*ackRequest // broadcasts awaiting acks, by id; guarded by mu

	roomMu  sync.Mutex
	members map[string]map[string]struct{} // room → local socket ids; guarded by roomMu
	byID    map[string]map[string]struct{} // local socket id → rooms; guarded by roomMu
}

var _ adapter.Adapter = (*Adapter)(nil)

// outgoing is a message waiting to be published; done, when not nil, gets the result.
type outgoing struct {
	channel string
	payload []byte
	done    chan error
}

// pending is a request waiting for the other servers' answers.
type pending struct {
	expected int
	answered int
	values   []any // what the answers carried: sockets, rooms, acknowledgements
	done     chan struct{}
}

// ackRequest is a broadcast with acknowledgements waiting for other servers' counts and acks.
type ackRequest struct {
	clientCount func(int)
	ack         func(socketio.Args)
	timer       *time.Timer
	stop        func() bool // the context.AfterFunc ending the request with the caller's ctx
}

func newAdapter(ns adapter.Namespace, rdb goredis.UniversalClient, o Options) *Adapter {
	a := &Adapter{
		Memory:      adapter.NewMemory(ns),
		ns:          ns,
		rdb:         rdb,
		opts:        o,
		uid:         newUID(o.Sharded),
		queue:       make(chan outgoing, o.PublishQueue),
		requests:    make(map[string]*pending),
		ackRequests: make(map[string]*ackRequest),
		members:     make(map[string]map[string]struct{}),
		byID:        make(map[string]map[string]struct{}),
	}
	a.log = o.Logger.With("namespace", ns.Name(), "uid", a.uid)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.subs.signal = make(chan struct{}, 1)

	ctx, cancel := context.WithTimeout(a.ctx, o.RequestTimeout)
	defer cancel()
	var err error
	if o.Sharded {
		a.shard = newShardedCodec(o.Key, ns.Name(), a.uid, o.SubscriptionMode)
		a.codec = a.shard
		a.pubsub = rdb.SSubscribe(ctx)
		err = a.pubsub.SSubscribe(ctx, a.shard.channel, a.shard.responseChannel)
	} else {
		c := newClassicCodec(o.Key, ns.Name(), a.uid, o.PublishOnSpecificResponseChannel)
		a.codec = c
		a.pubsub = rdb.PSubscribe(ctx, c.channel+"*")
		err = a.pubsub.Subscribe(ctx, c.requestChannel, c.responseChannel, c.specificChannel)
	}
	if err != nil {
		// The subscriptions are remembered: the receiving loop makes them once Redis answers.
		a.log.Warn("redis: subscribing failed; retrying in the background", "err", err)
	}
	a.wg.Add(2)
	go a.receive()
	go a.publisher()
	if o.Sharded {
		a.wg.Add(1)
		go a.subscriber()
	}
	return a
}

// UID returns the adapter's id in the cluster, which other servers see as the sender of its
// messages.
func (a *Adapter) UID() string { return a.uid }

// Close stops the adapter: it publishes what is queued (for at most a second), unsubscribes,
// fails the requests still waiting with [ErrClosed] and returns once its goroutines have
// exited. It does not close the Redis client. The server calls it on Shutdown or Close.
func (a *Adapter) Close() error {
	if !a.closed.CompareAndSwap(false, true) {
		return nil
	}
	a.cancel()
	err := a.pubsub.Close()
	a.wg.Wait()
	a.mu.Lock()
	for id, r := range a.ackRequests {
		r.timer.Stop()
		r.stop()
		delete(a.ackRequests, id)
	}
	a.mu.Unlock()
	if err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// --- rooms: mirrored to answer ALL_ROOMS and to subscribe to the sharded room channels ---

// AddAll adds socket id to rooms.
func (a *Adapter) AddAll(id string, rooms ...string) {
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	a.Memory.AddAll(id, rooms...)
	mine := a.byID[id]
	if mine == nil {
		mine = make(map[string]struct{}, len(rooms))
		a.byID[id] = mine
	}
	for _, room := range rooms {
		mine[room] = struct{}{}
		m := a.members[room]
		if m == nil {
			m = make(map[string]struct{})
			a.members[room] = m
			a.roomCreated(room)
		}
		m[id] = struct{}{}
	}
}

// Del removes socket id from room.
func (a *Adapter) Del(id, room string) {
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	a.Memory.Del(id, room)
	delete(a.byID[id], room)
	a.delLocked(id, room)
}

// DelAll removes socket id from every room.
func (a *Adapter) DelAll(id string) {
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	a.Memory.DelAll(id)
	for room := range a.byID[id] {
		a.delLocked(id, room)
	}
	delete(a.byID, id)
}

func (a *Adapter) delLocked(id, room string) {
	m := a.members[room]
	if m == nil {
		return
	}
	delete(m, id)
	if len(m) == 0 {
		delete(a.members, room)
		a.roomDeleted(room)
	}
}

// separateChannel reports whether room has a sharded channel of its own (Node's
// shouldUseASeparateNamespace); roomMu is held.
func (a *Adapter) separateChannel(room string) bool {
	if a.shard == nil {
		return false
	}
	switch a.opts.SubscriptionMode {
	case SubscriptionDynamic:
		_, private := a.byID[room]
		return !private
	case SubscriptionDynamicPrivate:
		return true
	}
	return false
}

func (a *Adapter) roomCreated(room string) {
	if a.separateChannel(room) {
		a.subs.add(subOp{subscribe: true, channel: a.shard.dynamicChannel(room)})
	}
}

func (a *Adapter) roomDeleted(room string) {
	if a.separateChannel(room) {
		a.subs.add(subOp{subscribe: false, channel: a.shard.dynamicChannel(room)})
	}
}

// localRooms returns the rooms of this server's sockets.
func (a *Adapter) localRooms() []string {
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	rooms := make([]string, 0, len(a.members))
	for room := range a.members {
		rooms = append(rooms, room)
	}
	return rooms
}

// --- operations ---

func (a *Adapter) newMessage(typ msgType) *message {
	return &message{typ: typ, uid: a.uid, nsp: a.ns.Name()}
}

// Sockets returns the ids of this server's sockets in any of rooms (all when empty): like
// Node's RedisAdapter, it does not ask the other servers; FetchSockets does.
func (a *Adapter) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	return a.Memory.Sockets(ctx, rooms)
}

// Broadcast delivers p to this server's sockets opts selects and, unless opts.Flags.Local,
// queues it for the other servers. It never blocks.
func (a *Adapter) Broadcast(p *socketio.Packet, opts adapter.BroadcastOptions) error {
	if !opts.Flags.Local {
		if err := a.publishBroadcast(p, opts, ""); err != nil {
			return err
		}
	}
	return a.Memory.Broadcast(p, opts)
}

func (a *Adapter) publishBroadcast(p *socketio.Packet, opts adapter.BroadcastOptions, requestID string) error {
	q := *p
	q.ID = socketio.NoAckID
	packet, err := packetValue(&q, a.shard == nil)
	if err != nil {
		return err
	}
	m := a.newMessage(typeBroadcast)
	m.packet, m.opts, m.requestID = packet, opts, requestID
	a.send(m)
	return nil
}

// BroadcastWithAck sends p to the sockets opts selects on every server, asking each for an
// acknowledgement. Other servers report their client count and each client's first
// argument; they are awaited for opts.Flags.Timeout ([Options].RequestTimeout when zero)
// or until ctx is done, after which late answers are dropped. It never blocks.
func (a *Adapter) BroadcastWithAck(ctx context.Context, p *socketio.Packet, opts adapter.BroadcastOptions, clientCount func(n int), ack func(socketio.Args)) error {
	if !opts.Flags.Local {
		id := newUID(a.shard != nil)
		wait := opts.Flags.Timeout
		if wait <= 0 {
			wait = a.opts.RequestTimeout
		}
		r := &ackRequest{clientCount: clientCount, ack: ack}
		a.mu.Lock()
		a.ackRequests[id] = r
		end := func() {
			a.mu.Lock()
			delete(a.ackRequests, id)
			a.mu.Unlock()
		}
		r.timer = time.AfterFunc(wait, end)
		r.stop = context.AfterFunc(ctx, end)
		a.mu.Unlock()
		if err := a.publishBroadcast(p, opts, id); err != nil {
			a.mu.Lock()
			r.timer.Stop()
			r.stop()
			delete(a.ackRequests, id)
			a.mu.Unlock()
			return err
		}
	}
	return a.Memory.BroadcastWithAck(ctx, p, opts, clientCount, ack)
}

// AddSockets makes the sockets opts selects join rooms, on every server unless Local. It
// never blocks.
func (a *Adapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) error {
	if !opts.Flags.Local {
		m := a.newMessage(typeJoin)
		m.opts, m.rooms = opts, rooms
		a.send(m)
	}
	return a.Memory.AddSockets(opts, rooms)
}

// DelSockets makes the sockets opts selects leave rooms, on every server unless Local. It
// never blocks.
func (a *Adapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) error {
	if !opts.Flags.Local {
		m := a.newMessage(typeLeave)
		m.opts, m.rooms = opts, rooms
		a.send(m)
	}
	return a.Memory.DelSockets(opts, rooms)
}

// DisconnectSockets disconnects the sockets opts selects, on every server unless Local. It
// never blocks.
func (a *Adapter) DisconnectSockets(opts adapter.BroadcastOptions, close bool) error {
	if !opts.Flags.Local {
		m := a.newMessage(typeDisconnect)
		m.opts, m.close = opts, close
		a.send(m)
	}
	return a.Memory.DisconnectSockets(opts, close)
}

// ServerCount returns the number of servers subscribed to the namespace, this one
// included (Redis's PUBSUB NUMSUB, or SHARDNUMSUB when sharded).
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	n, err := a.codec.serverCount(ctx, a.rdb)
	if err != nil {
		return 0, fmt.Errorf("redis: server count: %w", err)
	}
	return n, nil
}

// FetchSockets describes the sockets opts selects on every server unless Local. It blocks
// until every other server answered; if some do not in time, it returns a [*TimeoutError].
func (a *Adapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	local, err := a.Memory.FetchSockets(ctx, opts)
	if err != nil || opts.Flags.Local {
		return local, err
	}
	m := a.newMessage(typeFetch)
	m.opts = opts
	values, err := a.request(ctx, "fetch sockets", m)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		info, err := socketInfo(v)
		if err != nil {
			a.log.Warn("redis: fetch sockets: malformed socket in an answer", "err", err)
			continue
		}
		local = append(local, info)
	}
	return local, nil
}

// AllRooms returns the rooms of the namespace on every server (Node's allRooms), blocking
// until every other server answered. The classic protocol only: with Sharded it returns
// this server's rooms and an error.
func (a *Adapter) AllRooms(ctx context.Context) ([]string, error) {
	rooms := a.localRooms()
	if a.shard != nil {
		return rooms, errors.New("redis: all rooms: not supported by the sharded protocol")
	}
	values, err := a.request(ctx, "all rooms", a.newMessage(typeAllRooms))
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		if s, ok := v.(string); ok && !slices.Contains(rooms, s) {
			rooms = append(rooms, s)
		}
	}
	slices.Sort(rooms)
	return rooms, nil
}

// ServerSideEmit publishes p, an event [event, args...], to the namespace on the other
// servers, whose OnServerSideEmit handlers receive it. It blocks until Redis took it.
func (a *Adapter) ServerSideEmit(ctx context.Context, p *socketio.Packet) error {
	data, err := dataValue(p.Data, p.Attachments)
	if err != nil {
		return fmt.Errorf("redis: server-side emit: %w", err)
	}
	m := a.newMessage(typeSSE)
	m.packet = data
	return a.sendWait(ctx, m)
}

// ServerSideEmitWithAck publishes p, an event [event, args...], to the namespace on the
// other servers and waits for each server's acknowledgement (Node's serverSideEmitWithAck):
// one Args per answering server, holding the one value it acknowledged with. Servers answer
// through their [hub.Namespace.OnServerSideEmitWithAck] handlers (a Node server through its
// serverSideEmit listeners' callback). It blocks until every other server answered; if some
// do not in time (ctx or [Options].RequestTimeout), it returns the answers received and a
// [*TimeoutError] (or ctx's error). Alone, it returns no answers at once.
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error) {
	data, err := dataValue(p.Data, p.Attachments)
	if err != nil {
		return nil, fmt.Errorf("redis: server-side emit: %w", err)
	}
	m := a.newMessage(typeSSE)
	m.packet = data
	values, err := a.request(ctx, "server-side emit", m)
	out := make([]socketio.Args, 0, len(values))
	for _, v := range values {
		args, aerr := argsOf(v)
		if aerr != nil {
			continue
		}
		out = append(out, args)
	}
	return out, err
}

// request publishes m, a request with answers, and waits for the other servers'.
func (a *Adapter) request(ctx context.Context, op string, m *message) ([]any, error) {
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("redis: %s: %w", op, err)
	}
	expected := n - 1
	if expected <= 0 {
		return nil, nil
	}
	m.requestID = newUID(a.shard != nil)
	r := &pending{expected: expected, done: make(chan struct{})}
	a.mu.Lock()
	a.requests[m.requestID] = r
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.requests, m.requestID)
		a.mu.Unlock()
	}()
	timer := time.NewTimer(a.opts.RequestTimeout)
	defer timer.Stop()
	sctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	if err := a.sendWait(sctx, m); err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, &TimeoutError{Op: op, Expected: expected, Timeout: a.opts.RequestTimeout}
		}
		return nil, fmt.Errorf("redis: %s: %w", op, err)
	}
	result := func() ([]any, int) {
		a.mu.Lock()
		defer a.mu.Unlock()
		return slices.Clone(r.values), r.answered
	}
	select {
	case <-r.done:
		values, _ := result()
		return values, nil
	case <-timer.C:
		values, answered := result()
		return values, &TimeoutError{Op: op, Expected: expected, Answered: answered, Timeout: a.opts.RequestTimeout}
	case <-ctx.Done():
		values, answered := result()
		return values, fmt.Errorf("redis: %s: %d of %d servers had not answered: %w", op, expected-answered, expected, ctx.Err())
	case <-a.ctx.Done():
		return nil, ErrClosed
	}
}

// --- publishing ---

// send queues m for publishing; when the queue is full (Redis unreachable for long) the
// message is dropped and the drop logged.
func (a *Adapter) send(m *message) {
	if a.closed.Load() {
		return
	}
	channel, payload, err := a.codec.encode(m)
	if err != nil {
		a.log.Error("redis: cannot encode a message", "type", m.typ, "err", err)
		return
	}
	select {
	case a.queue <- outgoing{channel: channel, payload: payload}:
	default:
		if n := a.dropped.Add(1); n == 1 || n%1000 == 0 {
			a.log.Warn("redis: publish queue full, messages dropped", "dropped", n)
		}
		a.observe(func(o *adapter.Observer) {
			if o.Lost != nil {
				o.Lost("queue full", 1)
			}
		})
	}
}

// sendWait publishes m after the messages queued before it and waits for Redis's answer.
func (a *Adapter) sendWait(ctx context.Context, m *message) error {
	if a.closed.Load() {
		return ErrClosed
	}
	channel, payload, err := a.codec.encode(m)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	select {
	case a.queue <- outgoing{channel: channel, payload: payload, done: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-a.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-a.ctx.Done():
		return ErrClosed
	}
}

const publishBatch = 256

// publisher publishes the queued messages in order, pipelining what has accumulated.
func (a *Adapter) publisher() {
	defer a.wg.Done()
	batch := make([]outgoing, 0, publishBatch)
	for {
		select {
		case m := <-a.queue:
			batch = append(batch[:0], m)
		case <-a.ctx.Done():
			// Publish what is left, briefly.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			for ctx.Err() == nil {
				if batch = a.drain(batch[:0]); len(batch) == 0 {
					return
				}
				a.flush(ctx, batch)
			}
			return
		}
		a.flush(a.ctx, a.drain(batch))
	}
}

// drain appends to batch what is queued, without waiting, up to publishBatch messages.
func (a *Adapter) drain(batch []outgoing) []outgoing {
	for len(batch) < publishBatch {
		select {
		case m := <-a.queue:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

func (a *Adapter) flush(ctx context.Context, batch []outgoing) {
	pipe := a.rdb.Pipeline()
	cmds := make([]*goredis.IntCmd, len(batch))
	for i, m := range batch {
		if a.shard != nil {
			cmds[i] = pipe.SPublish(ctx, m.channel, m.payload)
		} else {
			cmds[i] = pipe.Publish(ctx, m.channel, m.payload)
		}
	}
	_, err := pipe.Exec(ctx)
	if err != nil && ctx.Err() == nil {
		a.log.Warn("redis: publish failed, messages lost", "messages", len(batch), "err", err)
		a.observe(func(o *adapter.Observer) {
			if o.Lost != nil {
				o.Lost("publish failed", len(batch))
			}
		})
	}
	for i, m := range batch {
		if m.done != nil {
			m.done <- cmds[i].Err()
		}
	}
}

// observe calls fn with the Observer of the options, if any, recovering a panic.
func (a *Adapter) observe(fn func(o *adapter.Observer)) {
	o := a.opts.Observer
	if o == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("redis: panic in an Observer func", "panic", p)
		}
	}()
	fn(o)
}

// --- receiving ---

const healthCheck = 15 * time.Second

// receive reads the subscription until Close, handing each message to handle. go-redis
// reconnects and subscribes again after an error; receive logs the loss and the recovery.
func (a *Adapter) receive() {
	defer a.wg.Done()
	down := false
	backoff := 50 * time.Millisecond
	for {
		msg, err := a.pubsub.ReceiveTimeout(a.ctx, healthCheck)
		if a.ctx.Err() != nil || errors.Is(err, goredis.ErrClosed) {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Quiet: check the connection is alive; a dead one fails the next read.
				a.pubsub.Ping(a.ctx)
				continue
			}
			if !down {
				a.log.Warn("redis: subscription lost; reconnecting", "err", err)
				down = true
				a.observe(func(o *adapter.Observer) {
					if o.Disconnected != nil {
						o.Disconnected()
					}
				})
			}
			select {
			case <-time.After(backoff):
			case <-a.ctx.Done():
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if down {
			a.log.Info("redis: subscription restored")
			down = false
			backoff = 50 * time.Millisecond
			a.observe(func(o *adapter.Observer) {
				if o.Reconnected != nil {
					o.Reconnected()
				}
			})
		}
		if m, ok := msg.(*goredis.Message); ok {
			a.handle(m.Channel, []byte(m.Payload))
		}
	}
}

// handle acts on a message from another server.
func (a *Adapter) handle(channel string, payload []byte) {
	m, err := a.codec.decode(channel, payload)
	if err != nil {
		a.log.Warn("redis: ignoring a malformed message", "channel", channel, "err", err)
		return
	}
	if m == nil || (m.uid != "" && m.uid == a.uid) {
		return
	}
	if m.nsp != "" && m.nsp != a.ns.Name() {
		return
	}
	switch m.typ {
	case typeBroadcast:
		a.onBroadcast(m)
	case typeJoin, typeLeave, typeDisconnect:
		a.onSocketsOp(m)
	case typeFetch:
		infos, _ := a.Memory.FetchSockets(a.ctx, m.opts)
		sockets := make([]any, 0, len(infos))
		for _, info := range infos {
			v, err := socketValue(info)
			if err != nil {
				a.log.Warn("redis: fetch sockets: cannot describe a socket", "socket", info.ID, "err", err)
				continue
			}
			sockets = append(sockets, v)
		}
		a.respond(m, typeFetchResp, func(r *message) { r.sockets = sockets })
	case typeSockets:
		ids, _ := a.Memory.Sockets(a.ctx, m.rooms)
		a.respond(m, typeResponse, func(r *message) { r.sockets = stringsValue(ids) })
	case typeAllRooms:
		rooms := a.localRooms()
		a.respond(m, typeResponse, func(r *message) { r.rooms = rooms })
	case typeSSE:
		a.onServerSideEmit(m)
	case typeResponse, typeFetchResp, typeSSEResp:
		a.onAnswer(m)
	case typeClientCount, typeAck:
		a.mu.Lock()
		r := a.ackRequests[m.requestID]
		a.mu.Unlock()
		if r == nil {
			return
		}
		if m.typ == typeClientCount {
			r.clientCount(int(m.count))
			return
		}
		args, err := argsOf(m.packet)
		if err != nil {
			a.log.Warn("redis: ignoring a malformed acknowledgement", "err", err)
			return
		}
		r.ack(args)
	}
}

func (a *Adapter) respond(req *message, typ msgType, fill func(r *message)) {
	r := a.newMessage(typ)
	r.requestID, r.to = req.requestID, req.uid
	fill(r)
	a.send(r)
}

func (a *Adapter) onBroadcast(m *message) {
	p, err := hubPacket(m.packet, a.ns.Name())
	if err != nil {
		a.log.Warn("redis: ignoring a malformed broadcast", "err", err)
		return
	}
	opts := m.opts
	opts.Flags.Local = true
	if m.requestID == "" {
		a.Memory.Broadcast(p, opts)
		return
	}
	a.mu.Lock()
	_, mine := a.ackRequests[m.requestID]
	a.mu.Unlock()
	if mine {
		return
	}
	a.Memory.BroadcastWithAck(a.ctx, p, opts, func(n int) {
		a.respond(m, typeClientCount, func(r *message) { r.count = int64(n) })
	}, func(args socketio.Args) {
		v, err := firstArgValue(args)
		if err != nil {
			a.log.Warn("redis: cannot forward an acknowledgement", "err", err)
			return
		}
		a.respond(m, typeAck, func(r *message) { r.packet = v })
	})
}

func (a *Adapter) onSocketsOp(m *message) {
	opts := m.opts
	opts.Flags.Local = true
	if m.sid != "" { // the classic per-socket form, answered
		if !a.ns.Connected(m.sid) {
			return
		}
		sid := []string{m.sid}
		switch m.typ {
		case typeJoin:
			a.ns.Join(sid, []string{m.room})
		case typeLeave:
			a.ns.Leave(sid, []string{m.room})
		case typeDisconnect:
			a.ns.Disconnect(sid, m.close)
		}
		a.respond(m, typeResponse, func(*message) {})
		return
	}
	switch m.typ {
	case typeJoin:
		a.Memory.AddSockets(opts, m.rooms)
	case typeLeave:
		a.Memory.DelSockets(opts, m.rooms)
	case typeDisconnect:
		a.Memory.DisconnectSockets(opts, m.close)
	}
}

func (a *Adapter) onServerSideEmit(m *message) {
	data, ok := m.packet.([]any)
	if !ok || len(data) == 0 {
		a.log.Warn("redis: ignoring a malformed server-side emit")
		return
	}
	p := &socketio.Packet{Type: socketio.PacketEvent, Namespace: a.ns.Name(), ID: socketio.NoAckID}
	p.Data = appendJSON(nil, data, &p.Attachments)
	var ack socketio.Ack
	if m.requestID != "" {
		ack = func(vals ...any) error {
			var v any = undefinedValue{}
			if len(vals) > 0 {
				var err error
				if v, err = anyValue(vals[0]); err != nil {
					return err
				}
			}
			a.respond(m, typeSSEResp, func(r *message) { r.packet = v })
			return nil
		}
	}
	if err := a.ns.ReceiveServerSideEmit(p, ack); err != nil {
		a.log.Warn("redis: ignoring a malformed server-side emit", "err", err)
	}
}

// onAnswer counts an answer to one of this server's requests.
func (a *Adapter) onAnswer(m *message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.requests[m.requestID]
	if r == nil || r.answered >= r.expected {
		return
	}
	r.answered++
	switch {
	case m.sockets != nil:
		r.values = append(r.values, m.sockets...)
	case m.rooms != nil:
		r.values = append(r.values, stringsValue(m.rooms)...)
	case m.typ == typeSSEResp || m.typ == typeResponse:
		r.values = append(r.values, m.packet)
	}
	if r.answered == r.expected {
		close(r.done)
	}
}

// --- sharded room subscriptions ---

type subOp struct {
	subscribe bool
	channel   string
}

// subQueue holds room subscriptions to make, in order, off the caller's goroutine.
type subQueue struct {
	mu     sync.Mutex
	ops    []subOp // guarded by mu
	signal chan struct{}
}

func (q *subQueue) add(op subOp) {
	q.mu.Lock()
	q.ops = append(q.ops, op)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *subQueue) take() []subOp {
	q.mu.Lock()
	defer q.mu.Unlock()
	ops := q.ops
	q.ops = nil
	return ops
}

// subscriber makes the queued sharded room subscriptions.
func (a *Adapter) subscriber() {
	defer a.wg.Done()
	for {
		select {
		case <-a.subs.signal:
		case <-a.ctx.Done():
			return
		}
		for _, op := range a.subs.take() {
			var err error
			if op.subscribe {
				err = a.pubsub.SSubscribe(a.ctx, op.channel)
			} else {
				err = a.pubsub.SUnsubscribe(a.ctx, op.channel)
			}
			if err != nil && a.ctx.Err() == nil {
				// go-redis remembers the channel and subscribes again on reconnect.
				a.log.Warn("redis: room subscription failed", "channel", op.channel, "err", err)
			}
		}
	}
}
