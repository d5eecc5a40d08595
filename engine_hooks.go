package hub

import (
	"net/http"

	"github.com/hubkit/hub/internal/engine"
)

// ConnectionError describes an Engine.IO request the server refused (Node's
// io.engine.on("connection_error")), for [Options.OnConnectionError]. Code and Message are
// Engine.IO's, also in the refusal's JSON body:
//
//	0 "Transport unknown"             the transport query parameter names no enabled transport
//	1 "Session ID unknown"            the sid names no open session
//	2 "Bad handshake method"          a handshake that is not a GET
//	3 "Bad request"                   anything else malformed (Context["name"] says what)
//	4 "Forbidden"                     Options.AllowRequest refused it, or a cross-origin WebSocket
//	5 "Unsupported protocol version"  EIO is not 4
//
// Context holds details, with Node's keys where Node has them: "transport", "sid",
// "method", "protocol", "message" (Forbidden), and "name" for bad requests
// ("INVALID_ORIGIN", "TRANSPORT_HANDSHAKE_ERROR", "TRANSPORT_MISMATCH", and hub's own
// "SERVER_SHUTTING_DOWN", "HANDLER_PANIC", "HEADERS_HOOK_PANIC").
type ConnectionError struct {
	// Request is the refused request; it is only valid during the call.
	Request *http.Request
	Code    int
	Message string
	Context map[string]any
}

// ClientsCount returns the number of open Engine.IO connections on this server (Node's
// io.engine.clientsCount): connected clients, whatever namespaces they joined, until their
// connection starts closing. It is safe for concurrent use.
func (srv *Server) ClientsCount() int { return srv.engine.OpenSessions() }

// engineHooks sets the engine's hooks and upgrade switch from o.
func (o *Options) engineHooks(eo *engine.Options) {
	eo.DisableUpgrades = o.DisableUpgrades
	if f, obs := o.OnConnectionError, newObserver(o.Observer, o.Logger); f != nil || obs != nil {
		eo.OnConnectionError = func(e *engine.ConnectionError) {
			obs.connectionRefused(e.Code)
			if f != nil {
				f((*ConnectionError)(e))
			}
		}
	}
	if initial, every := o.InitialHeaders, o.Headers; initial != nil || every != nil {
		eo.Headers = func(h http.Header, r *http.Request, isInitial bool) {
			if isInitial && initial != nil {
				initial(h, r)
			}
			if every != nil {
				every(h, r)
			}
		}
	}
}
