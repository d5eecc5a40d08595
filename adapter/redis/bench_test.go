package redis_test

import (
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
)

// BenchmarkBroadcast measures a broadcast from one server reaching every client: 20
// WebSocket clients on one server with the in-memory adapter, on one server with the Redis
// adapter, and split over two servers with the Redis adapter. window is how many broadcasts
// are in flight: 1 measures latency (emit to the last delivery), 64 throughput.
//
//	go test -run '^$' -bench Broadcast -benchtime 2000x
func BenchmarkBroadcast(b *testing.B) {
	const clients = 20
	for _, setup := range []struct {
		name  string
		nodes int
		redis bool
	}{
		{"1-node-memory", 1, false},
		{"1-node-redis", 1, true},
		{"2-nodes-redis", 2, true},
	} {
		for _, window := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/window=%d", setup.name, window), func(b *testing.B) {
				var urls []string
				var from *hub.Server
				if setup.redis {
					nodes := make([]*node, setup.nodes)
					opts := redis.Options{Key: newKey()}
					for i := range nodes {
						nodes[i] = newNode(b, shared.addr(), opts, nil)
						urls = append(urls, nodes[i].url())
					}
					waitServers(b, nodes[0], "/", setup.nodes)
					from = nodes[0].srv
				} else {
					from = hub.New(nil)
					ts := httptest.NewServer(from)
					b.Cleanup(func() { from.Close(); ts.Close() })
					urls = append(urls, ts.URL)
				}
				var delivered atomic.Int64
				progress := make(chan struct{}, 1)
				for i := range clients {
					c := dial(b, urls[i%len(urls)], "/", "")
					go func() {
						for {
							select {
							case <-c.events:
								delivered.Add(1)
								select {
								case progress <- struct{}{}:
								default:
								}
							case <-c.done:
								return
							}
						}
					}()
				}
				payload := map[string]any{"text": "a chat message of ordinary size", "n": 1}
				b.ResetTimer()
				sent := 0
				for sent < b.N {
					n := min(window, b.N-sent)
					for range n {
						if err := from.Emit("b", payload); err != nil {
							b.Fatal(err)
						}
					}
					sent += n
					want := int64(sent * clients)
					deadline := time.After(30 * time.Second)
					for delivered.Load() < want {
						select {
						case <-progress:
						case <-deadline:
							b.Fatalf("delivered %d of %d", delivered.Load(), want)
						}
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	}
}
