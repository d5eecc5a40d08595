// Package hubtest runs a hub server in-process for tests, in the spirit of net/http/httptest:
// a [Server] serves a [hub.Server] on a local loopback port and dials connected Go clients to
// it, and a [Recorder] hands a test the events a client receives, in order, without sleeps.
//
//	srv := hub.New(nil)
//	srv.OnConnection(myHandlers)
//	ts := hubtest.NewServer(srv, nil)
//	defer ts.Close()
//
//	c, err := ts.Dial(ctx, "/", nil)
//	if err != nil {
//		t.Fatal(err)
//	}
//	replies := hubtest.Record(c, "reply")
//	c.Emit("question", 42)
//	var answer string
//	if err := replies.Next(ctx, &answer); err != nil {
//		t.Fatal(err)
//	}
package hubtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// Server is a hub server listening on a loopback address, with the clients dialled to it.
// Close it when done: it closes the clients, the hub server and the listener, and leaves no
// goroutine behind. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port", with no trailing slash.
	URL string

	hub  *hub.Server
	http *httptest.Server

	mu       sync.Mutex
	managers []*client.Manager // every Manager made by Socket; guarded by mu
	closed   bool              // guarded by mu
}

// NewServer starts serving srv on a loopback address and returns once it listens. h is the
// HTTP handler served, one that mounts srv, such as srv.Handler(mux); nil serves srv alone,
// every other path answering 404 Not Found.
func NewServer(srv *hub.Server, h http.Handler) *Server {
	if h == nil {
		h = srv.Handler(nil)
	}
	ts := httptest.NewServer(h)
	return &Server{URL: ts.URL, hub: srv, http: ts}
}

// Socket returns a client socket for namespace ("/" when empty), not yet connected, on a
// connection of its own: register its handlers (and Recorders), then call
// [client.Socket.Connect]. opts configure its [client.Manager]; nil means the client's
// defaults except that reconnection is off, as a test usually wants. [Server.Close] closes
// the connection.
func (s *Server) Socket(namespace string, opts *client.Options) *client.Socket {
	if opts == nil {
		opts = &client.Options{DisableReconnection: true}
	}
	m, err := client.NewManager(s.URL, opts)
	if err != nil {
		panic("hubtest: " + err.Error()) // s.URL is always valid
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.managers = append(s.managers, m)
	}
	s.mu.Unlock()
	if closed {
		m.Close()
	}
	return m.Socket(namespace, nil)
}

// Dial returns a client socket connected to namespace ("/" when empty); opts are as for
// [Server.Socket]. It blocks until the server accepts the socket, refuses it (a
// *[client.ConnectError]), or ctx is done. Events the server emits before Dial returns may
// reach no handler: to record them, use [Server.Socket] and Connect.
func (s *Server) Dial(ctx context.Context, namespace string, opts *client.Options) (*client.Socket, error) {
	c := s.Socket(namespace, opts)
	if err := c.Connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the clients made by [Server.Socket] and [Server.Dial] (their "disconnect"
// handlers see [client.ReasonClientDisconnect]), then the hub server with [hub.Server.Close],
// then the listener. It returns once every goroutine of theirs has exited. Close is
// idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	managers := s.managers
	s.managers = nil
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range managers {
		wg.Go(func() { m.Close() })
	}
	wg.Wait()
	s.hub.Close()
	s.http.Close()
}
