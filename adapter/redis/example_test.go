package redis_test

import (
	"context"
	"log"
	"net/http"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
)

// Several hub servers (and Node socket.io servers with @socket.io/redis-adapter) on one
// Redis serve one application: a broadcast from any of them reaches every client.
func ExampleNewAdapter() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	srv := hub.New(&hub.Options{Adapter: redis.NewAdapter(rdb, nil)})
	srv.OnConnection(func(s *hub.Socket) {
		s.Join("news")
	})
	http.Handle("/socket.io/", srv)
	go http.ListenAndServe(":3000", nil)

	srv.To("news").Emit("headline", "reaches the clients of every server")
}

// A worker that serves no clients publishes to the cluster.
func ExampleNewEmitter() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	e := redis.NewEmitter(rdb, nil)
	ctx := context.Background()
	if err := e.To("news").Emit(ctx, "headline", "from the worker"); err != nil {
		log.Print(err)
	}
	e.Of("/admin").In("room1").DisconnectSockets(ctx, true)
}
