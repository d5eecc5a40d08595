// Package transport carries Engine.IO packets over HTTP: [WebSocket], HTTP long-[Polling], and
// [SSE] + POST (our addition to the protocol). Each implements [Transport]; the engine owns
// sessions — their queues, heartbeat and upgrades — and hands each request to the transport it
// names, with the [Session] it belongs to. Adding a transport touches no engine code.
//
// The package is internal: its interfaces carry the engine's packets and sessions, which are
// not API. A server picks among these transports by name, with hub's Options.Transports.
package transport

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubkit/hub/internal/eio"
)

// Transport is one way of carrying an Engine.IO session over HTTP.
type Transport interface {
	// Name is the value of the `transport` query parameter that selects it.
	Name() string
	// Upgradable reports whether a session opened on another transport may move to this one
	// (the engine advertises it in the open packet's "upgrades").
	Upgradable() bool
	// Accepts reports whether r is well formed for this transport; the engine answers a false
	// with 400 Bad request. (A WebSocket request needs the Upgrade headers.)
	Accepts(r *http.Request) bool
	// Serve handles one request of session s — the handshake request too, in which case the
	// open packet is the first one s.Pull returns. It returns when the request is done, and
	// must not keep goroutines running after that — unless it called s.Detach: then the
	// request is done when the func Detach returned is called.
	Serve(w http.ResponseWriter, r *http.Request, s Session)
}

// Rejecter is implemented by a transport whose refused requests complete their handshake
// before they end, as Node's do: a WebSocket for a session that already has one gets its 101,
// then a close frame. Reject answers r so; it returns once the connection is closed, after a
// bounded wait for the client's end.
type Rejecter interface {
	Reject(w http.ResponseWriter, r *http.Request)
}

// Session is the engine's side of one session, as the transport serving a request sees it.
// Its methods are safe for concurrent use.
type Session interface {
	// ID is the session id.
	ID() string
	// MaxPayload is the largest body or message, in bytes, the transport may accept.
	MaxPayload() int64
	// Pull waits until packets are ready for this transport and returns all of them, in order.
	// When the session has closed it returns its final packets (possibly none) with ErrClosed.
	// A second Pull while one is waiting returns ErrOverlap and closes the session. It returns
	// ctx.Err() when ctx is done first. reuse, when not nil, is the slice a previous Pull
	// returned, done with: the session keeps its array for the next packets it queues, so a
	// busy connection allocates nothing per batch.
	Pull(ctx context.Context, reuse []eio.Packet) ([]eio.Packet, error)
	// Notify is for a transport that writes only while there is something to write
	// (WebSocket), instead of from a request parked in Pull: the session calls ready
	// as soon as packets are ready for this transport (at once if some already are), or the
	// session is closing or moving to another transport — and then not again until a TryPull
	// has found nothing. ready is called from whatever goroutine queued the packets, so it
	// must not block: it has a writer (a goroutine, or a turn in a queue of them) call TryPull
	// until it finds nothing. After Notify, the request must not call Pull.
	Notify(ready func())
	// TryPull is Pull without the wait, for a request that called Notify: it returns what is
	// ready, and no packets and a nil error when nothing is (ready is then called for the
	// next ones).
	TryPull(reuse []eio.Packet) ([]eio.Packet, error)
	// Detach lets Serve return before the request is done, once the connection is the
	// transport's own (a hijacked WebSocket): the engine still counts the request as being
	// served — Server.Close and Shutdown wait for it — until done is called. The transport
	// must call done exactly once, when it has stopped its goroutines.
	Detach() (done func())
	// Stream declares this request a stream that calls Pull again and again (SSE): from its
	// first Pull until the request ends — between Pulls too — a Pull by another request on the
	// same transport is an overlap.
	Stream()
	// Context is cancelled once the session has finished; a transport stops its I/O then.
	// Receive handles packets that arrived from the client, in order. It returns an error when
	// they made the session close (a bad packet, a close packet).
	Receive(pkts ...eio.Packet) error
	// BeginReceive marks the start of an upload (a polling POST); a second concurrent one returns
	// ErrOverlap and closes the session. Call the returned func when done.
	BeginReceive() (end func(), err error)
	// Fail closes the session because the transport broke: err says how. A nil err or
	// ErrPeerClosed means the client went away cleanly ("transport close"); an error wrapping
	// eio.ErrBadPacket is a "parse error"; anything else a "transport error".
	Fail(err error)
	// FailSettled is Fail for a failure found after messages the transport passed to Receive
	// (a bad frame behind good ones in one read): the session closes once those messages
	// have been handled (on the Node server, their handlers run before its ws acts on the
	// bad frame), so that the packets their handling queued are still pulled, before
	// ErrClosed, and reach the client ahead of the transport's end. It returns at once. The transport calls Fail(err) after,
	// once it has written those packets or has waited long enough (a handler may block).
	FailSettled(err error)
	// Upgrading reports whether this request is taking the session over from another transport;
	// then the transport must run the probe exchange (2probe, Probe writing 3probe; then 5,
	// Upgrade) before anything else, within UpgradeTimeout.
	Upgrading() bool
	// Probe tells the engine the client probed this transport successfully, and has answer
	// write the probe's answer (3probe) to the client; then the old transport is answered
	// with noop packets. In that order: a poll the client sends once it has 3probe (even
	// after 5) finds the probe done, and the noop that releases the client's parked poll
	// does not overtake 3probe — a client that got the noop first would poll again, and
	// that poll would hold the upgrade up. Probe returns answer's error, or an error when
	// no upgrade is possible now; the transport then calls AbortUpgrade.
	Probe(answer func() error) error
	// Upgrade moves the session onto this transport; later Pulls here get its packets.
	Upgrade() error
	// AbortUpgrade abandons the upgrade; the session stays on its old transport.
	AbortUpgrade()
	Context() context.Context
	// WriteTimeout bounds one blocking write to the client: one that takes longer fails the
	// session (the client does not read). It is derived from the heartbeat settings.
	WriteTimeout() time.Duration
	// Logger receives the transport's logs (a panic recovered on a connection).
	Logger() *slog.Logger
}

// Errors shared by the engine and the transports.
var (
	ErrClosed     = errors.New("engine.io: session closed")
	ErrOverlap    = errors.New("engine.io: overlapping request for the same session")
	ErrPeerClosed = errors.New("engine.io: connection closed by the client")
	ErrTooLarge   = errors.New("engine.io: payload exceeds maxPayload")
)
