// Command chat is the chat room of the Socket.IO tutorial, served by hub, with the tutorial's
// homework done: nicknames, join and leave notices, "X is typing…", who is online, private
// messages, and the sender's own message shown at once.
//
//	go run ./_examples/chat            # http://localhost:3000
//	go run ./_examples/chat -port 8080 # or PORT=8080
//
// With -port 0 it listens on a free port. Either way it prints "listening <port>" once it
// accepts connections. Ctrl-C (or SIGTERM) shuts it down gracefully. The chat itself is
// package chatapp; _examples/chat/redis runs it as several processes sharing Redis.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/hubkit/hub/_examples/chat/chatapp"
)

func main() {
	port := 3000
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		port = p
	}
	flag.IntVar(&port, "port", port, "TCP port to listen on, 0 for any free port (default $PORT or 3000)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	listening := func(addr net.Addr) {
		port := addr.(*net.TCPAddr).Port
		fmt.Printf("listening %d\n", port)
		log.Printf("chat: open http://localhost:%d in two browser tabs", port)
	}
	if err := run(ctx, fmt.Sprintf(":%d", port), listening); err != nil {
		log.Fatal(err)
	}
}

// run serves the chat on addr, calling listening once it accepts connections, until ctx is
// done; then it shuts down gracefully (see chatapp.Serve).
func run(ctx context.Context, addr string, listening func(net.Addr)) error {
	return chatapp.Serve(ctx, addr, nil, listening)
}
