package client

import (
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"time"
)

// Options configure a [Manager] (and the socket [Dial] makes). A nil *Options, and the zero
// value of each field, mean the default given with the field, which is socket.io-client's.
type Options struct {
	// Path is the server's Socket.IO path. Default "/socket.io/".
	Path string

	// Transports lists the transports the client may use: [TransportPolling],
	// [TransportWebSocket] and [TransportSSE] (hub servers only). The first one opens the
	// session; the session then upgrades to WebSocket when the list has it and the server
	// offers it. Default: polling, then websocket.
	Transports []string

	// DisableUpgrade keeps a session on the transport that opened it.
	DisableUpgrade bool

	// Query is added to the query of every request, after the URL's own query.
	Query url.Values

	// Header is added to every HTTP request: polls, posts, SSE streams and WebSocket
	// handshakes (socket.io-client's extraHeaders).
	Header http.Header

	// HTTPClient makes the requests (its Jar, if any, keeps cookies such as a load
	// balancer's). Its Timeout must be zero or longer than the server's ping interval, since
	// a poll waits that long. Default: a client of the Manager's own, whose idle
	// connections are closed by [Manager.Close]; a client given here is not closed.
	HTTPClient *http.Client

	// Auth is the CONNECT payload of the Manager's sockets unless [SocketOptions] says
	// otherwise; see [SocketOptions.Auth].
	Auth any

	// DisableReconnection stops the Manager from reconnecting after the connection is lost.
	DisableReconnection bool

	// ReconnectionAttempts is how many reconnection attempts are made before giving up.
	// Default 0: no limit.
	ReconnectionAttempts int

	// ReconnectionDelay is the delay before the first reconnection attempt; it doubles with
	// each failed attempt. Default 1s.
	ReconnectionDelay time.Duration

	// ReconnectionDelayMax caps the delay between attempts. Default 5s.
	ReconnectionDelayMax time.Duration

	// RandomizationFactor is the jitter of each delay, in [0, 1]: a delay d becomes a random
	// value in [d×(1−f), d×(1+f)]. Default 0.5; a negative value means no jitter.
	RandomizationFactor float64

	// Timeout bounds the opening of each connection (the Engine.IO handshake). Default 20s.
	Timeout time.Duration

	// SendQueue bounds the packets waiting to be written on the connection, and, per socket,
	// the emits buffered while it is not connected. An emit past the bound fails with
	// [ErrQueueFull]. Default 1024.
	SendQueue int

	// MaxMessageSize is the largest Engine.IO message, in bytes, the client accepts from the
	// server: a WebSocket message, an SSE event, one packet of a polling response (binary
	// data counts decoded: it travels base64 over polling and SSE). A larger one fails the
	// connection with an error wrapping [ErrMessageTooBig] (a "transport error", after
	// which the Manager reconnects as after any loss), and is never read whole. Default
	// 1 MiB + 64 KiB: the server's default maxPayload (1e6) with headroom. Negative: no
	// limit.
	MaxMessageSize int64

	// Parser is the wire format of packets (socket.io-client's parser option); it must be
	// the server's. The zero Parser is the default JSON one; [MsgpackParser] is
	// socket.io-msgpack-parser's.
	Parser Parser

	// Logger receives the client's diagnostics, and handler errors of sockets without an
	// [Socket.OnError] hook. Default slog.Default().
	Logger *slog.Logger

	// afterProbe, for tests, runs on the upgrade goroutine once a WebSocket probe has
	// succeeded (the session is upgrading), before the old transport is paused.
	afterProbe func()
}

// defaultMaxMessageSize is Options.MaxMessageSize's default.
const defaultMaxMessageSize = 1<<20 + 64<<10

// SocketOptions configure one namespace's [Socket]. A nil *SocketOptions means defaults.
type SocketOptions struct {
	// Auth is sent in the CONNECT packet, where the server reads it as handshake.auth. It is
	// a value marshalled as a JSON object (a struct or a map), or a func() any called
	// before each connection attempt for the value. Default: the Manager's [Options.Auth],
	// and none if that is nil.
	Auth any
}

// withDefaults returns a copy of o with the defaults filled in.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if len(c.Transports) == 0 {
		c.Transports = []string{TransportPolling, TransportWebSocket}
	}
	if c.ReconnectionDelay <= 0 {
		c.ReconnectionDelay = time.Second
	}
	if c.ReconnectionDelayMax <= 0 {
		c.ReconnectionDelayMax = 5 * time.Second
	}
	switch {
	case c.RandomizationFactor == 0:
		c.RandomizationFactor = 0.5
	case c.RandomizationFactor < 0:
		c.RandomizationFactor = 0
	case c.RandomizationFactor > 1:
		c.RandomizationFactor = 1
	}
	if c.Timeout <= 0 {
		c.Timeout = 20 * time.Second
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 1024
	}
	switch {
	case c.MaxMessageSize == 0:
		c.MaxMessageSize = defaultMaxMessageSize
	case c.MaxMessageSize < 0:
		c.MaxMessageSize = math.MaxInt64 / 2
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
