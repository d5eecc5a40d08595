package hub_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

// Shutdown flushes what was emitted before it, on every transport and in the middle of the
// upgrade from polling to WebSocket, and clients see "transport close".
func TestShutdownFlushesEveryTransport(t *testing.T) {
	t.Parallel()
	for _, transports := range [][]string{nil, {"polling"}, {"websocket"}, {"sse"}, {"sse", "websocket"}} {
		for range 3 {
			srv := hub.New(nil)
			ts := hubtest.NewServer(srv, nil)
			s := ts.Socket("/", &client.Options{Transports: transports, DisableReconnection: true})
			gone := hubtest.Record(s, "disconnect")
			last := hubtest.Record(s, "last")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			success(t, s.Connect(ctx))
			success(t, srv.Emit("last", "words"))
			success(t, srv.Shutdown(ctx))
			var words, reason string
			success(t, last.Next(ctx, &words))
			success(t, gone.Next(ctx, &reason))
			equal(t, "last words", words, "words")
			equal(t, "client's reason", reason, "transport close")
			cancel()
			ts.Close()
		}
	}
}

// After Close, a namespace's operations return ErrServerClosed, and Of makes no adapter:
// an adapter factory may dial a cluster, which nothing would close again.
func TestClosedServer(t *testing.T) {
	t.Parallel()
	var made atomic.Int32
	srv := hub.New(&hub.Options{Adapter: func(ns adapter.Namespace) adapter.Adapter {
		made.Add(1)
		return adapter.NewMemory(ns)
	}})
	existing := srv.Of("/before")
	during := make(chan error, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnDisconnect(func(hub.DisconnectReason) { during <- srv.Emit("bye") }) // runs during Shutdown
	})
	ts := hubtest.NewServer(srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	success(t, err)
	defer c.Close()
	success(t, srv.Shutdown(ctx))
	success(t, recv(t, during))
	ts.Close()
	before := made.Load()

	detached := srv.Of("/after")
	equal(t, "adapters made after Close", made.Load(), before)
	for _, ns := range []*hub.Namespace{srv.Of("/"), existing, detached} {
		errorIs(t, ns.Emit("e"), hub.ErrServerClosed)
		errorIs(t, ns.To("r").Emit("e"), hub.ErrServerClosed)
		_, err := ns.EmitWithAck(ctx, "e")
		errorIs(t, err, hub.ErrServerClosed)
		_, err = ns.FetchSockets(ctx)
		errorIs(t, err, hub.ErrServerClosed)
		errorIs(t, ns.SocketsJoin("r"), hub.ErrServerClosed)
		errorIs(t, ns.SocketsLeave("r"), hub.ErrServerClosed)
		errorIs(t, ns.DisconnectSockets(true), hub.ErrServerClosed)
		errorIs(t, ns.ServerSideEmit(ctx, "e"), hub.ErrServerClosed)
		_, err = ns.ServerSideEmitWithAck(ctx, "e")
		errorIs(t, err, hub.ErrServerClosed)
	}
	if srv.Of("/after") == srv.Of("/") {
		t.Error("a detached namespace is the main one")
	}
}
