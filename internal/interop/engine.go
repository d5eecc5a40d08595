package interop

import (
	"net/http"
	"time"

	"github.com/hubkit/hub"
)

// engineHooks sets the options of APP.md's "Engine hooks" on the main server's opts.
func (a *app) engineHooks(opts *hub.Options) {
	opts.Cookie = &http.Cookie{Name: "interop-sid", SameSite: http.SameSiteStrictMode, MaxAge: 3600}
	opts.OnConnectionError = func(e *hub.ConnectionError) {
		a.mu.Lock()
		a.lastErr = map[string]any{"code": e.Code, "message": e.Message, "context": e.Context}
		a.mu.Unlock()
	}
	opts.InitialHeaders = func(h http.Header, _ *http.Request) { h.Set("X-Interop-Initial", "1") }
	opts.Headers = func(h http.Header, _ *http.Request) { h.Set("X-Interop", "1") }
}

// engineEvents registers the events of APP.md's "Engine hooks" on a socket of "/".
func (a *app) engineEvents(s *hub.Socket) {
	s.On("last-connection-error", func(ack hub.Ack) {
		a.mu.Lock()
		last := a.lastErr
		a.mu.Unlock()
		if last == nil {
			ack(nil)
			return
		}
		ack(last)
	})
	if s.Handshake().Query.Has("notify-upgrade") {
		s.OnUpgrade(func(transport string) { s.Emit("upgraded", transport) })
	}
}

// NewNoUpgrade returns APP.md's second server, to be mounted at /noupgrade/: upgrades
// disabled (Node's allowUpgrades: false).
func NewNoUpgrade() *hub.Server {
	srv := hub.New(&hub.Options{
		Path:            "/noupgrade/",
		PingInterval:    1000 * time.Millisecond,
		PingTimeout:     1000 * time.Millisecond,
		DisableUpgrades: true,
	})
	srv.OnConnection(func(s *hub.Socket) {
		s.Emit("welcome", map[string]string{"transport": s.Transport()})
		s.On("clients-count", func(ack hub.Ack) { ack(srv.ClientsCount()) })
	})
	return srv
}
