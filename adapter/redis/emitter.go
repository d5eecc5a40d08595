package redis

import (
	"context"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// emitterUID is the sender id of an emitter's messages, as in Node's emitter.
const emitterUID = "emitter"

// Emitter publishes events and room operations to a cluster of servers using the Redis
// adapter (hub's or Node's) from a process that serves no clients, such as a worker or a
// cron job: @socket.io/redis-emitter's API, byte for byte its messages. It needs no
// subscription and receives nothing, so nothing it does waits for an answer, and
// acknowledgements are not supported.
//
// An Emitter is an immutable value: To, In, Except, Volatile and Of return a new one, and
// one Emitter may be used from many goroutines. Its zero value is not usable; see
// [NewEmitter].
type Emitter struct {
	rdb      goredis.UniversalClient
	opts     Options
	nsp      string
	rooms    []string
	except   []string
	volatile bool
}

// NewEmitter returns an emitter publishing through rdb to the main namespace "/" of the
// cluster (with opts.Key and opts.Sharded as the servers use). rdb is not closed by it.
func NewEmitter(rdb goredis.UniversalClient, opts *Options) *Emitter {
	return &Emitter{rdb: rdb, opts: opts.withDefaults(), nsp: "/"}
}

// Of returns an emitter for the namespace called name, a leading slash added if missing.
// Rooms, exceptions and flags are not carried over, as in Node.
func (e *Emitter) Of(name string) *Emitter {
	if len(name) == 0 || name[0] != '/' {
		name = "/" + name
	}
	return &Emitter{rdb: e.rdb, opts: e.opts, nsp: name}
}

// To returns an emitter selecting, in addition, the sockets in any of rooms.
func (e *Emitter) To(rooms ...string) *Emitter {
	c := *e
	c.rooms = addUnique(slices.Clone(e.rooms), rooms)
	return &c
}

// In is To.
func (e *Emitter) In(rooms ...string) *Emitter { return e.To(rooms...) }

// Except returns an emitter leaving out, in addition, the sockets in any of rooms.
func (e *Emitter) Except(rooms ...string) *Emitter {
	c := *e
	c.except = addUnique(slices.Clone(e.except), rooms)
	return &c
}

// Volatile returns an emitter whose events may be dropped for clients not ready for them.
func (e *Emitter) Volatile() *Emitter {
	c := *e
	c.volatile = true
	return &c
}

func addUnique(dst, more []string) []string {
	for _, r := range more {
		if !slices.Contains(dst, r) {
			dst = append(dst, r)
		}
	}
	return dst
}

func (e *Emitter) options() adapter.BroadcastOptions {
	return adapter.BroadcastOptions{Rooms: e.rooms, Except: e.except, Flags: adapter.BroadcastFlags{Volatile: e.volatile}}
}

// optsValue is the emitter's {rooms, flags, except}: Node's emitter orders them so.
func (e *Emitter) optsValue() *object {
	flags := &object{}
	if e.volatile {
		flags.set("volatile", true)
	}
	return obj("rooms", stringsValue(e.rooms), "flags", flags, "except", stringsValue(e.except))
}

// Emit sends an event with args ([]byte anywhere in them is sent as binary) to the selected
// sockets of every server. It blocks until Redis took the message or ctx is done. The
// reserved event names are refused with an error wrapping [socketio.ErrReservedEvent].
func (e *Emitter) Emit(ctx context.Context, event string, args ...any) error {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return fmt.Errorf("%w: %q", socketio.ErrReservedEvent, event)
	}
	data, err := eventValue(event, args)
	if err != nil {
		return err
	}
	if e.opts.Sharded {
		return e.publishSharded(ctx, &message{typ: typeBroadcast, packet: obj("type", int64(socketio.PacketEvent), "data", data), opts: e.options()})
	}
	msg, err := appendMsgpack(nil, []any{emitterUID, obj("type", int64(socketio.PacketEvent), "data", data, "nsp", e.nsp), e.optsValue()})
	if err != nil {
		return fmt.Errorf("redis: emit %q: %w", event, err)
	}
	channel := e.opts.Key + "#" + e.nsp + "#"
	if len(e.rooms) == 1 {
		channel += e.rooms[0] + "#"
	}
	return e.publish(ctx, channel, msg)
}

// eventValue returns [event, args...] as a JavaScript value.
func eventValue(event string, args []any) (any, error) {
	raw, atts, err := socketio.AppendArgs(nil, append([]any{event}, args...))
	if err != nil {
		return nil, fmt.Errorf("redis: emit %q: %w", event, err)
	}
	return dataValue(raw, atts)
}

// SocketsJoin makes the selected sockets of every server join rooms.
func (e *Emitter) SocketsJoin(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &message{typ: typeJoin, opts: e.options(), rooms: rooms},
		obj("type", int64(reqRemoteJoin), "opts", e.requestOpts(), "rooms", stringsValue(rooms)))
}

// SocketsLeave makes the selected sockets of every server leave rooms.
func (e *Emitter) SocketsLeave(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &message{typ: typeLeave, opts: e.options(), rooms: rooms},
		obj("type", int64(reqRemoteLeave), "opts", e.requestOpts(), "rooms", stringsValue(rooms)))
}

// DisconnectSockets disconnects the selected sockets of every server, closing their
// clients' connections when close is set.
func (e *Emitter) DisconnectSockets(ctx context.Context, close bool) error {
	return e.request(ctx, &message{typ: typeDisconnect, opts: e.options(), close: close},
		obj("type", int64(reqRemoteDisconnect), "opts", e.requestOpts(), "close", close))
}

// ServerSideEmit sends an event to the namespace's OnServerSideEmit handlers on every
// server (acknowledgements are not supported, as in Node's emitter).
func (e *Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	data, err := eventValue(event, args)
	if err != nil {
		return err
	}
	return e.request(ctx, &message{typ: typeSSE, packet: data},
		obj("uid", emitterUID, "type", int64(reqServerSideEmit), "data", data))
}

func (e *Emitter) requestOpts() *object {
	return obj("rooms", stringsValue(e.rooms), "except", stringsValue(e.except))
}

// request publishes a request: classic, v on the request channel; sharded, m.
func (e *Emitter) request(ctx context.Context, m *message, v *object) error {
	if e.opts.Sharded {
		return e.publishSharded(ctx, m)
	}
	payload, err := encodeAuto(v)
	if err != nil {
		return fmt.Errorf("redis: emitter: %w", err)
	}
	return e.publish(ctx, e.opts.Key+"-request#"+e.nsp+"#", payload)
}

func (e *Emitter) publishSharded(ctx context.Context, m *message) error {
	m.uid = emitterUID
	c := newShardedCodec(e.opts.Key, e.nsp, emitterUID, e.opts.SubscriptionMode)
	channel, payload, err := c.encode(m)
	if err != nil {
		return fmt.Errorf("redis: emitter: %w", err)
	}
	if err := e.rdb.SPublish(ctx, channel, payload).Err(); err != nil {
		return fmt.Errorf("redis: emitter: publish: %w", err)
	}
	return nil
}

func (e *Emitter) publish(ctx context.Context, channel string, payload []byte) error {
	if err := e.rdb.Publish(ctx, channel, payload).Err(); err != nil {
		return fmt.Errorf("redis: emitter: publish: %w", err)
	}
	return nil
}
