// Package engine is the Engine.IO v4 server: it owns sessions, their send queues, the
// heartbeat and the upgrade between transports. It knows nothing of Socket.IO: the layer above
// talks to it through [Handler] and [Conn] (open, message, close) and [Session.Send].
package engine

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/transport"
)

// Packet is one Engine.IO packet; see [eio.Packet].
type Packet = eio.Packet

// Packet types, re-exported from [eio].
const (
	Open    = eio.Open
	Close   = eio.Close
	Ping    = eio.Ping
	Pong    = eio.Pong
	Message = eio.Message
	Upgrade = eio.Upgrade
	Noop    = eio.Noop
)

// Reason says why a session closed. The values are the Node server's words.
type Reason string

// The close reasons of Engine.IO sessions.
const (
	ReasonTransportClose Reason = "transport close"      // the client closed the connection or sent a close packet
	ReasonTransportError Reason = "transport error"      // the connection failed, or the client broke the transport rules
	ReasonPingTimeout    Reason = "ping timeout"         // no pong within PingTimeout
	ReasonParseError     Reason = "parse error"          // the client sent a packet that does not decode
	ReasonForcedClose    Reason = "forced close"         // the server closed the session (Session.Close)
	ReasonShutdown       Reason = "server shutting down" // Server.Shutdown or Server.Close
)

// Errors returned by [Session.Send].
var (
	ErrClosed       = errors.New("engine: session closed")
	ErrSlowConsumer = errors.New("engine: send queue full (the client does not read fast enough); session closed")
)

// Handler is what the engine serves: the Socket.IO layer, or an echo for conformance tests.
type Handler interface {
	// Open is called once for every new session, before any of its packets is delivered.
	// It returns the Conn that receives the session's messages and its close.
	Open(s *Session) Conn
}

// Conn receives one session's events. Its methods are never called concurrently for one
// session, and Message is called in arrival order. They run on the transport's read path: a
// slow Message holds up that client's reads (and only that client's).
type Conn interface {
	// Message delivers one message packet (text, or binary when p.Binary). p.Data may be kept.
	Message(p Packet)
	// Closed is called exactly once, after the session has closed; err may add detail.
	Closed(reason Reason, err error)
}

// Settler is implemented by a Conn that handles messages after Message returns (on a
// goroutine of its own, in order, as the Socket.IO layer runs its handlers). Settle calls
// done once every message delivered so far has been handled, and what handling them sent is
// queued (Session.Send). Settle must not block; done may be called from any goroutine, and
// may never be, if a handler blocks. A Conn without Settle has handled each message when
// Message returns.
//
// The engine settles when a WebSocket fails on a frame that came after good ones (a protocol
// error, invalid UTF-8, a message over MaxPayload): the replies to the good ones go out
// before the close frame, as the Node server's do. The connection waits for them a second at
// most. (A packet that does not decode closes the session at once, as Node's parse error
// does.)
type Settler interface {
	Settle(done func())
}

// Upgrader is implemented by a Conn told when its session has moved to another transport
// (Node's "upgrade" event of an Engine.IO socket). Upgraded is called like Message: never
// concurrently with the Conn's other methods, after the messages that came on the old
// transport, before those that come on the new one, never after Closed.
type Upgrader interface {
	Upgraded(transport string)
}

// ConnectionError describes a request the engine refused (Node's connection_error event).
type ConnectionError struct {
	Request *http.Request
	Code    int            // 0 Transport unknown … 5 Unsupported protocol version
	Message string         // the standard message of Code
	Context map[string]any // details, as Node gives them: "name", "sid", "transport", …
}

// Options configure a [Server]. The zero value of each field means the Node default.
type Options struct {
	PingInterval   time.Duration // default 25s
	PingTimeout    time.Duration // default 20s
	UpgradeTimeout time.Duration // default 10s
	MaxPayload     int64         // maxHttpBufferSize: largest packet/POST accepted; default 1e6 bytes
	// MaxQueuedBytes bounds what a session may have queued for sending; past it the session
	// closes with ErrSlowConsumer. Default 4 MiB.
	MaxQueuedBytes int
	// Transports the server accepts, in upgrade order (default: polling, sse, websocket).
	Transports []transport.Transport
	// AllowRequest, when set, is called for every handshake or upgrade request after the
	// protocol checks; an error rejects it with 403 and the error's text.
	AllowRequest func(r *http.Request) error
	// CORS, when set, answers preflights and adds CORS headers to every engine response.
	// WebSocket handshakes whose Origin names another host than the request's are refused
	// with 403 unless CORS allows that origin.
	CORS *CORS
	// Cookie, when set, is the template of a cookie set to the sid on the response of an
	// HTTP handshake — polling's or SSE's, not a WebSocket's 101 (Node's cookie option): its Value is replaced by the sid, an empty Name is
	// "io", an empty Path "/", a zero SameSite Lax, and HttpOnly is always set.
	Cookie *http.Cookie
	// DisableUpgrades advertises no upgrade in the handshake (Node's allowUpgrades: false)
	// and refuses upgrade requests with 400 Bad request.
	DisableUpgrades bool
	// OnConnectionError, when set, is told of every request refused with an Engine.IO error
	// (Node's connection_error event). It runs on the request's goroutine before the answer
	// is written; a panic in it is recovered and logged.
	OnConnectionError func(e *ConnectionError)
	// Headers, when set, may add headers to the responses of the requests the engine hands to
	// a transport (the WebSocket's 101 included); initial is true for the handshake's (Node's
	// initial_headers and headers events). On an HTTP handshake the session's cookie is in h
	// already. It runs on
	// the request's goroutine; a panic in it is recovered and logged, and the request refused
	// with 500.
	Headers func(h http.Header, r *http.Request, initial bool)
	// MaxHeaderBytes bounds the request line and headers of an engine request; a bigger one
	// is refused with 431, as Node's HTTP server does past its maxHeaderSize. A session keeps
	// its handshake request, so this is also what a session may keep of it. Default 16 KiB.
	MaxHeaderBytes int
	Logger         *slog.Logger // default slog.Default()
}

// CORS configures cross-origin access to the engine's HTTP endpoints.
type CORS struct {
	// Origins allowed: "*" for any, or exact origins such as "https://example.com".
	Origins []string
	// AllowOrigin, when set, decides instead of Origins.
	AllowOrigin func(origin string) bool
	Credentials bool     // send Access-Control-Allow-Credentials (the origin is then echoed, never "*")
	Headers     []string // allowed request headers; default: echo the preflight's request
	MaxAge      time.Duration
}
