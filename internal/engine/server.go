package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/internal/transport"
)

// Server is the Engine.IO server: an http.Handler for the engine's path. Create it with
// [NewServer]; its methods are safe for concurrent use.
type Server struct {
	h          Handler
	opts       Options
	transports map[string]transport.Transport
	track      tracker      // sessions and their goroutines
	opened     atomic.Int64 // sessions not closing yet (Node's clientsCount)

	mu       sync.Mutex          // guards the fields below
	sessions map[string]*Session // open sessions by id
	live     map[*Session]bool   // sessions not finished yet, closing ones included
	closing  bool
}

// NewServer returns a server that hands sessions to h. opts may be nil.
func NewServer(h Handler, opts *Options) *Server {
	srv := &Server{h: h, sessions: make(map[string]*Session), live: make(map[*Session]bool)}
	if opts != nil {
		srv.opts = *opts
	}
	o := &srv.opts
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 20 * time.Second
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = 10 * time.Second
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 1e6
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = 4 << 20
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 16 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Cookie = cookieTemplate(o.Cookie)
	if o.Transports == nil {
		o.Transports = []transport.Transport{transport.Polling{}, transport.SSE{}, transport.WebSocket{UpgradeTimeout: o.UpgradeTimeout}}
	}
	srv.transports = make(map[string]transport.Transport, len(o.Transports))
	for _, t := range o.Transports {
		srv.transports[t.Name()] = t
	}
	return srv
}

// Error codes of the Engine.IO HTTP error responses (the JSON body's "code").
const (
	codeUnknownTransport = 0
	codeUnknownSID       = 1
	codeBadHandshake     = 2
	codeBadRequest       = 3
	codeForbidden        = 4
	codeUnsupported      = 5
)

var errorMessages = [...]string{"Transport unknown", "Session ID unknown", "Bad handshake method", "Bad request", "Forbidden", "Unsupported protocol version"}

// ServeHTTP serves one Engine.IO request: a handshake, a poll or upload, a WebSocket, an SSE
// stream. Requests are checked in the Node server's order, and refused with its status codes
// and JSON bodies.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if headerSize(r) > srv.opts.MaxHeaderBytes {
		// Node's HTTP server answers 431 with no body past its maxHeaderSize; net/http lets
		// 1 MB through by default, and a session keeps its handshake request.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	if srv.opts.CORS != nil && srv.cors(w, r) {
		return // a preflight, answered
	}
	q := r.URL.Query()
	t, ok := srv.transports[q.Get("transport")]
	if !ok {
		srv.refuse(w, r, http.StatusBadRequest, codeUnknownTransport, "", map[string]any{"transport": q.Get("transport")})
		return
	}
	if origin := r.Header.Get("Origin"); !validOrigin(origin) {
		srv.refuse(w, r, http.StatusBadRequest, codeBadRequest, "", map[string]any{"name": "INVALID_ORIGIN", "origin": origin})
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && isWebSocket(r) && !srv.allowsWebSocket(origin, r) {
		// Browsers apply no CORS to WebSockets, and send the site's cookies: a page on any
		// other site could open one in its visitor's name (stricter than Node, which lets it).
		const msg = "Cross-origin WebSocket refused: list the origin in the server's CORS option"
		srv.refuse(w, r, http.StatusForbidden, codeForbidden, msg, map[string]any{"message": msg, "origin": origin})
		return
	}
	if sid := q.Get("sid"); sid != "" {
		srv.mu.Lock()
		s := srv.sessions[sid]
		srv.mu.Unlock()
		if s == nil {
			srv.refuse(w, r, http.StatusBadRequest, codeUnknownSID, "", map[string]any{"sid": sid})
			return
		}
		srv.serveSession(w, r, s, t)
		return
	}
	if r.Method != http.MethodGet {
		srv.refuse(w, r, http.StatusBadRequest, codeBadHandshake, "", map[string]any{"method": r.Method})
		return
	}
	if !t.Accepts(r) {
		srv.refuse(w, r, http.StatusBadRequest, codeBadRequest, "", map[string]any{"name": "TRANSPORT_HANDSHAKE_ERROR"})
		return
	}
	if srv.opts.AllowRequest != nil {
		if err := srv.opts.AllowRequest(r); err != nil {
			srv.refuse(w, r, http.StatusForbidden, codeForbidden, err.Error(), map[string]any{"message": err.Error()})
			return
		}
	}
	if q.Get("EIO") != "4" {
		srv.refuse(w, r, http.StatusBadRequest, codeUnsupported, "", map[string]any{"protocol": 3}) // Node's word for anything but 4
		return
	}
	id := newSessionID()
	// Node sets the cookie on an HTTP handshake only: a WebSocket has no later request.
	if !srv.headers(w, r, id, true, !t.Upgradable()) {
		srv.refuseHooked(w, r)
		return
	}
	s, opened := srv.open(r, t, id)
	if s == nil || !opened {
		w.Header().Del("Set-Cookie") // no such session
	}
	if s == nil {
		srv.refuse(w, r, http.StatusServiceUnavailable, codeBadRequest, "server shutting down", map[string]any{"name": "SERVER_SHUTTING_DOWN"})
		return
	}
	if !opened { // Handler.Open panicked: the session is closed already
		srv.refuse(w, r, http.StatusInternalServerError, codeBadRequest, "Internal server error", map[string]any{"name": "HANDLER_PANIC"})
		return
	}
	srv.serve(w, r, t, &binding{s: s, name: t.Name()}, s.requestDone)
}

// serve runs one transport request, counted so that Close waits for it; after runs once the
// request is done: when Serve returns, or later if the transport detached it.
func (srv *Server) serve(w http.ResponseWriter, r *http.Request, t transport.Transport, b *binding, after func()) {
	srv.track.add()
	b.end = func() {
		b.release()
		after()
		srv.track.done()
	}
	b.w = w
	b.s.enter(b)
	defer func() {
		p := recover()
		b.s.leave(b)
		if p != nil {
			// The session ends, the request is released and counted done, and net/http
			// drops the connection without logging again.
			b.s.panicked("transport "+b.name, p)
		}
		if !b.detached {
			b.end()
		}
		if p != nil {
			panic(http.ErrAbortHandler)
		}
	}()
	t.Serve(w, r, b)
}

// serveSession routes a request that names an existing session.
func (srv *Server) serveSession(w http.ResponseWriter, r *http.Request, s *Session, t transport.Transport) {
	name := t.Name()
	s.mu.Lock()
	if name == s.transport && s.probed && r.Method == http.MethodGet && !t.Upgradable() {
		// A poll after the probe succeeded: the client may have sent the upgrade packet
		// already, then this poll (protocol.md §4 item 22). Wait a little for the WebSocket
		// to complete the upgrade (then this is a transport mismatch) or abandon it.
		if !srv.settle(r, s) {
			return
		}
		s.mu.Lock()
	}
	current := srv.transports[s.transport]
	switch {
	case s.state != stateOpen && !(s.drain && name == s.transport):
		s.mu.Unlock()
		srv.refuse(w, r, http.StatusBadRequest, codeUnknownSID, "", map[string]any{"sid": s.id})
	case name == s.transport && !t.Upgradable() && t.Accepts(r):
		s.active++
		s.mu.Unlock()
		if !srv.headers(w, r, s.id, false, false) {
			s.requestDone()
			srv.refuseHooked(w, r)
			return
		}
		srv.serve(w, r, t, &binding{s: s, name: name}, s.requestDone)
	case name != s.transport && t.Upgradable() && !current.Upgradable() && !s.upgrading && t.Accepts(r) && !srv.opts.DisableUpgrades:
		s.upgrading = true
		s.mu.Unlock()
		if !srv.headers(w, r, s.id, false, false) {
			s.mu.Lock()
			s.upgrading = false
			s.settled()
			s.mu.Unlock()
			srv.refuseHooked(w, r)
			return
		}
		b := &binding{s: s, name: name, upgrading: true}
		srv.serve(w, r, t, b, func() {
			b.AbortUpgrade() // no-op unless Serve gave up half way
			if b.counted {
				s.requestDone()
			}
		})
	case t.Upgradable() && t.Accepts(r) && (name == s.transport || s.upgrading):
		// A second WebSocket for a session that has one, or is upgrading to one: Node
		// completes its handshake, then closes it, so that the client sees a close, not an
		// HTTP error.
		s.mu.Unlock()
		if rj, ok := t.(transport.Rejecter); ok {
			if !srv.headers(w, r, s.id, false, false) {
				srv.refuseHooked(w, r)
				return
			}
			rj.Reject(w, r)
			return
		}
		srv.refuse(w, r, http.StatusBadRequest, codeBadRequest, "", map[string]any{"name": "TRANSPORT_MISMATCH", "transport": name, "previousTransport": current.Name()})
	default:
		// Another transport than the session's without a possible upgrade (or with upgrades
		// disabled), or a method the transport does not take.
		s.mu.Unlock()
		srv.refuse(w, r, http.StatusBadRequest, codeBadRequest, "", map[string]any{"name": "TRANSPORT_MISMATCH", "transport": name, "previousTransport": current.Name()})
	}
}

// upgradeSettle bounds how long a poll on the old transport waits for an upgrade whose probe
// succeeded to complete. The frames a client sent before the poll are read within
// microseconds; a client that polled again before it paused for the upgrade (it has not sent
// the upgrade packet yet, and waits for this poll) gets its noop after this: Node answers
// such polls on a 100 ms tick too.
const upgradeSettle = 100 * time.Millisecond

// settle waits, s.mu held and released, until the upgrade in progress completes or is
// abandoned, or upgradeSettle passes. It reports false if r ended first (r is then done).
func (srv *Server) settle(r *http.Request, s *Session) bool {
	if s.settleCh == nil {
		s.settleCh = make(chan struct{})
	}
	settled, done := s.settleCh, s.doneChan()
	s.mu.Unlock()
	t := time.NewTimer(upgradeSettle)
	defer t.Stop()
	select {
	case <-settled:
	case <-done:
	case <-t.C:
	case <-r.Context().Done():
		return false
	}
	return true
}

// open creates a session for a handshake request, or returns nil when shutting down. opened
// is false if the Handler's Open panicked (the session is then closed).
func (srv *Server) open(r *http.Request, t transport.Transport, id string) (s *Session, opened bool) {
	s = &Session{
		id:        id,
		srv:       srv,
		transport: t.Name(),
		active:    1, // the handshake request
	}
	s.req = newRequest(r)
	s.values = context.WithoutCancel(r.Context())
	s.queue = append(s.queue, Packet{Type: Open, Data: srv.openData(s.id, t)})
	srv.mu.Lock()
	if srv.closing {
		srv.mu.Unlock()
		return nil, false
	}
	srv.sessions[s.id] = s
	srv.live[s] = true
	srv.opened.Add(1) // until close
	srv.track.add()   // released by finish
	srv.mu.Unlock()
	// Under recvMu: a Close racing the handshake tells the Conn only once it is there.
	s.recvMu.Lock()
	func() {
		defer s.recoverPanic("Handler.Open")
		s.conn = srv.h.Open(s)
		opened = true
	}()
	s.recvMu.Unlock()
	s.mu.Lock()
	if s.state == stateOpen {
		s.pingTimer = time.AfterFunc(srv.opts.PingInterval, s.ping)
	}
	s.mu.Unlock()
	return s, opened
}

// newSessionID returns a random session id: 15 random bytes, 20 characters.
func newSessionID() string {
	var raw [15]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// openData is the open packet's JSON, fields in Node's order.
func (srv *Server) openData(sid string, t transport.Transport) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, `","upgrades":[`...)
	if !t.Upgradable() && !srv.opts.DisableUpgrades {
		n := 0
		for _, u := range srv.opts.Transports {
			if u.Upgradable() && u.Name() != t.Name() {
				if n > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendQuote(b, u.Name())
				n++
			}
		}
	}
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, srv.opts.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, srv.opts.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, srv.opts.MaxPayload, 10)
	return append(b, '}')
}

func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	srv.mu.Unlock()
}

// refuseHooked refuses a request whose Options.Headers panicked. What the hook had set stays
// (the headers are not copied beforehand for the rare panic); the session's cookie goes.
func (srv *Server) refuseHooked(w http.ResponseWriter, r *http.Request) {
	w.Header().Del("Set-Cookie")
	srv.refuse(w, r, http.StatusInternalServerError, codeBadRequest, "Internal server error", map[string]any{"name": "HEADERS_HOOK_PANIC"})
}

// refuse writes an Engine.IO error: JSON for HTTP requests, plain text for WebSocket handshakes
// (as Node does), after telling Options.OnConnectionError with context. msg overrides the
// standard message.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request, status, code int, msg string, context map[string]any) {
	srv.connectionError(r, code, context)
	if msg == "" {
		msg = errorMessages[code]
	}
	h := w.Header()
	if r.Header.Get("Upgrade") != "" {
		h.Set("Content-Type", "text/html")
		h.Set("Connection", "close")
		w.WriteHeader(status)
		w.Write([]byte(msg))
		return
	}
	body := strconv.AppendQuote([]byte(`{"code":`+strconv.Itoa(code)+`,"message":`), msg)
	body = append(body, '}')
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// headerSize is the size of r's request line and headers as they came on the wire, give or
// take the spaces the client put around values.
func headerSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.RequestURI == "" {
		n += len(r.URL.Path) + len(r.URL.RawQuery) + 1
	}
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}

// validOrigin rejects Origin headers with characters no origin has (Node's check).
func validOrigin(o string) bool {
	for i := 0; i < len(o); i++ {
		if c := o[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// OpenSessions returns the number of sessions not closing yet, as Node's clientsCount:
// a session stops counting the moment it starts closing.
func (srv *Server) OpenSessions() int { return int(srv.opened.Load()) }

// Sessions returns the number of sessions in the server's table: open ones, and closing ones
// whose final packets still wait for a poll.
func (srv *Server) Sessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// Shutdown stops new handshakes, closes every session with ReasonShutdown — queued packets
// and a close packet are flushed, parked polls answered at once — and waits until every
// session and its goroutines have finished, or until ctx is done: then it closes the rest
// hard, as Close does, and returns ctx.Err() at once, without waiting for their goroutines
// to exit (call Close for that), as http.Server.Shutdown does.
func (srv *Server) Shutdown(ctx context.Context) error {
	for _, s := range srv.stop() {
		s.Close(ReasonShutdown)
	}
	select {
	case <-srv.track.idle():
		return nil
	case <-ctx.Done():
		srv.closeAll()
		return ctx.Err()
	}
}

// Close closes every session at once, without waiting for the final packets to be written,
// and returns when their goroutines have exited. Requests in progress are cut short: a body
// still being read, or an answer still being written, fails at once.
func (srv *Server) Close() error {
	srv.closeAll()
	<-srv.track.idle()
	return nil
}

// closeAll finishes every session and aborts the requests being served.
func (srv *Server) closeAll() {
	srv.stop()
	srv.mu.Lock()
	list := make([]*Session, 0, len(srv.live))
	for s := range srv.live {
		list = append(list, s)
	}
	srv.mu.Unlock()
	for _, s := range list {
		s.close(ReasonShutdown, nil, nil, false)
		s.finish()
		s.abortRequests()
	}
}

func (srv *Server) stop() []*Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.closing = true
	list := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		list = append(list, s)
	}
	return list
}

// tracker counts what must end before Shutdown and Close return: unfinished sessions, their
// close notifications and the transport requests being served.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.zero != nil {
		close(t.zero)
		t.zero = nil
	}
	t.mu.Unlock()
}

// idle returns a channel closed once the count is zero.
func (t *tracker) idle() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.zero
	if t.n == 0 {
		c = make(chan struct{})
		close(c)
	} else if c == nil {
		t.zero = make(chan struct{})
		c = t.zero
	}
	return c
}
