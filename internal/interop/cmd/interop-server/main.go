// Command interop-server serves the interop test app (js/interop/APP.md) on hub:
//
//	go run ./internal/interop/cmd/interop-server --port 0
//
// It prints "listening <port>" once ready, and stops on SIGTERM, SIGINT, or when its
// standard input closes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/interop"
)

func main() {
	port := flag.String("port", "3000", "port to listen on (0 picks a free one)")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort("", *port))
	if err != nil {
		log.Fatal(err)
	}
	h, servers := interop.NewAll()
	httpSrv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second, // as README's "Running in production"
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case err := <-serveErr:
		log.Fatal(err)
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(shutdownCtx)
	}
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Print(err)
	}
	for _, srv := range servers {
		srv.Close()
	}
}
