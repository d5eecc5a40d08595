package redis

import (
	"log/slog"
	"time"

	"github.com/hubkit/hub/adapter"
)

// Options configure an [Adapter] or an [Emitter]. A nil *Options means every default;
// the struct is copied, so changing it afterwards has no effect. Every server of a cluster
// must use the same Key and the same Sharded setting.
type Options struct {
	// Key prefixes every channel name (Node's key option, channelPrefix for the sharded
	// adapter). Default "socket.io".
	Key string
	// RequestTimeout is how long a request to the other servers (FetchSockets, ServerCount
	// is not one, ServerSideEmitWithAck, AllRooms) waits for their answers, unless the
	// context ends first (Node's requestsTimeout). Default 5s.
	RequestTimeout time.Duration
	// Sharded selects sharded Pub/Sub (Redis 7 SSUBSCRIBE and SPUBLISH) and the message
	// format of Node's createShardedAdapter, instead of the classic createAdapter's.
	Sharded bool
	// SubscriptionMode is the sharded adapter's: which rooms get a channel of their own.
	// Default [SubscriptionDynamic]. Ignored unless Sharded.
	SubscriptionMode SubscriptionMode
	// PublishOnSpecificResponseChannel makes the classic adapter answer a request on the
	// requesting server's own response channel (Node's publishOnSpecificResponseChannel).
	// Answers are read from both channels either way.
	PublishOnSpecificResponseChannel bool
	// PublishQueue bounds the messages waiting to be published: Broadcast and the other
	// non-blocking operations queue their message and return. Past the bound (Redis
	// unreachable for long), messages are dropped and the drop is logged. Default 8192.
	PublishQueue int
	// Logger receives the adapter's logs: lost and restored connections, dropped and
	// malformed messages. Default slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told of lost messages and of lost and restored connections,
	// for metrics (see [adapter.Observer]); a panic in it is recovered and logged.
	Observer *adapter.Observer
}

// SubscriptionMode says which rooms of the sharded adapter get a channel of their own, so
// that a broadcast to one room reaches only the servers that have it (Node's
// subscriptionMode).
type SubscriptionMode string

// The sharded adapter's subscription modes.
const (
	// SubscriptionDynamic gives each public room (one that is not a socket id) a channel;
	// broadcasts to one such room use it. The default.
	SubscriptionDynamic SubscriptionMode = "dynamic"
	// SubscriptionDynamicPrivate gives every room a channel, the sockets' own rooms too.
	SubscriptionDynamicPrivate SubscriptionMode = "dynamic-private"
	// SubscriptionStatic uses one channel per namespace for everything.
	SubscriptionStatic SubscriptionMode = "static"
)

const (
	defaultKey            = "socket.io"
	defaultRequestTimeout = 5 * time.Second
	defaultPublishQueue   = 8192
)

func (opts *Options) withDefaults() Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Key == "" {
		o.Key = defaultKey
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = defaultRequestTimeout
	}
	if o.SubscriptionMode == "" {
		o.SubscriptionMode = SubscriptionDynamic
	}
	if o.PublishQueue <= 0 {
		o.PublishQueue = defaultPublishQueue
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
