package chatapp

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/hubkit/hub"
)

// Serve runs the chat made by New(opts) on addr, calling listening once it accepts
// connections, until ctx is done; then it shuts down: the Socket.IO server first (clients
// are told, handlers finish, an adapter lets go), then the HTTP server.
func Serve(ctx context.Context, addr string, opts *hub.Options, listening func(net.Addr)) error {
	srv, handler := New(opts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		return err
	}
	listening(ln.Addr())

	// The timeouts and the header limit of README's "Running in production".
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	log.Print("chat: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(srv.Shutdown(shutdownCtx), hs.Shutdown(shutdownCtx))
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
