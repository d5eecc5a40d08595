// Command redis runs the chat of _examples/chat as one of several processes sharing a Redis
// server, through hub's Redis adapter: messages, the online list, nicknames and private
// messages span every process.
//
//	cd _examples/chat/redis
//	go run . -port 3000 -redis localhost:6379
//	go run . -port 3001 -redis localhost:6379   # in another terminal
//
// Then a page on http://localhost:3000 and one on http://localhost:3001 chat together. -redis
// also takes a URL (redis://user:password@host:6379/0); the defaults are $REDIS_ADDR or
// localhost:6379, and $PORT or 3000. Like the plain chat, it prints "listening <port>" once it
// accepts connections, and Ctrl-C (or SIGTERM) shuts it down gracefully.
//
// It sets the Engine.IO cookie "io", for a load balancer with cookie affinity: see the
// README for why polling and SSE need sticky sessions.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/_examples/chat/chatapp"
	"github.com/hubkit/hub/adapter/redis"
)

func main() {
	port := 3000
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		port = p
	}
	flag.IntVar(&port, "port", port, "TCP port to listen on, 0 for any free port (default $PORT or 3000)")
	redisAddr := flag.String("redis", cmp.Or(os.Getenv("REDIS_ADDR"), "localhost:6379"),
		"Redis server shared by every chat process: host:port or a redis:// URL")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	listening := func(addr net.Addr) {
		port := addr.(*net.TCPAddr).Port
		fmt.Printf("listening %d\n", port)
		log.Printf("chat: open http://localhost:%d; the chat processes sharing this Redis share their users", port)
	}
	if err := run(ctx, fmt.Sprintf(":%d", port), *redisAddr, listening); err != nil {
		log.Fatal(err)
	}
}

// run serves the chat on addr, sharing it through the Redis server at redisAddr, calling
// listening once it accepts connections, until ctx is done; then it shuts down: the
// Socket.IO server first (clients are told, handlers finish, the adapter unsubscribes), then
// the HTTP server, then the Redis client.
func run(ctx context.Context, addr, redisAddr string, listening func(net.Addr)) error {
	ropts := &goredis.Options{Addr: redisAddr}
	if strings.Contains(redisAddr, "://") {
		var err error
		if ropts, err = goredis.ParseURL(redisAddr); err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
	}
	rdb := goredis.NewClient(ropts)
	defer rdb.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := rdb.Ping(pingCtx).Err()
	cancel()
	if err != nil {
		return fmt.Errorf("redis at %s: %w", redisAddr, err)
	}

	return chatapp.Serve(ctx, addr, &hub.Options{
		Adapter: redis.NewAdapter(rdb, nil),
		// The Engine.IO session id in a cookie, for a load balancer that routes by cookie:
		// every request of a polling or SSE session must reach the process that owns it.
		Cookie: &http.Cookie{Name: "io"},
	}, listening)
}
