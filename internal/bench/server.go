package bench

import (
	"log/slog"
	"net/http"

	"github.com/hubkit/hub"
)

// NewHubHandler returns the hub server under test and its HTTP handler. It answers the same
// events as js/bench/node-server.mjs:
//
//   - "fanout" (msg string): srv.Emit("bcast", msg) — a broadcast to every client;
//   - "roomcast" (room, msg string): srv.To(room).Emit("bcast", msg);
//   - "join" (room string, ack): joins the room, then acknowledges with no arguments;
//   - "echo" (msg string, ack): acknowledges with msg.
//
// Options are hub's defaults, as the Node server runs socket.io's defaults; recovery turns
// connection state recovery on. The handler serves /socket.io/ only: the hub-server command
// adds /debug/pprof/ (importing this package registers nothing anywhere).
func NewHubHandler(recovery bool) (*hub.Server, http.Handler) {
	opts := &hub.Options{Logger: slog.New(slog.DiscardHandler)}
	if recovery {
		opts.ConnectionStateRecovery = &hub.ConnectionStateRecovery{}
	}
	srv := hub.New(opts)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("fanout", func(msg string) { srv.Emit("bcast", msg) })
		s.On("roomcast", func(room, msg string) { srv.To(room).Emit("bcast", msg) })
		s.On("join", func(room string, ack hub.Ack) {
			s.Join(room)
			ack()
		})
		s.On("echo", func(msg string, ack hub.Ack) { ack(msg) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	return srv, mux
}
