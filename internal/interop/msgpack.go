package interop

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hubkit/hub"
)

// NewMsgpack returns the app's server with the msgpack parser, to be mounted at /msgpack/
// (APP.md, "Server /msgpack/").
func NewMsgpack() *hub.Server {
	srv := hub.New(&hub.Options{
		Path:              "/msgpack/",
		PingInterval:      1000 * time.Millisecond,
		PingTimeout:       1000 * time.Millisecond,
		ConnectTimeout:    2000 * time.Millisecond,
		MaxHTTPBufferSize: 100000,
		Parser:            hub.MsgpackParser(),
	})
	srv.OnConnection(func(s *hub.Socket) {
		s.Emit("welcome", map[string]any{"id": s.ID(), "auth": s.Handshake().Auth, "bin": []byte{1, 2, 3}})
		echoHandlers(s)
		s.On("server-ack", func(args hub.Args) {
			event := str(args, 0)
			vals := rest(args, 1)
			go func() { // like the Node callback, this does not hold up the client's other events
				ctx, cancel := context.WithTimeout(s.Context(), 2000*time.Millisecond)
				defer cancel()
				res, err := s.EmitWithAck(ctx, event, vals...)
				if err != nil {
					s.Emit("server-ack-result", map[string]string{"error": "operation has timed out"})
					return
				}
				s.Emit("server-ack-result", map[string]any{"result": res.Values()})
			}()
		})
		s.On("to-all", func(args hub.Args) { srv.Emit(str(args, 0), rest(args, 1)...) })
		s.On("join", func(room string, ack hub.Ack) {
			s.Join(room)
			ack()
		})
		s.On("to-room", func(args hub.Args) { srv.To(str(args, 0)).Emit(str(args, 1), rest(args, 2)...) })
		s.On("values", func(ack hub.Ack) {
			ack(map[string]any{"int": 1, "neg": -5, "float": 1.5, "big": int64(1) << 40, "str": "é✓", "nil": nil, "t": true,
				"arr": []any{1, []int{2}}, "bin": []byte{255}})
		})
	})
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct {
			Token any `json:"token"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	admin.OnConnection(func(s *hub.Socket) {
		s.Emit("admin-welcome", s.ID())
		echoHandlers(s)
	})
	return srv
}
