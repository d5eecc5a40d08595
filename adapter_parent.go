package hub

import (
	"context"
	"errors"
	"sync"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// parentAdapter is the adapter of a dynamic parent namespace: operations go to every child
// (Node's ParentBroadcastAdapter); FetchSockets is refused, as in Node.
type parentAdapter struct {
	ns *Namespace
}

func (a *parentAdapter) AddAll(id string, rooms ...string) {}
func (a *parentAdapter) Del(id, room string)               {}
func (a *parentAdapter) DelAll(id string)                  {}
func (a *parentAdapter) SocketRooms(id string) []string    { return nil }

func (a *parentAdapter) Broadcast(p *socketio.Packet, opts adapter.BroadcastOptions) error {
	var errs []error
	for _, c := range a.ns.childList() {
		q := *p
		q.Namespace = c.name
		errs = append(errs, c.adapter.Broadcast(&q, opts))
	}
	return errors.Join(errs...)
}

func (a *parentAdapter) BroadcastWithAck(ctx context.Context, p *socketio.Packet, opts adapter.BroadcastOptions, clientCount func(int), ack func(socketio.Args)) error {
	// The children's local counts arrive synchronously (the in-memory adapter reports before
	// returning): report their sum once, as one server. Counts a cluster adapter reports
	// later for other servers are passed on as they come.
	var mu sync.Mutex
	total, reported := 0, false
	count := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		if reported {
			clientCount(n)
			return
		}
		total += n
	}
	var errs []error
	for _, c := range a.ns.childList() {
		q := *p
		q.Namespace = c.name
		errs = append(errs, c.adapter.BroadcastWithAck(ctx, &q, opts, count, ack))
	}
	mu.Lock()
	reported = true
	clientCount(total)
	mu.Unlock()
	return errors.Join(errs...)
}

func (a *parentAdapter) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	var ids []string
	for _, c := range a.ns.childList() {
		more, err := c.adapter.Sockets(ctx, rooms)
		if err != nil {
			return ids, err
		}
		ids = append(ids, more...)
	}
	return ids, nil
}

func (a *parentAdapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	return nil, ErrParentNamespace
}

func (a *parentAdapter) each(fn func(adapter.Adapter) error) error {
	var errs []error
	for _, c := range a.ns.childList() {
		errs = append(errs, fn(c.adapter))
	}
	return errors.Join(errs...)
}

func (a *parentAdapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) error {
	return a.each(func(c adapter.Adapter) error { return c.AddSockets(opts, rooms) })
}

func (a *parentAdapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) error {
	return a.each(func(c adapter.Adapter) error { return c.DelSockets(opts, rooms) })
}

func (a *parentAdapter) DisconnectSockets(opts adapter.BroadcastOptions, close bool) error {
	return a.each(func(c adapter.Adapter) error { return c.DisconnectSockets(opts, close) })
}

func (a *parentAdapter) ServerSideEmit(ctx context.Context, p *socketio.Packet) error {
	return ErrParentNamespace
}

func (a *parentAdapter) PersistSession(st *adapter.SessionState) {}

func (a *parentAdapter) RestoreSession(ctx context.Context, pid, offset string) (*adapter.SessionState, error) {
	return nil, nil
}

func (a *parentAdapter) ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error) {
	return nil, ErrParentNamespace
}

func (a *parentAdapter) ServerCount(ctx context.Context) (int, error) { return 1, nil }
func (a *parentAdapter) Close() error                                 { return nil }
