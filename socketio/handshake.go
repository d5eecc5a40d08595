package socketio

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Handshake describes how a socket connected, like Node's socket.handshake: what the
// server's Socket.Handshake returns, and what an adapter carries from server to server
// for FetchSockets. It is read-only.
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
