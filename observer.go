package hub

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
)

// Observer receives what happens in a server, for metrics: set it in [Options.Observer]
// (package github.com/hubkit/hub/metrics/prometheus makes one that feeds Prometheus). Every
// field is optional.
//
// The funcs are called synchronously where things happen — on the engine's read paths, on
// handler goroutines, on every goroutine that emits — concurrently, and some once per
// message sent to each client: they must be fast (an atomic add), must not block, and must
// not call into the server. A panic in one is recovered and logged.
//
// Label values come from small fixed sets, never from clients: transports are "polling",
// "websocket" and "sse"; reasons are the [DisconnectReason] constants; a dynamic child
// namespace ([Server.OfFunc], [Server.OfPattern]) is reported under its parent's name, so
// that clients making namespaces cannot make label values.
type Observer struct {
	// ConnectionOpened: a client opened an Engine.IO connection (a handshake succeeded)
	// on transport.
	ConnectionOpened func(transport string)
	// ConnectionClosed: a connection, last on transport, closed for reason.
	ConnectionClosed func(transport string, reason DisconnectReason)
	// ConnectionRefused: the server refused an Engine.IO request, with the code of
	// [ConnectionError] (0 to 5, Node's).
	ConnectionRefused func(code int)
	// Upgraded: a connection moved from one transport to another.
	Upgraded func(from, to string)

	// SocketConnected: a socket connected to namespace.
	SocketConnected func(namespace string)
	// SocketDisconnected: a socket of namespace disconnected for reason.
	SocketDisconnected func(namespace string, reason DisconnectReason)

	// Received: a client sent messages (Engine.IO message packets: a binary event is one
	// for the event and one per attachment) holding bytes bytes of payload, on transport.
	Received func(transport string, messages, bytes int)
	// Sent: messages holding bytes bytes of payload were queued for a client on transport.
	// A broadcast calls it once per recipient.
	Sent func(transport string, messages, bytes int)
	// Dropped: volatile messages were dropped because the client was not ready for them.
	Dropped func(transport string, messages int)
	// SlowClient: a connection is closed because one of its queues is full: queue "send"
	// (what the server queued for the client passed [Options.MaxQueuedBytes]: the client
	// reads too slowly) or "receive" (the client sends faster than its handlers run).
	SlowClient func(queue string)
	// AckTimeout: an acknowledgement awaited from clients of namespace did not come before
	// the deadline: once per [Socket.EmitWithAck], once per [BroadcastOperator.EmitWithAck]
	// missing answers.
	AckTimeout func(namespace string)
}

// observer calls an Observer's funcs, recovering their panics; a nil *observer does
// nothing (no Options.Observer).
type observer struct {
	o   *Observer
	log *slog.Logger
}

func newObserver(o *Observer, log *slog.Logger) *observer {
	if o == nil {
		return nil
	}
	return &observer{o: o, log: log}
}

// recover, deferred around each call, logs a panic of the Observer's func name.
func (ob *observer) recover(name string) {
	if p := recover(); p != nil {
		ob.log.Error("hub: panic in an Observer func", "func", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	}
}

func (ob *observer) connectionOpened(transport string) {
	if ob == nil || ob.o.ConnectionOpened == nil {
		return
	}
	defer ob.recover("ConnectionOpened")
	ob.o.ConnectionOpened(transport)
}

func (ob *observer) connectionClosed(transport string, reason DisconnectReason) {
	if ob == nil || ob.o.ConnectionClosed == nil {
		return
	}
	defer ob.recover("ConnectionClosed")
	ob.o.ConnectionClosed(transport, reason)
}

func (ob *observer) connectionRefused(code int) {
	if ob == nil || ob.o.ConnectionRefused == nil {
		return
	}
	defer ob.recover("ConnectionRefused")
	ob.o.ConnectionRefused(code)
}

func (ob *observer) upgraded(from, to string) {
	if ob == nil || ob.o.Upgraded == nil {
		return
	}
	defer ob.recover("Upgraded")
	ob.o.Upgraded(from, to)
}

func (ob *observer) socketConnected(ns *Namespace) {
	if ob == nil || ob.o.SocketConnected == nil {
		return
	}
	defer ob.recover("SocketConnected")
	ob.o.SocketConnected(ns.label())
}

func (ob *observer) socketDisconnected(ns *Namespace, reason DisconnectReason) {
	if ob == nil || ob.o.SocketDisconnected == nil {
		return
	}
	defer ob.recover("SocketDisconnected")
	ob.o.SocketDisconnected(ns.label(), reason)
}

func (ob *observer) received(transport string, messages, bytes int) {
	if ob == nil || ob.o.Received == nil {
		return
	}
	defer ob.recover("Received")
	ob.o.Received(transport, messages, bytes)
}

func (ob *observer) sent(transport string, messages, bytes int) {
	if ob == nil || ob.o.Sent == nil {
		return
	}
	defer ob.recover("Sent")
	ob.o.Sent(transport, messages, bytes)
}

func (ob *observer) dropped(transport string, messages int) {
	if ob == nil || ob.o.Dropped == nil {
		return
	}
	defer ob.recover("Dropped")
	ob.o.Dropped(transport, messages)
}

func (ob *observer) slowClient(queue string) {
	if ob == nil || ob.o.SlowClient == nil {
		return
	}
	defer ob.recover("SlowClient")
	ob.o.SlowClient(queue)
}

func (ob *observer) ackTimeout(ns *Namespace) {
	if ob == nil || ob.o.AckTimeout == nil {
		return
	}
	defer ob.recover("AckTimeout")
	ob.o.AckTimeout(ns.label())
}

// label is the namespace's name as an Observer sees it: a dynamic child's parent's.
func (ns *Namespace) label() string {
	if ns.parent != nil {
		return ns.parent.name
	}
	return ns.name
}

// transportName holds the name of a connection's current transport, read on every message.
type transportName struct{ p atomic.Pointer[string] }

func (t *transportName) set(name string) { t.p.Store(&name) }

func (t *transportName) get() string {
	if p := t.p.Load(); p != nil {
		return *p
	}
	return ""
}
