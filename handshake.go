package hub

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Handshake describes how a socket connected, like Node's socket.handshake. It is read-only.
type Handshake struct {
	Headers http.Header     `json:"headers"` // the Engine.IO handshake request's headers
	Time    time.Time       `json:"time"`    // when the socket was created
	Address string          `json:"address"` // the client's IP address, without port
	XDomain bool            `json:"xdomain"` // the request had an Origin header
	Secure  bool            `json:"secure"`  // the request came over TLS
	Issued  int64           `json:"issued"`  // Time in milliseconds since the Unix epoch
	URL     string          `json:"url"`     // the handshake request's path and query
	Query   url.Values      `json:"query"`   // the handshake request's query parameters
	Auth    json.RawMessage `json:"auth"`    // the CONNECT payload (the client's auth option), {} by default
}

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
