package redis_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/adapter/redis"
)

// TestRedisRestart stops Redis in the middle of a test: local delivery goes on, the loss is
// logged, and once Redis is back the adapters have reconnected and subscribed again by
// themselves: broadcasts and requests cross servers again.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	protocols(t, func(t *testing.T, opts redis.Options) {
		r, err := startRedis(0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.stop()
		opts.Key = newKey()
		opts.RequestTimeout = time.Second
		var lost, disconnects, reconnects atomic.Int64
		opts.Observer = &adapter.Observer{
			Lost: func(reason string, n int) {
				if reason == "publish failed" || reason == "queue full" {
					lost.Add(int64(n))
				}
			},
			Disconnected: func() { disconnects.Add(1) },
			Reconnected:  func() { reconnects.Add(1) },
		}
		nodes := []*node{newNode(t, r.addr(), opts, nil), newNode(t, r.addr(), opts, nil)}
		waitServers(t, nodes[0], "/", 2)
		a := dial(t, nodes[0].url(), "/", "")
		b := dial(t, nodes[1].url(), "/", "")
		nodes[0].srv.Emit("before")
		a.expect("before")
		b.expect("before")

		r.stop()
		for _, n := range nodes {
			waitFor(t, 10*time.Second, "the loss logged", func() bool {
				return strings.Contains(n.log.String(), "subscription lost")
			})
		}
		// Local delivery does not depend on Redis.
		for i := range 20 {
			if err := nodes[0].srv.Emit("during", i); err != nil {
				t.Fatalf("Emit while Redis is down: %v", err)
			}
			a.expect("during")
		}
		if _, err := nodes[0].srv.FetchSockets(context.Background()); err == nil {
			t.Error("FetchSockets while Redis is down: no error")
		}
		// The broadcasts could not reach the other server: the Observer is told.
		waitFor(t, 10*time.Second, "the lost broadcasts observed", func() bool { return lost.Load() > 0 })
		if n := disconnects.Load(); n != 2 {
			t.Errorf("%d disconnections observed; want one per server", n)
		}

		if err := r.start(); err != nil {
			t.Fatal(err)
		}
		// Probe until a broadcast crosses again, in both directions.
		for i, pair := range [][2]int{{0, 1}, {1, 0}} {
			from, to := nodes[pair[0]], []*sioClient{a, b}[pair[1]]
			self := []*sioClient{a, b}[pair[0]]
			deadline := time.Now().Add(15 * time.Second)
			for n := 0; ; n++ {
				if time.Now().After(deadline) {
					t.Fatalf("direction %d: no broadcast crossed after the restart", i)
				}
				from.srv.Emit("probe", n)
				self.expect("probe")
				select {
				case e := <-to.events:
					if e.name != "probe" {
						t.Fatalf("got %q", e.name)
					}
				case <-time.After(200 * time.Millisecond):
					continue
				}
				break
			}
			// Drain the probes still in flight, then check order is back to normal.
			from.srv.Emit("after", strconv.Itoa(i))
			for e := to.next(5 * time.Second); e.name != "after"; e = to.next(5 * time.Second) {
			}
			self.expect("after")
		}
		for _, n := range nodes {
			if !strings.Contains(n.log.String(), "subscription restored") {
				t.Errorf("no recovery logged: %s", n.log.String())
			}
		}
		if n := reconnects.Load(); n != 2 {
			t.Errorf("%d reconnections observed; want one per server", n)
		}
		waitServers(t, nodes[0], "/", 2)
		sockets, err := nodes[1].srv.FetchSockets(context.Background())
		if err != nil || len(sockets) != 2 {
			t.Fatalf("FetchSockets after the restart: %d sockets, %v", len(sockets), err)
		}
	})
}

// TestDeadServer: a server that stops answering (its process frozen, its connection still
// subscribed) makes requests time out instead of hanging.
func TestDeadServer(t *testing.T) {
	t.Parallel()
	r, err := startRedis(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.stop()
	opts := redis.Options{Key: newKey(), RequestTimeout: 500 * time.Millisecond}
	nodes := []*node{newNode(t, r.addr(), opts, nil), newNode(t, r.addr(), opts, nil)}
	waitServers(t, nodes[0], "/", 2)
	// Freeze the second server's receiving connection: CLIENT PAUSE stops Redis from
	// serving it, as a hung process would.
	ctx := context.Background()
	if err := nodes[0].rdb.Do(ctx, "CLIENT", "PAUSE", "3000", "WRITE").Err(); err != nil {
		t.Fatal("CLIENT PAUSE WRITE (Redis 6.2+) failed:", err)
	}
	start := time.Now()
	_, err = nodes[0].srv.FetchSockets(ctx)
	if !errors.Is(err, redis.ErrTimeout) {
		t.Fatalf("FetchSockets with a frozen cluster: %v; want a timeout", err)
	}
	t.Log(err)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the request hung for %v", d)
	}
	nodes[0].rdb.Do(ctx, "CLIENT", "UNPAUSE")
}
