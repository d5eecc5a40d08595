package hub

import (
	"net"
	"net/http"

	"github.com/hubkit/hub/socketio"
)

// Handshake describes how a socket connected, like Node's socket.handshake. It is read-only.
type Handshake = socketio.Handshake

// fillHandshake completes h from the session's handshake request: on first use, not for
// every socket that connects (most never look). The headers are the request's, shared.
func fillHandshake(h *Handshake, r *http.Request) {
	if r == nil {
		return
	}
	h.Headers = r.Header
	if r.URL != nil {
		h.URL = r.URL.RequestURI()
		h.Query = r.URL.Query()
	}
	h.Secure = r.TLS != nil
	h.XDomain = r.Header.Get("Origin") != ""
	h.Address = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.Address = host
	}
}
