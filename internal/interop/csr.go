package interop

import (
	"net/http"
	"slices"
	"time"

	"github.com/hubkit/hub"
)

// NewCSR returns the app's second server, with connection state recovery, to be mounted at
// /csr/ beside New's (APP.md, "Server /csr/").
func NewCSR() *hub.Server {
	srv := hub.New(&hub.Options{
		Path:                    "/csr/",
		PingInterval:            1000 * time.Millisecond,
		PingTimeout:             1000 * time.Millisecond,
		ConnectTimeout:          2000 * time.Millisecond,
		MaxHTTPBufferSize:       100000,
		ConnectionStateRecovery: &hub.ConnectionStateRecovery{MaxDisconnectionDuration: 1500 * time.Millisecond},
	})
	srv.Use(func(s *hub.Socket) error {
		d, _ := s.Data().(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		mw, _ := d["mw"].(int)
		d["mw"] = mw + 1
		s.SetData(d)
		return nil
	})
	srv.OnConnection(func(s *hub.Socket) {
		if !s.Recovered() {
			s.Join("csr-room")
			d := s.Data().(map[string]any)
			d["tag"] = "t-" + s.ID()
		}
		s.Emit("csr-welcome", map[string]any{"id": s.ID(), "recovered": s.Recovered()})
		s.On("state", func(ack hub.Ack) {
			rooms := s.Rooms()
			slices.Sort(rooms)
			ack(map[string]any{"id": s.ID(), "recovered": s.Recovered(), "rooms": rooms, "data": s.Data()})
		})
		s.On("to-room", func(room, event string, arg any, ack hub.Ack) {
			srv.To(room).Emit(event, arg)
			ack()
		})
		s.On("emit-back", func(args hub.Args) { s.Emit(str(args, 0), rest(args, 1)...) })
		s.On("volatile-back", func(args hub.Args) { s.EmitVolatile(str(args, 0), rest(args, 1)...) })
		s.On("kill-transport", func() { s.CloseConn() })
	})
	return srv
}

// NewAll returns the app's servers — New's at /socket.io/, NewCSR's at /csr/,
// NewNoUpgrade's at /noupgrade/ and NewMsgpack's at /msgpack/ — and one handler serving them
// all.
func NewAll() (http.Handler, []*hub.Server) {
	servers := []*hub.Server{New(), NewCSR(), NewNoUpgrade(), NewMsgpack()}
	var h http.Handler
	for _, srv := range slices.Backward(servers) {
		h = srv.Handler(h)
	}
	return h, servers
}
