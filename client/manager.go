package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/internal/sio"
)

// Manager is one connection to a Socket.IO server (an Engine.IO session), shared by the
// sockets of every namespace it serves, like socket.io-client's Manager. It opens the
// connection when a socket connects, reconnects with exponential backoff and jitter when the
// connection is lost (unless [Options.DisableReconnection]), and closes it when no socket
// wants it any more.
//
// The handlers of all the Manager's sockets run on one goroutine, in the order the events
// arrived; see the package documentation for the full concurrency contract. A Manager's
// methods are safe for concurrent use. [Manager.Close] must be called to release it.
type Manager struct {
	opts      Options
	cfg       *engineConfig
	ownClient bool // cfg.client is ours: Close closes its idle connections
	disp      *dispatcher

	ctx     context.Context // cancelled by Close: aborts an opening or a backoff wait
	cancel  context.CancelFunc
	kick    chan struct{} // cap 1: a socket wants the connection open
	runDone chan struct{} // closed when run has returned

	closeOnce sync.Once

	mu      sync.Mutex         // guards the fields below and the state of every Socket
	engine  *engine            // the open session, nil between sessions
	sockets map[string]*Socket // by namespace
	closed  bool
}

// NewManager returns a Manager for the server at rawURL (scheme http, https, ws or wss; the
// host; a query that is sent with every request). The URL's path is not used: the
// Socket.IO path is [Options.Path]. The Manager connects once one of its sockets does.
func NewManager(rawURL string, opts *Options) (*Manager, error) {
	o := opts.withDefaults()
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	base := &url.URL{Host: u.Host}
	switch u.Scheme {
	case "http", "ws":
		base.Scheme = "http"
	case "https", "wss":
		base.Scheme = "https"
	default:
		return nil, fmt.Errorf("client: bad url %q: scheme must be http, https, ws or wss", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: bad url %q: no host", rawURL)
	}
	base.Path = "/" + strings.Trim(o.Path, "/") + "/"
	if base.Path == "//" {
		base.Path = "/"
	}
	q := u.Query()
	for k, vs := range o.Query {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	base.RawQuery = q.Encode()
	for _, t := range o.Transports {
		if t != TransportPolling && t != TransportWebSocket && t != TransportSSE {
			return nil, fmt.Errorf("client: unknown transport %q", t)
		}
	}
	m := &Manager{
		opts:    o,
		disp:    newDispatcher(),
		kick:    make(chan struct{}, 1),
		runDone: make(chan struct{}),
		sockets: make(map[string]*Socket),
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		m.ownClient = true
	}
	m.cfg = &engineConfig{
		base:       base,
		transports: o.Transports,
		upgrade:    !o.DisableUpgrade,
		header:     o.Header.Clone(),
		client:     hc,
		queueSize:  o.SendQueue,
		maxMessage: o.MaxMessageSize,
		logger:     o.Logger,
		afterProbe: o.afterProbe,
	}
	if m.cfg.header == nil {
		m.cfg.header = http.Header{}
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.run()
	go runDispatcher(m.disp)
	return m, nil
}

// Socket returns the socket of namespace nsp ("/" when empty), making it on first use. A new
// socket is not connected: register its handlers, then call [Socket.Connect]. opts is used
// only when the socket is made.
func (m *Manager) Socket(nsp string, opts *SocketOptions) *Socket {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.sockets[nsp]; s != nil && !s.closed {
		return s
	}
	s := &Socket{
		m:        m,
		nsp:      nsp,
		auth:     m.opts.Auth,
		acks:     make(map[int64]*pendingAck),
		handlers: make(map[string][]sio.Handler),
		reserved: make(map[string][]func(any)),
		closed:   m.closed,
	}
	if opts != nil && opts.Auth != nil {
		s.auth = opts.Auth
	}
	m.sockets[nsp] = s
	return s
}

// Close disconnects every socket (their "disconnect" handlers see
// [ReasonClientDisconnect]), writes what is queued (for a short while at most), closes the
// connection and returns once every goroutine of the Manager has exited and every handler
// has returned. Called from a handler — of this Manager or of another — it does not wait for
// the handler goroutine (which may be its own caller, or waiting for it): that goroutine
// exits once its handler returns. Close is idempotent.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		for _, s := range m.sockets {
			s.disconnectLocked(ErrClosed)
			s.closed = true
		}
		e := m.engine
		m.mu.Unlock()
		if e != nil {
			e.close()
		}
		m.cancel()
		<-m.runDone
		m.disp.close()
	})
	<-m.runDone
	if !onHandlerGoroutine() {
		<-m.disp.done
	}
	if m.ownClient {
		m.cfg.client.CloseIdleConnections()
	}
	return nil
}

// run owns the connection: it opens it when a socket asks, and reopens it after a loss.
func (m *Manager) run() {
	defer close(m.runDone)
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.kick:
		}
		if m.wantsOpen() {
			m.connectLoop()
		}
	}
}

// wantsOpen reports whether some socket wants the connection.
func (m *Manager) wantsOpen() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	for _, s := range m.sockets {
		if s.active {
			return true
		}
	}
	return false
}

// connectLoop opens the connection, serves it, and reopens it with backoff after a loss,
// until the Manager closes, no socket wants it, or reconnection is off or gives up.
func (m *Manager) connectLoop() {
	b := backoff{
		min:    m.opts.ReconnectionDelay,
		max:    m.opts.ReconnectionDelayMax,
		jitter: m.opts.RandomizationFactor,
	}
	for {
		e, err := m.open()
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			m.openFailed(err)
			if m.opts.DisableReconnection || !m.wantsOpen() || !m.backoffWait(&b, err) {
				return
			}
			continue
		}
		b.attempts = 0
		reason := m.serve(e)
		switch {
		case m.ctx.Err() != nil || !m.wantsOpen():
			return
		case reason == reasonForcedClose:
			// Closed by us when its last socket left; a socket wants it again.
			continue
		case m.opts.DisableReconnection || !m.backoffWait(&b, nil):
			return
		}
	}
}

// backoffWait waits before the next attempt; false when the attempts are exhausted, the
// Manager closes, or no socket wants the connection any more.
func (m *Manager) backoffWait(b *backoff, lastErr error) bool {
	if limit := m.opts.ReconnectionAttempts; limit > 0 && b.attempts >= limit {
		m.reconnectFailed(lastErr)
		return false
	}
	t := time.NewTimer(b.duration())
	defer t.Stop()
	select {
	case <-t.C:
		return m.wantsOpen()
	case <-m.ctx.Done():
		return false
	}
}

// open opens an Engine.IO session, within Options.Timeout.
func (m *Manager) open() (*engine, error) {
	ctx, cancel := context.WithTimeout(m.ctx, m.opts.Timeout)
	defer cancel()
	dec := sio.NewDecoder(m.opts.Parser, 0)
	return dialEngine(ctx, m.cfg, func(e *engine, p eio.Packet) { m.onMessage(e, dec, p) })
}

// serve runs one open session until it ends, and returns why it ended.
func (m *Manager) serve(e *engine) DisconnectReason {
	m.mu.Lock()
	m.engine = e
	var connect []*Socket
	for _, s := range m.sockets {
		if s.active {
			s.connectOn = e
			connect = append(connect, s)
		}
	}
	m.mu.Unlock()
	if len(connect) == 0 {
		e.close()
	}
	for _, s := range connect {
		s.sendConnect(e)
	}
	select {
	case <-e.closed:
	case <-m.ctx.Done():
		e.close()
	}
	reason, err := e.wait()
	if errors.Is(err, ErrMessageTooBig) {
		m.opts.Logger.Warn("client: connection closed", "reason", reason, "err", err)
	} else {
		m.opts.Logger.Debug("client: connection closed", "reason", reason, "err", err)
	}
	m.mu.Lock()
	m.engine = nil
	for _, s := range m.sockets {
		s.engineClosedLocked(e, reason)
	}
	m.mu.Unlock()
	return reason
}

// openFailed tells the sockets waiting for the connection that it could not be opened.
func (m *Manager) openFailed(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sockets {
		if s.active && !s.connected {
			s.lastErr = err
			s.emitReservedLocked("connect_error", err)
			if m.opts.DisableReconnection {
				s.resolveWaitersLocked(err)
			}
		}
	}
}

// reconnectFailed tells the waiting sockets that the Manager gave up.
func (m *Manager) reconnectFailed(lastErr error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := ErrReconnectFailed
	if lastErr != nil {
		err = fmt.Errorf("%w: %w", ErrReconnectFailed, lastErr)
	}
	for _, s := range m.sockets {
		if s.active && !s.connected {
			s.resolveWaitersLocked(err)
		}
	}
}

// closeIfUnusedLocked closes the connection once no socket wants it (the caller holds mu
// and calls close on the result after unlocking).
func (m *Manager) closeIfUnusedLocked() *engine {
	if m.engine == nil {
		return nil
	}
	for _, s := range m.sockets {
		if s.active {
			return nil
		}
	}
	return m.engine
}

// onMessage decodes one Engine.IO message of session e into Socket.IO packets. It runs on
// the session's read loop.
func (m *Manager) onMessage(e *engine, dec parser.PacketDecoder, p eio.Packet) {
	var (
		sp  *parser.Packet
		err error
	)
	if p.Binary {
		sp, err = dec.Binary(p.Data)
	} else {
		sp, err = dec.Text(p.Data)
	}
	if err != nil {
		e.end(ReasonParseError, err)
		return
	}
	if sp == nil {
		return // waiting for attachments
	}
	m.mu.Lock()
	if s := m.sockets[sp.Namespace]; s != nil {
		s.onPacketLocked(e, sp)
	}
	m.mu.Unlock()
	m.disp.wait(e.ctx)
}

// parseConnectError reads a CONNECT_ERROR payload: {"message":…,"data":…} or a string.
func parseConnectError(data json.RawMessage) *ConnectError {
	var obj struct {
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &obj); err == nil {
		return &ConnectError{Message: obj.Message, Data: obj.Data}
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		return &ConnectError{Message: s}
	}
	return &ConnectError{Message: string(data)}
}

// backoff is socket.io-client's exponential backoff with jitter.
type backoff struct {
	min, max time.Duration
	jitter   float64
	attempts int
}

// duration returns the next delay: min×2^attempts, randomised by ±jitter, capped at max.
func (b *backoff) duration() time.Duration {
	ms := float64(b.min) * math.Pow(2, float64(b.attempts))
	b.attempts++
	ms = min(ms, 1000*float64(b.max))
	if b.jitter > 0 {
		r := rand.Float64()
		dev := math.Floor(r * b.jitter * ms)
		if int(math.Floor(r*10))&1 == 0 {
			ms -= dev
		} else {
			ms += dev
		}
	}
	return min(time.Duration(ms), b.max)
}

var errV2Server = errors.New("client: It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible")

// parseURL parses a server URL.
func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: bad url: %w", err)
	}
	return u, nil
}

// Transport returns the name of the transport the connection uses now
// ([TransportPolling], [TransportWebSocket] or [TransportSSE]), "" while there is no
// connection.
func (m *Manager) Transport() string {
	m.mu.Lock()
	e := m.engine
	m.mu.Unlock()
	if e == nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return ""
	}
	return e.tr.name()
}
