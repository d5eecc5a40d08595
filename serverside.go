package hub

import (
	"context"
	"runtime/debug"
)

// Server-side emits: events between the servers of a cluster, through the namespace's
// [Adapter] (Node's serverSideEmit and serverSideEmitWithAck).

// ServerSideEmit sends an event to this namespace on the other servers of a cluster (Node's
// nsp.serverSideEmit), where [Namespace.OnServerSideEmit] and
// [Namespace.OnServerSideEmitWithAck] handlers receive it. With the in-memory adapter there
// is no other server and nothing happens.
func (ns *Namespace) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if err := ns.open(); err != nil {
		return err
	}
	p, err := newEventPacket(ns.name, event, args)
	if err != nil {
		return err
	}
	return ns.adapter.ServerSideEmit(ctx, p)
}

// ServerSideEmitWithAck sends an event to this namespace on the other servers of a
// cluster, asking each for an acknowledgement, and waits for them (Node's
// nsp.serverSideEmitWithAck): it returns one Args per other server, holding the one value
// that server's [Namespace.OnServerSideEmitWithAck] handler gave its [Ack] (its first
// argument, as in Node). It blocks until every other server answered, ctx is done, or the
// adapter's own request timeout passes; then it returns the answers received so far and an
// error. With the in-memory adapter there is no other server: it returns no answers at once.
// On a dynamic parent namespace it fails with [ErrParentNamespace].
func (ns *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if err := ns.open(); err != nil {
		return nil, err
	}
	p, err := newEventPacket(ns.name, event, args)
	if err != nil {
		return nil, err
	}
	return ns.adapter.ServerSideEmitWithAck(ctx, p)
}

// OnServerSideEmit registers fn to receive the events other servers send with
// ServerSideEmit or ServerSideEmitWithAck (fn cannot answer the latter: see
// [Namespace.OnServerSideEmitWithAck]). fn runs on the adapter's goroutine: it must not
// block for long. A panic in fn is recovered and logged; the next handlers still run.
func (ns *Namespace) OnServerSideEmit(fn func(event string, args Args)) {
	ns.OnServerSideEmitWithAck(func(event string, args Args, _ Ack) { fn(event, args) })
}

// OnServerSideEmitWithAck registers fn to receive the events other servers send with
// ServerSideEmit or ServerSideEmitWithAck, with the [Ack] answering the latter (Node's
// nsp.on(event, (...args, cb) => …)); for an event that asked for no acknowledgement, ack
// does nothing. Only the first call of ack, by any handler, answers, and only with its first
// argument, as in Node; ack may be called later, from any goroutine. fn runs on the
// adapter's goroutine with the OnServerSideEmit handlers, in the order registered: it must
// not block for long. A panic in fn is recovered and logged; the next handlers still run.
func (ns *Namespace) OnServerSideEmitWithAck(fn func(event string, args Args, ack Ack)) {
	if fn == nil {
		panic("hub: nil server-side emit handler")
	}
	ns.mu.Lock()
	ns.onServerEmit = append(ns.onServerEmit, fn)
	ns.mu.Unlock()
}

// serverSideHandler calls a server-side emit handler; a panic is logged with its stack,
// not passed to the adapter's goroutine, where it would end the process.
func (ns *Namespace) serverSideHandler(fn func(string, Args, Ack), event string, args Args, ack Ack) {
	defer func() {
		if r := recover(); r != nil {
			ns.srv.opts.Logger.Error("hub: panic in server-side emit handler",
				"namespace", ns.name, "event", event, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(event, args, ack)
}

// ServerSideEmit sends an event to the main namespace of the other servers of a cluster
// (Node's io.serverSideEmit); see [Namespace.ServerSideEmit].
func (srv *Server) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	return srv.main.ServerSideEmit(ctx, event, args...)
}

// ServerSideEmitWithAck sends an event to the main namespace of the other servers of a
// cluster and waits for their acknowledgements (Node's io.serverSideEmitWithAck); see
// [Namespace.ServerSideEmitWithAck].
func (srv *Server) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return srv.main.ServerSideEmitWithAck(ctx, event, args...)
}

// OnServerSideEmit registers fn for the main namespace's server-side emits; see
// [Namespace.OnServerSideEmit].
func (srv *Server) OnServerSideEmit(fn func(event string, args Args)) {
	srv.main.OnServerSideEmit(fn)
}

// OnServerSideEmitWithAck registers fn for the main namespace's server-side emits, with
// the Ack answering those that ask for one; see [Namespace.OnServerSideEmitWithAck].
func (srv *Server) OnServerSideEmitWithAck(fn func(event string, args Args, ack Ack)) {
	srv.main.OnServerSideEmitWithAck(fn)
}
