package engine

import (
	"context"
	"net/http"
)

// This file holds the exported surface the Socket.IO layer uses; bodies are being written.

// Session is one Engine.IO session. Its methods are safe for concurrent use.
type Session struct{ id string }

// ID returns the session id (secret: never show it to other clients).
func (s *Session) ID() string { return s.id }

// Request returns the handshake request (method, URL with query, headers, RemoteAddr). Its
// body has been consumed; treat it as read-only.
func (s *Session) Request() *http.Request { panic("todo") }

// Transport returns the name of the transport the session currently uses.
func (s *Session) Transport() string { panic("todo") }

// Context is cancelled when the session closes.
func (s *Session) Context() context.Context { panic("todo") }

// Send queues packets to be written in order and adjacent (a binary event's header and its
// attachments). It never blocks. It returns ErrClosed after close, and ErrSlowConsumer (closing
// the session) when the queue bound is exceeded.
func (s *Session) Send(pkts ...Packet) error { panic("todo") }

// SendVolatile queues packets only if the session can write them right now without queueing
// behind others; it reports whether they were queued.
func (s *Session) SendVolatile(pkts ...Packet) bool { panic("todo") }

// Close closes the session from the server side: queued packets are flushed first (best
// effort), then the transport closes. Conn.Closed is called with reason.
func (s *Session) Close(reason Reason) { panic("todo") }

// Server is the Engine.IO server. It is an http.Handler for the engine's path.
type Server struct{}

// NewServer returns a server that hands sessions to h.
func NewServer(h Handler, opts *Options) *Server { panic("todo") }

// ServeHTTP serves one Engine.IO request (handshake, poll, post, websocket, sse).
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { panic("todo") }

// Shutdown stops new handshakes, closes every session with ReasonShutdown (flushing what is
// queued, releasing parked polls at once) and waits for them to finish, or for ctx.
func (srv *Server) Shutdown(ctx context.Context) error { panic("todo") }

// Close closes every session at once and returns when all their goroutines have exited.
func (srv *Server) Close() error { panic("todo") }
