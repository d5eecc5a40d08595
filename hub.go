package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/internal/clientjs"
	"github.com/hubkit/hub/internal/engine"
)

// Server is a Socket.IO server (Node's Server, the `io` of the JavaScript examples). It is
// an [http.Handler] for its path (mount it with mux.Handle("/socket.io/", srv), or wrap a
// handler with [Server.Handler]). Its methods are safe for concurrent use. The namespace
// methods (OnConnection, Use, Emit, To, …) act on the main namespace "/".
type Server struct {
	opts   Options
	engine *engine.Server
	main   *Namespace
	ctx    context.Context // parent of every socket's context; cancelled by Close/Shutdown
	cancel context.CancelFunc
	closed atomic.Bool
	obs    *observer // Options.Observer; nil without one

	workers tracker // handler goroutines of all clients

	mu      sync.RWMutex
	nsps    map[string]*Namespace // by name; guarded by mu
	parents []*Namespace          // dynamic parent namespaces, in creation order; guarded by mu

	onNewNamespace []func(*Namespace) // guarded by mu
}

// New returns a server configured by opts (nil means all defaults). Nothing is served until
// the server is mounted on an HTTP server.
func New(opts *Options) *Server {
	srv := &Server{opts: opts.withDefaults(), nsps: make(map[string]*Namespace)}
	srv.obs = newObserver(srv.opts.Observer, srv.opts.Logger)
	srv.ctx, srv.cancel = context.WithCancel(context.Background())
	srv.engine = engine.NewServer((*engineHandler)(srv), srv.opts.engineOptions())
	srv.main = srv.Of("/")
	return srv
}

// ServeHTTP serves one Engine.IO request: a handshake, a poll, a post, a WebSocket or an SSE
// stream. Every request reaching it is the engine's (or the client bundle's, see
// [Options.ClientJS]); route only the server's path to it.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !srv.opts.DisableClientJS && isClientJS(strings.TrimPrefix(r.URL.Path, srv.opts.Path)) {
		srv.opts.ClientJS.ServeHTTP(w, r)
		return
	}
	srv.engine.ServeHTTP(w, r)
}

// Handler returns a handler that serves the server's path (Options.Path, by prefix) and
// passes every other request to next (a 404 when next is nil). Use it to put Socket.IO in
// front of an application's router:
//
//	http.ListenAndServe(":8080", srv.Handler(mux))
func (srv *Server) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, srv.opts.Path) {
			srv.ServeHTTP(w, r)
			return
		}
		if next == nil {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isClientJS reports whether name, a request path relative to the server's path, names a
// client bundle file: socket.io*.js or socket.io*.js.map (socket.io.min.js,
// socket.io.esm.min.js, versioned names…).
func isClientJS(name string) bool {
	name = strings.TrimSuffix(name, ".map")
	return strings.HasPrefix(name, "socket.io") && strings.HasSuffix(name, ".js") && !strings.Contains(name, "/")
}

// ClientJSVersionedPath returns the path of the minified browser client under a versioned,
// immutable name (for example "/socket.io/socket.io.0123456789ab.min.js"), for pages that want it
// cached for a year. It changes whenever the client does.
func (srv *Server) ClientJSVersionedPath() string {
	return srv.opts.Path + clientjs.VersionedName(true)
}

// Shutdown stops accepting connections and closes every client with "server shutting
// down": queued packets are flushed, parked polls released at once. It then waits, until
// ctx is done, for the disconnect handlers and every handler goroutine to return, and
// closes the adapters. Handlers should watch their socket's Context. If ctx ends first, the
// remaining clients are closed hard — requests still reading or writing are cut short — and
// Shutdown returns ctx.Err() by the deadline, without waiting for their goroutines; call
// Close to wait for them.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.close()
	err := srv.engine.Shutdown(ctx)
	if werr := srv.workers.wait(ctx); werr != nil && err == nil {
		err = werr
	}
	srv.cancel()
	return errors.Join(err, srv.closeAdapters())
}

// Close closes every client at once ("server shutting down"), cutting short the requests in
// progress, and returns once the engine's goroutines and the handlers have returned. Handlers should watch their socket's Context.
func (srv *Server) Close() error {
	srv.close()
	srv.cancel()
	err := srv.engine.Close()
	srv.workers.wait(context.Background())
	return errors.Join(err, srv.closeAdapters())
}

// close marks the server closed: Of makes no more namespaces (addNamespace checks it under
// srv.mu, so closeAdapters sees every namespace made before).
func (srv *Server) close() {
	srv.mu.Lock()
	srv.closed.Store(true)
	srv.mu.Unlock()
}

func (srv *Server) closeAdapters() error {
	srv.mu.RLock()
	nsps := make([]*Namespace, 0, len(srv.nsps)+len(srv.parents))
	for _, ns := range srv.nsps {
		nsps = append(nsps, ns)
	}
	nsps = append(nsps, srv.parents...)
	srv.mu.RUnlock()
	var errs []error
	for _, ns := range nsps {
		if ns.adapterClosed.CompareAndSwap(false, true) {
			errs = append(errs, ns.adapter.Close())
		}
	}
	return errors.Join(errs...)
}

// Of returns the namespace called name, creating it (and its adapter) if needed. A name
// without a leading slash gets one. It never returns a dynamic parent namespace. After
// Shutdown or Close it creates no namespace and no adapter: a namespace it had not made
// before comes back detached, and its operations return [ErrServerClosed].
func (srv *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	srv.mu.RLock()
	ns := srv.nsps[name]
	srv.mu.RUnlock()
	if ns != nil {
		return ns
	}
	return srv.addNamespace(name, nil)
}

// addNamespace creates namespace name, a child of parent when not nil, unless another
// goroutine did first.
func (srv *Server) addNamespace(name string, parent *Namespace) *Namespace {
	ns := newNamespace(srv, name, parent)
	if srv.closed.Load() { // no adapter of a closed server: its factory may dial a cluster
		return ns.detach()
	}
	ns.adapter = srv.opts.Adapter(ns.seam()) // outside the lock: the factory may call back
	srv.mu.Lock()
	if srv.closed.Load() { // closed meanwhile: Close may have closed the adapters already
		srv.mu.Unlock()
		ns.adapter.Close()
		return ns.detach()
	}
	if old := srv.nsps[name]; old != nil {
		if parent != nil {
			old.acquire()
		}
		srv.mu.Unlock()
		ns.adapter.Close()
		return old
	}
	srv.nsps[name] = ns
	if parent != nil {
		ns.acquire() // for the connecting client, before another's release can reclaim it
		parent.addChild(ns)
	}
	fns := srv.onNewNamespace
	srv.mu.Unlock()
	for _, fn := range fns {
		srv.newNamespaceHandler(fn, ns)
	}
	return ns
}

// OnNewNamespace registers fn to run for every namespace created from now on, by Of or as
// the child of a dynamic parent (Node's io.on("new_namespace")); not for "/", which exists
// from the start, nor for dynamic parents. fn runs synchronously on the goroutine that made
// the namespace, right after: the caller of Of, or the handler goroutine of the client whose
// connection made a child, which connects once fn has returned, so fn may register the
// child's middleware and handlers. (A namespace made by Of is open to clients as Of makes
// it: one connecting at that very moment may do so before fn has run.) A panic in fn is
// recovered and logged.
func (srv *Server) OnNewNamespace(fn func(ns *Namespace)) {
	if fn == nil {
		panic("hub: nil new namespace handler")
	}
	srv.mu.Lock()
	srv.onNewNamespace = append(srv.onNewNamespace, fn)
	srv.mu.Unlock()
}

func (srv *Server) newNamespaceHandler(fn func(*Namespace), ns *Namespace) {
	defer func() {
		if r := recover(); r != nil {
			srv.opts.Logger.Error("hub: panic in a new namespace handler",
				"namespace", ns.name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(ns)
}

// OfFunc returns a dynamic parent namespace (Node's io.of(fn)): when a client connects to a
// namespace that does not exist and allow(name, auth) returns true, the namespace is
// created as a child of the parent. The parent's middleware and connection handlers apply
// to every child; its Emit and room operations reach every child. allow runs on the
// connecting client's handler goroutine, concurrently for different clients; a panic in it
// is logged and refuses the name. Parents are consulted in the order they were created.
// A child is removed, and its adapter closed, once its last socket has left (Node's
// cleanupEmptyChildNamespaces, which hub always does): keep no *Namespace of a child.
func (srv *Server) OfFunc(allow func(name string, auth json.RawMessage) bool) *Namespace {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	ns := newNamespace(srv, "/_"+strconv.Itoa(len(srv.parents)), nil)
	ns.allow = allow
	ns.adapter = &parentAdapter{ns: ns}
	srv.parents = append(srv.parents, ns)
	return ns
}

// OfPattern returns a dynamic parent namespace whose children are the namespaces whose
// name matches re (Node's io.of(/regexp/)); see [Server.OfFunc].
func (srv *Server) OfPattern(re *regexp.Regexp) *Namespace {
	return srv.OfFunc(func(name string, _ json.RawMessage) bool { return re.MatchString(name) })
}

// lookup returns the namespace a client may connect to as name: an existing one, or a new
// child of the first dynamic parent that allows it; nil if none. A dynamic child returned
// is acquired: the connecting socket releases it (Namespace.release).
func (srv *Server) lookup(name string, auth json.RawMessage) *Namespace {
	srv.mu.RLock()
	ns := srv.nsps[name]
	if ns != nil {
		ns.acquire() // under srv.mu: an empty dynamic child is not reclaimed now
	}
	parents := srv.parents
	srv.mu.RUnlock()
	if ns != nil {
		return ns
	}
	for _, p := range parents {
		if p.allows(name, auth) {
			return srv.addNamespace(name, p)
		}
	}
	return nil
}

// Main-namespace shortcuts (Node's io.on, io.use, io.emit, io.to…).

// OnConnection registers fn to run for every socket connecting to the main namespace "/";
// see [Namespace.OnConnection].
func (srv *Server) OnConnection(fn func(s *Socket)) { srv.main.OnConnection(fn) }

// Use adds connection middleware to the main namespace; see [Namespace.Use].
func (srv *Server) Use(fn func(s *Socket) error) { srv.main.Use(fn) }

// Emit sends an event to every socket of the main namespace; see [Namespace.Emit].
func (srv *Server) Emit(event string, args ...any) error { return srv.main.Emit(event, args...) }

// EmitWithAck sends an event to every socket of the main namespace and collects their
// answers; see [BroadcastOperator.EmitWithAck].
func (srv *Server) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return srv.main.EmitWithAck(ctx, event, args...)
}

// To selects the sockets of the main namespace in any of rooms; see [BroadcastOperator].
func (srv *Server) To(rooms ...string) BroadcastOperator { return srv.main.To(rooms...) }

// In is To.
func (srv *Server) In(rooms ...string) BroadcastOperator { return srv.main.In(rooms...) }

// Except selects the sockets of the main namespace in none of rooms.
func (srv *Server) Except(rooms ...string) BroadcastOperator { return srv.main.Except(rooms...) }

// Volatile returns an operator on the main namespace whose events may be dropped.
func (srv *Server) Volatile() BroadcastOperator { return srv.main.Volatile() }

// Local returns an operator on the main namespace restricted to this server.
func (srv *Server) Local() BroadcastOperator { return srv.main.Local() }

// Timeout returns an operator on the main namespace whose EmitWithAck waits at most d.
func (srv *Server) Timeout(d time.Duration) BroadcastOperator { return srv.main.Timeout(d) }

// FetchSockets describes the sockets of the main namespace; see [BroadcastOperator.FetchSockets].
func (srv *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return srv.main.FetchSockets(ctx)
}

// SocketsJoin makes every socket of the main namespace join rooms.
func (srv *Server) SocketsJoin(rooms ...string) error { return srv.main.SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms.
func (srv *Server) SocketsLeave(rooms ...string) error { return srv.main.SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the main namespace.
func (srv *Server) DisconnectSockets(close bool) error { return srv.main.DisconnectSockets(close) }

// engineHandler is the Server as the engine sees it.
type engineHandler Server

// Open starts the Socket.IO client of a new Engine.IO session.
func (h *engineHandler) Open(sess *engine.Session) engine.Conn {
	return newConn((*Server)(h), sess)
}

// tracker counts running goroutines and lets Shutdown wait for them. Unlike a
// sync.WaitGroup, add may race with wait.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0; guarded by mu
}

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
	t.mu.Unlock()
}

func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	zero := t.zero
	t.mu.Unlock()
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
