package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubkit/hub"
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
