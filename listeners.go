package hub

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// The per-socket listener API: the Go shape of Node's EventEmitter methods on a socket.
// Go funcs are not comparable, so every registration returns the func that removes it
// (Node's off(event, listener)); Off, OffAny and OffAnyOutgoing remove all at once.
//
// The lists are copied on write: dispatch reads a snapshot taken when the event arrives, so
// a listener removed (or added) while an event is being dispatched still runs (or does not)
// for that event, as with Node's EventEmitter, which iterates over a copy.

// ErrEventRefused is what [Options.OnError] receives, wrapping the middleware's error, when
// packet middleware refused an event and the socket has no [Socket.OnError] listener.
var ErrEventRefused = errors.New("hub: event refused by packet middleware")

// listenerIDs numbers registrations, so that the func returned by each removes that one.
var listenerIDs atomic.Uint64

// namedHandler is a handler and its event. A socket keeps them in a slice, not a map: a few
// events per socket is the rule, and a map costs hundreds of bytes per connection.
type namedHandler struct {
	event string
	h     eventHandler
	id    uint64
	fired *atomic.Bool // for Once; nil for On
}

type anyListener struct {
	id uint64
	fn func(event string, args Args)
}

type packetMiddleware struct {
	id uint64
	fn func(ev *Event) error
}

type errorListener struct {
	id uint64
	fn func(err error)
}

// without returns a new slice of list without the element whose id is id: dispatch may be
// reading the old one.
func without[T any](list []T, id uint64, idOf func(T) uint64) []T {
	i := slices.IndexFunc(list, func(x T) bool { return idOf(x) == id })
	if i < 0 {
		return list
	}
	out := make([]T, 0, len(list)-1)
	out = append(out, list[:i]...)
	return append(out, list[i+1:]...)
}

func (h namedHandler) key() uint64     { return h.id }
func (l anyListener) key() uint64      { return l.id }
func (m packetMiddleware) key() uint64 { return m.id }
func (l errorListener) key() uint64    { return l.id }

// On registers handler for event (Node's socket.on) and returns the func that removes this
// registration (Node's socket.off(event, handler)); calling it again does nothing.
//
// handler is a func whose parameters receive the event's arguments decoded into their
// types: for example func(), func(msg string), func(a int, b MyStruct), func(args ...any),
// or func(args Args) for raw access. A last parameter of type [Ack] receives the client's
// acknowledgement callback. It may return an error, which goes to [Options.OnError]. Binary
// data arrives as []byte. Missing arguments leave zero values; extra ones are ignored;
// arguments that do not decode into the parameter types are reported to OnError as a
// *[DecodeError] (matching [ErrBadArguments]) and the handler is not called; a panic in the
// handler is recovered and reported to OnError as a *[PanicError] (logged when OnError is
// not set). On panics if handler has no such signature. Several handlers for one event run in the order registered, after the OnAny
// listeners and the packet middleware ([Socket.Use]).
func (s *Socket) On(event string, handler any) (remove func()) {
	return s.addHandler(event, handler, nil)
}

// Once is On for one event only (Node's socket.once): handler runs for the first event
// named event that reaches the handlers (one that packet middleware refused does not
// count), and is removed before it runs. It runs at most once, whatever the concurrency.
func (s *Socket) Once(event string, handler any) (remove func()) {
	return s.addHandler(event, handler, new(atomic.Bool))
}

func (s *Socket) addHandler(event string, handler any, fired *atomic.Bool) func() {
	nh := namedHandler{event: event, h: newEventHandler(handler), id: listenerIDs.Add(1), fired: fired}
	s.mu.Lock()
	s.handlers = append(slices.Clip(s.handlers), nh)
	s.mu.Unlock()
	return func() { s.removeHandler(nh.id) }
}

func (s *Socket) removeHandler(id uint64) {
	s.mu.Lock()
	s.handlers = without(s.handlers, id, namedHandler.key)
	s.mu.Unlock()
}

// Off removes every handler of event (Node's socket.removeAllListeners(event)); the func On
// returned removes one. A handler removed while its event is being dispatched still runs
// for that event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	kept := s.handlers[:0:0]
	for _, nh := range s.handlers {
		if nh.event != event {
			kept = append(kept, nh)
		}
	}
	s.handlers = kept // a new array: dispatch may be reading the old one
	s.mu.Unlock()
}

// OnAny registers fn to receive every event the client sends (Node's socket.onAny), before
// the packet middleware ([Socket.Use]) and the event's handlers, so also the events the
// middleware refuses, as in Node. It returns the func that removes this registration (Node's
// socket.offAny(fn)). fn runs on the socket's handler goroutine; a panic in it is recovered
// and logged, and the next listeners and handlers still run.
func (s *Socket) OnAny(fn func(event string, args Args)) (remove func()) {
	return s.addAny(fn, false)
}

// PrependAny is OnAny, but fn runs before the listeners already registered (Node's
// socket.prependAny).
func (s *Socket) PrependAny(fn func(event string, args Args)) (remove func()) {
	return s.addAny(fn, true)
}

func (s *Socket) addAny(fn func(string, Args), first bool) func() {
	if fn == nil {
		panic("hub: nil listener")
	}
	l := anyListener{id: listenerIDs.Add(1), fn: fn}
	s.mu.Lock()
	s.anyHandlers = withListener(s.anyHandlers, l, first)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.anyHandlers = without(s.anyHandlers, l.id, anyListener.key)
		s.mu.Unlock()
	}
}

// withListener returns a new slice of list with l at the end, or at the start if first.
func withListener(list []anyListener, l anyListener, first bool) []anyListener {
	if first {
		return append([]anyListener{l}, list...)
	}
	return append(slices.Clip(list), l)
}

// OffAny removes every OnAny and PrependAny listener (Node's socket.offAny()); the func
// OnAny returned removes one.
func (s *Socket) OffAny() {
	s.mu.Lock()
	s.anyHandlers = nil
	s.mu.Unlock()
}

// ListenersAny returns the OnAny and PrependAny listeners, in the order they run (Node's
// socket.listenersAny), in a new slice.
func (s *Socket) ListenersAny() []func(event string, args Args) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return listenerFuncs(s.anyHandlers)
}

func listenerFuncs(list []anyListener) []func(string, Args) {
	out := make([]func(string, Args), len(list))
	for i, l := range list {
		out[i] = l.fn
	}
	return out
}

// Event is an event a client sent, as packet middleware ([Socket.Use]) sees it: Node's
// packet array [event, ...args, ack].
type Event struct {
	Name string
	Args Args
	// Ack answers the client's acknowledgement callback; it does nothing when the client
	// asked for none. Middleware that refuses an event may answer it first (the client's
	// callback is otherwise never called, as in Node).
	Ack Ack
}

// Use adds packet middleware (Node's socket.use): fn sees every event the client sends on
// this socket, after the OnAny listeners and before the event's handlers, in the order
// added. It returns the func that removes it.
//
// A non-nil error stops the event: no later middleware and no handler runs, and no
// acknowledgement is sent; the error goes to the socket's [Socket.OnError] listeners, or,
// if it has none, to [Options.OnError] wrapped in [ErrEventRefused] (logged at Warn
// without one). Middleware may change ev — its Name, its Args (from [socketio.NewArgs], or another
// event's), its Ack (to wrap the client's) — and the later middleware and the handlers see
// the change, as they see a Node middleware's changes to the packet array.
//
// fn runs on the socket's handler goroutine, like the handlers; it may block (the client's
// later events wait). A panic in fn is recovered, logged, and refuses the event with an
// error naming the panic. (In Node, a middleware that throws closes the client's whole
// connection; hub refuses that one event.)
func (s *Socket) Use(fn func(ev *Event) error) (remove func()) {
	if fn == nil {
		panic("hub: nil packet middleware")
	}
	m := packetMiddleware{id: listenerIDs.Add(1), fn: fn}
	s.mu.Lock()
	s.middleware = append(slices.Clip(s.middleware), m)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.middleware = without(s.middleware, m.id, packetMiddleware.key)
		s.mu.Unlock()
	}
}

// OnError registers fn to receive the errors with which packet middleware ([Socket.Use])
// refuses events (Node's socket.on("error")), and returns the func that removes it. While
// the socket has such a listener, those errors do not go to [Options.OnError]; the errors
// of event handlers always do. fn runs on the socket's handler goroutine; a panic in it is
// recovered and logged.
func (s *Socket) OnError(fn func(err error)) (remove func()) {
	if fn == nil {
		panic("hub: nil error listener")
	}
	l := errorListener{id: listenerIDs.Add(1), fn: fn}
	s.mu.Lock()
	s.onError = append(slices.Clip(s.onError), l)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.onError = without(s.onError, l.id, errorListener.key)
		s.mu.Unlock()
	}
}

// dispatch runs the listeners, middleware and handlers of one event; it runs on the
// handler goroutine.
func (s *Socket) dispatch(event string, args Args, id int64) {
	s.mu.Lock()
	anys, mws := s.anyHandlers, s.middleware
	s.mu.Unlock()
	for _, l := range anys {
		s.safely(event, func() error { l.fn(event, args); return nil })
	}
	ack := Ack(sio.NoAck)
	if id != socketio.NoAckID {
		ack = s.ackFunc(id)
	}
	if len(mws) > 0 {
		ev := &Event{Name: event, Args: args, Ack: ack}
		for _, mw := range mws {
			if err := s.runPacketMiddleware(mw.fn, ev); err != nil {
				s.refused(event, err)
				return
			}
		}
		event, args, ack = ev.Name, ev.Args, ev.Ack
		if ack == nil {
			ack = sio.NoAck
		}
	}
	var buf [4]namedHandler
	hs := buf[:0]
	s.mu.Lock()
	for _, nh := range s.handlers {
		if nh.event == event {
			hs = append(hs, nh)
		}
	}
	s.mu.Unlock()
	for _, nh := range hs {
		if nh.fired != nil {
			if !nh.fired.CompareAndSwap(false, true) {
				continue
			}
			s.removeHandler(nh.id)
		}
		s.safely(event, func() error { return nh.h(event, args, ack) })
	}
}

// runPacketMiddleware calls mw, turning a panic into a refusal.
func (s *Socket) runPacketMiddleware(mw func(*Event) error, ev *Event) (err error) {
	event := ev.Name
	defer func() {
		if r := recover(); r != nil {
			s.ns.srv.opts.Logger.Error("hub: panic in packet middleware",
				"namespace", s.ns.name, "socket", s.id, "event", event,
				"panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("hub: panic in packet middleware: %v", r)
		}
	}()
	return mw(ev)
}

// refused hands the error of middleware that stopped event to the socket's error
// listeners, or to Options.OnError.
func (s *Socket) refused(event string, err error) {
	s.mu.Lock()
	ls := s.onError
	s.mu.Unlock()
	if len(ls) == 0 {
		s.reportError(event, fmt.Errorf("%w: %w", ErrEventRefused, err))
		return
	}
	for _, l := range ls {
		s.safely("error", func() error { l.fn(err); return nil })
	}
}
