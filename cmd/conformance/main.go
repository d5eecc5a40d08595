// Command conformance serves what the official Engine.IO and Socket.IO protocol test suites
// expect on localhost (protocol.md §3), so they can be pointed at hub:
//
//   - /engine.io/: the Engine.IO layer alone, echoing every message, text or binary;
//   - /socket.io/: the Socket.IO server with namespaces "/" and "/custom", each emitting
//     "auth" with the CONNECT payload right after connecting; on "/", "message" is re-emitted
//     as "message-back" and "message-with-ack" is acknowledged, with the same arguments.
//
// Both run with pingInterval 300ms, pingTimeout 200ms, maxPayload 1000000, connectTimeout
// 1000ms, CORS "*", and no connection state recovery.
//
//	go run ./cmd/conformance -port 3000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/internal/engine"
)

const (
	pingInterval   = 300 * time.Millisecond
	pingTimeout    = 200 * time.Millisecond
	maxPayload     = 1000000
	connectTimeout = 1000 * time.Millisecond
)

func main() {
	port := flag.Int("port", 3000, "TCP port to listen on (localhost)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("localhost:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	h, shutdown := newHandler()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
		srv.Shutdown(ctx)
	}()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// newHandler returns the conformance server's handler and its shutdown.
func newHandler() (http.Handler, func(context.Context) error) {
	eio := engine.NewServer(echo{}, &engine.Options{
		PingInterval: pingInterval,
		PingTimeout:  pingTimeout,
		MaxPayload:   maxPayload,
		CORS:         &engine.CORS{Origins: []string{"*"}},
	})
	sio := hub.New(&hub.Options{
		PingInterval:      pingInterval,
		PingTimeout:       pingTimeout,
		MaxHTTPBufferSize: maxPayload,
		ConnectTimeout:    connectTimeout,
		CORS:              &hub.CORS{Origins: []string{"*"}},
		Transports:        []string{"polling", "websocket"},
	})
	sendAuth := func(s *hub.Socket) { s.Emit("auth", s.Handshake().Auth) }
	sio.OnConnection(func(s *hub.Socket) {
		sendAuth(s)
		s.OnAny(func(event string, args hub.Args) {
			switch event {
			case "message":
				s.Emit("message-back", same(args)...)
			}
		})
		s.On("message-with-ack", func(args hub.Args, ack hub.Ack) { ack(same(args)...) })
	})
	sio.Of("/custom").OnConnection(sendAuth)

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", sio)
	return mux, func(ctx context.Context) error {
		eio.Shutdown(ctx)
		return sio.Shutdown(ctx)
	}
}

// same returns args as values that encode to the same JSON: raw where there is no binary,
// decoded (binary as []byte) where there is.
func same(args hub.Args) []any {
	out := make([]any, args.Len())
	values := args.Values()
	for i := range out {
		if len(args.Attachments()) > 0 {
			out[i] = values[i]
		} else {
			out[i] = args.Raw(i)
		}
	}
	return out
}

// echo is the bare Engine.IO handler: every message goes back as it came.
type echo struct{}

type echoConn struct{ s *engine.Session }

func (echo) Open(s *engine.Session) engine.Conn { return echoConn{s} }
func (c echoConn) Message(p engine.Packet)      { c.s.Send(p) }
func (echoConn) Closed(engine.Reason, error)    {}
