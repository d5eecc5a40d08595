package hub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// The namespace's side of the adapter seam: what a namespace's [adapter.Adapter] may do to
// the namespace's sockets of this process. Apps never see it; adapters get it as their
// constructor's adapter.Namespace.

// nsSockets is a Namespace as its adapter sees it: the same value, with the methods of
// [adapter.Namespace] rather than the app's.
type nsSockets Namespace

var _ adapter.Namespace = (*nsSockets)(nil)

func (ns *Namespace) seam() *nsSockets { return (*nsSockets)(ns) }

func (v *nsSockets) ns() *Namespace { return (*Namespace)(v) }

// Name returns the namespace's name.
func (v *nsSockets) Name() string { return v.name }

// Connected reports whether socket id is connected to the namespace.
func (v *nsSockets) Connected(id string) bool { return v.ns().connectedSocket(id) != nil }

// each calls fn for each connected socket of ids, looked up under one read lock; fn runs
// without it.
func (v *nsSockets) each(ids []string, fn func(s *Socket)) {
	tp := targetPool.Get().(*[]*Socket)
	targets := (*tp)[:0]
	v.mu.RLock()
	for _, id := range ids {
		if s := v.sockets[id]; s != nil && s.state.Load() == stateConnected {
			targets = append(targets, s)
		}
	}
	v.mu.RUnlock()
	for _, s := range targets {
		fn(s)
	}
	clear(targets)
	*tp = targets[:0]
	targetPool.Put(tp)
}

// targetPool recycles the socket lists of broadcasts, so that a broadcast costs no
// allocation per recipient.
var targetPool = sync.Pool{New: func() any { s := make([]*Socket, 0, 64); return &s }}

// Send encodes p once and queues the same engine packets on each socket, telling their
// outgoing listeners.
func (v *nsSockets) Send(p *socketio.Packet, ids []string, volatile bool) error {
	pkts, err := v.srv.encodePacket(p)
	if err != nil {
		return err
	}
	out := outgoingNotice{p: p}
	v.each(ids, func(s *Socket) {
		if s.write(pkts, volatile) == nil {
			out.notify(s)
		}
	})
	return nil
}

// SendWithAck sends p with a fresh ack id of the namespace to each socket, which awaits
// the answer until ctx is done or timeout (the server's default when zero) has passed. The
// sockets join the wait of the EmitWithAck that asked, if ctx carries one, which ends it on
// return; else a wait of their own.
func (v *nsSockets) SendWithAck(ctx context.Context, p *socketio.Packet, ids []string, volatile bool, timeout time.Duration, ack func(socketio.Args)) (int, error) {
	q := *p
	q.ID = v.ns().nextAckID()
	pkts, err := v.srv.encodePacket(&q)
	if err != nil {
		return 0, err
	}
	w, _ := ctx.Value(ackWaitKey{}).(*ackWait)
	if w == nil {
		if timeout <= 0 {
			timeout = v.srv.ackTimeout()
		}
		w = new(ackWait)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		context.AfterFunc(ctx, func() { cancel(); w.end() })
	}
	n := 0
	out := outgoingNotice{p: p}
	v.each(ids, func(s *Socket) {
		if !s.addAck(q.ID, ack) {
			return
		}
		if !w.track(s, q.ID) || s.write(pkts, volatile) != nil {
			s.removeAck(q.ID)
			return
		}
		out.notify(s)
		n++
	})
	return n, nil
}

// Describe describes each connected socket of ids.
func (v *nsSockets) Describe(ids []string) []adapter.SocketInfo {
	var infos []adapter.SocketInfo
	v.each(ids, func(s *Socket) { infos = append(infos, s.info()) })
	return infos
}

// Join makes each connected socket of ids join rooms.
func (v *nsSockets) Join(ids, rooms []string) {
	v.each(ids, func(s *Socket) { s.Join(rooms...) })
}

// Leave makes each connected socket of ids leave rooms.
func (v *nsSockets) Leave(ids, rooms []string) {
	v.each(ids, func(s *Socket) { s.Leave(rooms...) })
}

// Disconnect disconnects each connected socket of ids.
func (v *nsSockets) Disconnect(ids []string, close bool) {
	v.each(ids, func(s *Socket) { s.Disconnect(close) })
}

// RoomListener returns the func telling the namespace's room change handlers; nil when
// there are none.
func (v *nsSockets) RoomListener() func(event, room, id string) { return v.ns().roomListener() }

// ReceiveServerSideEmit hands an event another server sent to the namespace's
// OnServerSideEmit and OnServerSideEmitWithAck handlers.
func (v *nsSockets) ReceiveServerSideEmit(p *socketio.Packet, ack socketio.Ack) error {
	event, args, err := socketio.SplitEvent(p.Data, p.Attachments)
	if err != nil {
		return fmt.Errorf("hub: server-side emit: %w", err)
	}
	answer := Ack(sio.NoAck)
	if ack != nil {
		answer = sio.Once(ack)
	}
	ns := v.ns()
	ns.mu.RLock()
	fns := ns.onServerEmit
	ns.mu.RUnlock()
	for _, fn := range fns {
		ns.serverSideHandler(fn, event, args, answer)
	}
	return nil
}
