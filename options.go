package hub

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/internal/clientjs"
	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/transport"
)

// Options configure a [Server]. A nil *Options means every default; New copies the struct,
// so changing it afterwards has no effect. The zero value of each field means the default
// given in its comment — the Node server's default where Node has one.
type Options struct {
	// Path is where the server is mounted (Node's path option). Default "/socket.io/". A
	// trailing slash is added when missing; requests match by prefix.
	Path string

	// PingInterval is how often the server pings each client. Default 25s.
	PingInterval time.Duration
	// PingTimeout is how long a client has to answer a ping before its session closes with
	// "ping timeout". Default 20s.
	PingTimeout time.Duration
	// UpgradeTimeout is how long a transport upgrade may take. Default 10s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message or polling request body, in bytes, the server
	// accepts (advertised to clients as maxPayload). Default 1e6.
	MaxHTTPBufferSize int64
	// ConnectTimeout closes an Engine.IO session that has not joined a namespace in this time.
	// Default 45s.
	ConnectTimeout time.Duration
	// Transports names the transports the server accepts, among "polling", "websocket" and
	// "sse" (hub's addition to the protocol), in upgrade order. Default: all of them. New
	// panics on an unknown name.
	Transports []string
	// CORS, when set, answers preflight requests and adds CORS headers to engine responses.
	// Default: none (Node's cors: false). It also decides which pages may open a WebSocket:
	// browsers apply no CORS to WebSockets, so hub refuses, with 403, a WebSocket handshake
	// whose Origin header names another host than the request's Host, unless CORS allows that
	// origin (Origins, AllowOrigin). Requests without Origin (native clients) pass. Node
	// accepts any origin there.
	CORS *CORS
	// Cookie, when set, is the template of a cookie set to the Engine.IO session id on the
	// response of a polling (or SSE) handshake, for sticky sessions behind a load balancer
	// (Node's cookie option; as Node, not on a WebSocket-only client's 101: a WebSocket makes
	// no later request). Its Value is replaced by the
	// id; an empty Name means "io", an empty Path "/", a zero SameSite Lax (Node's defaults;
	// http.SameSiteDefaultMode sends none). HttpOnly is always set: the id is the session's
	// secret and a page's scripts have no use for it (Node lets httpOnly: false). Domain,
	// MaxAge, Expires, Secure and Partitioned are sent as given. Default: no cookie.
	Cookie *http.Cookie
	// DisableUpgrades keeps every client on the transport it connected with (Node's
	// allowUpgrades: false): the handshake advertises no upgrade, and an upgrade request is
	// refused with 400 Bad request (Node advertises none but lets one through).
	DisableUpgrades bool
	// OnConnectionError, when set, is told of every Engine.IO request the server refuses
	// with an Engine.IO error — an unknown session id, a bad handshake, a request
	// AllowRequest forbids (Node's connection_error event). It runs on the request's
	// goroutine, concurrently for different requests, before the answer is written; a panic
	// in it is recovered and logged.
	OnConnectionError func(e *ConnectionError)
	// InitialHeaders, when set, may add headers to the handshake's response (Node's
	// initial_headers event): the first polling response, or the WebSocket's 101 for a
	// client that connects with a WebSocket. On a polling handshake the session's cookie
	// (Options.Cookie) is in h already. Headers, when set, does the same for every response
	// of the engine's transports — polls, uploads, SSE streams, WebSocket 101s, the
	// handshake's included, after InitialHeaders (Node's headers event); not the engine's
	// refusals (its JSON or text errors) nor CORS preflights. Both run on the request's goroutine, concurrently for different requests;
	// r is only valid during the call. A panic in either is recovered and logged, and the
	// request refused with 500. net/http writes a header value with CR or LF in it with
	// spaces in their place, and drops a header whose name is invalid.
	InitialHeaders func(h http.Header, r *http.Request)
	Headers        func(h http.Header, r *http.Request)
	// AllowRequest, when set, is called with every handshake or upgrade request; a non-nil
	// error refuses it with 403 Forbidden and the error's text. It runs on the request's
	// goroutine, concurrently for different requests.
	AllowRequest func(r *http.Request) error
	// MaxQueuedBytes bounds, per session, what may wait to be written to a slow client; past
	// it the session closes. Default 4 MiB.
	MaxQueuedBytes int
	// MaxHeaderBytes bounds the request line and headers of every Engine.IO request; a
	// bigger one is refused with 431 Request Header Fields Too Large, as Node does past its
	// maxHeaderSize. A session keeps its handshake request (see [Socket.Request]), so this
	// also bounds what each connection holds of it. Default 16 KiB,
	// Node's. net/http reads up to http.Server.MaxHeaderBytes (1 MB by default) before hub
	// sees a request: set that too (see the README's "Running in production").
	MaxHeaderBytes int

	// ConnectionStateRecovery, when set, turns on connection state recovery (Node's
	// connectionStateRecovery option): a client whose connection was lost (not ended on
	// purpose) and that comes back within MaxDisconnectionDuration gets its socket back —
	// same id, rooms and Data — and every event it missed, then [Socket.Recovered] is true.
	// Each event sent without an acknowledgement and not volatile then carries an offset as
	// its last argument, which the client sends back when it reconnects. The server's
	// default adapter recovers; a custom Adapter recovers only if it implements
	// PersistSession, RestoreSession and adapter.Resumer (the Redis pub/sub adapter does not, as in Node).
	// A dynamic child namespace forgets its sessions when it is reclaimed, once its last
	// socket has gone (see [Server.OfFunc]). Default: off.
	ConnectionStateRecovery *ConnectionStateRecovery

	// Parser is the wire format of packets (Node's parser option): the zero Parser is
	// socket.io-parser's JSON, [MsgpackParser] socket.io-msgpack-parser's. Clients must use
	// the same one. Handlers, acknowledgements and adapters see the same arguments with
	// either. Default: JSON.
	Parser Parser

	// Adapter makes the adapter of each namespace when the namespace is created: what the
	// namespace's broadcasts, rooms and server-side emits go through, such as the Redis
	// adapter of package github.com/hubkit/hub/adapter/redis for several servers. Default:
	// the in-memory [adapter.NewMemory], or [adapter.NewSessionAware] when connection state
	// recovery is on.
	Adapter func(ns adapter.Namespace) adapter.Adapter
	// Observer, when set, receives counts of what happens in the server, for metrics:
	// connections, sockets, messages, drops, slow clients, acknowledgement timeouts. See
	// [Observer].
	Observer *Observer
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
	// OnError, when set, receives the errors of event handlers: arguments that do not fit a
	// handler's types (a *[DecodeError], matching [ErrBadArguments]), the errors handlers
	// return and their panics (a *[PanicError]); and the refusals of packet middleware
	// (wrapping [ErrEventRefused]) on a socket without a [Socket.OnError] listener. It runs
	// on the socket's handler goroutine. Default: log them at Warn level, panics at Error
	// level with their stack.
	OnError func(s *Socket, event string, err error)

	// ClientJS serves the browser client: GET requests for files directly under Path named
	// socket.io*.js or socket.io*.js.map go to it instead of the engine. Default: hub's own
	// client (socket.io.js, socket.io.min.js, socket.io.msgpack.min.js with the msgpack
	// parser, and versioned, immutable names; see
	// [Server.ClientJSVersionedPath]). Set it to serve another bundle.
	ClientJS http.Handler
	// DisableClientJS stops serving the client (Node's serveClient: false): such requests
	// reach the engine, which refuses them.
	DisableClientJS bool
}

// CORS configures cross-origin access to the engine's HTTP endpoints (Node's cors option).
type CORS struct {
	// Origins allowed: "*" for any, or exact origins such as "https://example.com".
	Origins []string
	// AllowOrigin, when set, decides instead of Origins.
	AllowOrigin func(origin string) bool
	// Credentials sends Access-Control-Allow-Credentials: true (the origin is then echoed,
	// never "*").
	Credentials bool
	// Headers lists the allowed request headers; default: echo the preflight's request.
	Headers []string
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
}

// Defaults, Node's.
const (
	defaultPath              = "/socket.io/"
	defaultPingInterval      = 25 * time.Second
	defaultPingTimeout       = 20 * time.Second
	defaultUpgradeTimeout    = 10 * time.Second
	defaultMaxHTTPBufferSize = 1e6
	defaultConnectTimeout    = 45 * time.Second
)

// withDefaults returns a copy of opts with the defaults filled in.
func (opts *Options) withDefaults() Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ClientJS == nil {
		o.ClientJS = clientjs.Handler()
	}
	if o.Path == "" {
		o.Path = defaultPath
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	if !strings.HasSuffix(o.Path, "/") {
		o.Path += "/"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = defaultPingTimeout
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = defaultUpgradeTimeout
	}
	if o.MaxHTTPBufferSize <= 0 {
		o.MaxHTTPBufferSize = defaultMaxHTTPBufferSize
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = defaultConnectTimeout
	}
	if o.ConnectionStateRecovery != nil {
		o.ConnectionStateRecovery = o.ConnectionStateRecovery.withDefaults()
	}
	if o.Adapter == nil {
		csr := o.ConnectionStateRecovery
		o.Adapter = func(ns adapter.Namespace) adapter.Adapter {
			if csr != nil {
				return adapter.NewSessionAware(ns, csr.MaxDisconnectionDuration, csr.MaxLogBytes)
			}
			return adapter.NewMemory(ns)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Transports = append([]string(nil), o.Transports...)
	if o.CORS != nil {
		c := *o.CORS
		c.Origins = append([]string(nil), c.Origins...)
		c.Headers = append([]string(nil), c.Headers...)
		o.CORS = &c
	}
	return o
}

// engineOptions maps o (with defaults) onto the engine's options.
func (o *Options) engineOptions() *engine.Options {
	eo := &engine.Options{
		PingInterval:   o.PingInterval,
		PingTimeout:    o.PingTimeout,
		UpgradeTimeout: o.UpgradeTimeout,
		MaxPayload:     o.MaxHTTPBufferSize,
		MaxQueuedBytes: o.MaxQueuedBytes,
		MaxHeaderBytes: o.MaxHeaderBytes,
		AllowRequest:   o.AllowRequest,
		Cookie:         o.Cookie,
		Logger:         o.Logger,
	}
	o.engineHooks(eo)
	for _, name := range o.Transports {
		switch name {
		case "polling":
			eo.Transports = append(eo.Transports, transport.Polling{})
		case "websocket":
			eo.Transports = append(eo.Transports, transport.WebSocket{UpgradeTimeout: o.UpgradeTimeout})
		case "sse":
			eo.Transports = append(eo.Transports, transport.SSE{})
		default:
			panic(fmt.Sprintf("hub: unknown transport %q in Options.Transports", name))
		}
	}
	if o.CORS != nil {
		eo.CORS = &engine.CORS{
			Origins:     o.CORS.Origins,
			AllowOrigin: o.CORS.AllowOrigin,
			Credentials: o.CORS.Credentials,
			Headers:     o.CORS.Headers,
			MaxAge:      o.CORS.MaxAge,
		}
	}
	return eo
}
