package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// Socket is the client side of one namespace connection, like socket.io-client's Socket.
// Sockets of different namespaces made by one [Manager] share its connection.
//
// Its methods are safe for concurrent use. Emit and EmitWithAck never wait for the network:
// packets go to a bounded queue, or, while the socket is not connected, to a bounded
// buffer that is sent once it connects. Handlers run on the Manager's handler goroutine, one
// at a time, in the order the events arrived.
type Socket struct {
	m     *Manager
	nsp   string
	auth  any
	owner bool // made by Dial: Close closes the Manager

	hmu      sync.RWMutex             // guards the handler fields
	handlers map[string][]sio.Handler // guarded by hmu
	reserved map[string][]func(any)
	anys     []func(string, Args)
	onError  func(error)

	// Guarded by m.mu:
	active    bool         // the socket wants to be connected (socket.io-client's "active")
	connected bool         // the server accepted the CONNECT
	closed    bool         // Close was called: final
	connectOn *engine      // the session the CONNECT was sent on
	abandoned *engine      // a session whose CONNECT is unanswered though the socket left
	id        string       // socket id given by the server
	pid       string       // private session id (connection state recovery)
	offset    string       // last received offset (connection state recovery)
	recovered bool         // the last connection recovered the previous session's state
	lastErr   error        // the last connection error
	waiters   []chan error // Connect calls waiting for the outcome
	sendBuf   []buffered   // emits waiting for a connection
	recvBuf   []func()     // events received before the CONNECT reply
	nextID    int64        // next ack id
	acks      map[int64]*pendingAck
}

// buffered is an emit waiting for the socket to connect.
type buffered struct {
	pkts []eio.Packet
	ack  *pendingAck
}

// pendingAck waits for the server's acknowledgement of one emit.
type pendingAck struct {
	ch   chan ackResult // cap 1
	sent bool           // guarded by m.mu: the packet went out (it is not in sendBuf)
}

type ackResult struct {
	args Args
	err  error
}

// Dial connects to the namespace of a Socket.IO server and returns its socket once the
// server has accepted it. The URL's path is the namespace ("http://localhost:3000/admin"
// is namespace /admin on the server's Socket.IO path, [Options.Path]); an empty path is
// the main namespace "/".
//
// Dial blocks until the namespace connection succeeds, fails, or ctx is done. On failure
// it returns a *[ConnectError] when the server refused the namespace, and otherwise the
// connection error; nothing is left running. The socket has a Manager of its own,
// which [Socket.Close] closes.
//
// Handlers registered after Dial returns miss the events that arrived before; to register
// them first, use [NewManager], [Manager.Socket], [Socket.On] and [Socket.Connect].
func Dial(ctx context.Context, rawURL string, opts *Options) (*Socket, error) {
	m, nsp, err := newManagerNamespace(rawURL, opts)
	if err != nil {
		return nil, err
	}
	s := m.Socket(nsp, nil)
	s.owner = true
	if err := s.Connect(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return s, nil
}

// newManagerNamespace splits a URL into a Manager and a namespace.
func newManagerNamespace(rawURL string, opts *Options) (*Manager, string, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	nsp := u.Path
	if nsp == "" {
		nsp = "/"
	}
	u.Path, u.RawPath = "", ""
	m, err := NewManager(u.String(), opts)
	return m, nsp, err
}

// Namespace returns the socket's namespace, such as "/" or "/admin".
func (s *Socket) Namespace() string { return s.nsp }

// Manager returns the Manager whose connection the socket uses.
func (s *Socket) Manager() *Manager { return s.m }

// ID returns the socket id the server gave this namespace connection, "" while not
// connected. It is not the Engine.IO session id.
func (s *Socket) ID() string {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.id
}

// Connected reports whether the socket is connected to its namespace.
func (s *Socket) Connected() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.connected
}

// Recovered reports whether the last connection restored the state of the previous one
// (the server's connection state recovery: same id, rooms, and the events missed
// meanwhile delivered).
func (s *Socket) Recovered() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.connected && s.recovered
}

// On registers a handler for an event; handlers of one event run in registration order.
//
// The handler is a func whose parameters receive the event's arguments, each decoded from
// JSON into the parameter's type as encoding/json does, with binary arguments (at any
// depth) decoded into []byte. Missing arguments leave zero values and extra ones are
// ignored, as in JavaScript; a variadic last parameter takes the remaining arguments; a
// single [Args] parameter receives all the arguments as they are (raw access). If
// the last parameter is an [AckFunc] (or a func(...any) error, or a func(...any)), it
// answers the server's acknowledgement. The handler may return an error, which goes to the
// [Socket.OnError] hook. An argument that does not fit its parameter is a *[DecodeError]
// for the OnError hook (matching [ErrBadArguments]), and the handler is not called; a
// handler panic is recovered and reported there as a *[PanicError].
//
// The socket's own events take: "connect" a func(), "disconnect" a
// func(reason DisconnectReason) or, as in JavaScript, a func(reason string), and
// "connect_error" a func(err error) (a *[ConnectError] when the server refused the
// namespace).
//
// On panics if handler is not a func of such a form: that is a programming error.
func (s *Socket) On(event string, handler any) {
	if parser.ReservedEvent(event) {
		fn, err := reservedHandler(event, handler)
		if err != nil {
			panic(err)
		}
		s.hmu.Lock()
		s.reserved[event] = append(s.reserved[event], fn)
		s.hmu.Unlock()
		return
	}
	h, err := sio.NewHandler(handler)
	if err != nil {
		panic(fmt.Errorf("client: On(%q): %w", event, err))
	}
	s.hmu.Lock()
	s.handlers[event] = append(s.handlers[event], h)
	s.hmu.Unlock()
}

// Off removes every handler of an event.
func (s *Socket) Off(event string) {
	s.hmu.Lock()
	delete(s.handlers, event)
	delete(s.reserved, event)
	s.hmu.Unlock()
}

// OnAny registers a handler that receives every event from the server, before the event's
// own handlers. The socket's own events (connect, disconnect, connect_error) do not reach it.
func (s *Socket) OnAny(handler func(event string, args Args)) {
	s.hmu.Lock()
	s.anys = append(s.anys, handler)
	s.hmu.Unlock()
}

// OnError sets the hook that receives what goes wrong in handlers: arguments that do not
// fit (*[DecodeError]), errors returned by handlers, recovered panics. It runs on the
// handler goroutine. Without a hook, these are logged.
func (s *Socket) OnError(hook func(err error)) {
	s.hmu.Lock()
	s.onError = hook
	s.hmu.Unlock()
}

// Connect connects the socket to its namespace, opening the Manager's connection if needed,
// and blocks until the server accepts it (nil), refuses it (a *[ConnectError]), the
// connection cannot be opened and will not be retried (reconnection disabled, or its
// attempts exhausted), or ctx is done. While reconnection is on, failed attempts are
// retried with backoff until ctx is done; "connect_error" handlers see each failure. On
// error the socket is left disconnected. Connecting a connected socket returns nil.
//
// Once connected, the socket stays connected across reconnections of the Manager until
// [Socket.Disconnect], [Socket.Close], or a disconnection by the server.
func (s *Socket) Connect(ctx context.Context) error {
	m := s.m
	m.mu.Lock()
	if s.closed || m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if s.connected {
		m.mu.Unlock()
		return nil
	}
	w := make(chan error, 1)
	s.waiters = append(s.waiters, w)
	s.active = true
	var e *engine
	switch {
	case m.engine != nil && s.abandoned == m.engine:
		// A CONNECT sent before a Disconnect is still unanswered: its answer will do.
		s.connectOn, s.abandoned = m.engine, nil
	case m.engine != nil && s.connectOn != m.engine:
		s.connectOn = m.engine
		e = m.engine
	}
	m.mu.Unlock()
	if e != nil {
		s.sendConnect(e)
	} else {
		signal(m.kick)
	}
	select {
	case err := <-w:
		if err != nil {
			s.deactivate(w)
		}
		return err
	case <-ctx.Done():
		m.mu.Lock()
		last := s.lastErr
		m.mu.Unlock()
		s.deactivate(w)
		select {
		case err := <-w: // decided meanwhile
			if err == nil {
				return nil
			}
		default:
		}
		if last != nil {
			return fmt.Errorf("client: connect %s: %w (last error: %w)", s.nsp, ctx.Err(), last)
		}
		return fmt.Errorf("client: connect %s: %w", s.nsp, ctx.Err())
	}
}

// deactivate gives up a failed Connect: the socket stops wanting the connection.
func (s *Socket) deactivate(w chan error) {
	m := s.m
	m.mu.Lock()
	s.waiters = slices.DeleteFunc(s.waiters, func(c chan error) bool { return c == w })
	var e *engine
	if !s.connected && len(s.waiters) == 0 {
		if s.connectOn != nil {
			s.abandoned = s.connectOn // see disconnectLocked
		}
		s.active = false
		s.connectOn = nil
		e = m.closeIfUnusedLocked()
	}
	m.mu.Unlock()
	if e != nil {
		e.close()
	}
}

// Disconnect disconnects the socket from its namespace (the server sees "client namespace
// disconnect") and runs its "disconnect" handlers with [ReasonClientDisconnect]. The socket
// no longer reconnects; [Socket.Connect] connects it again. When no socket of the Manager
// is left connected, the connection closes. It does not block.
func (s *Socket) Disconnect() {
	m := s.m
	m.mu.Lock()
	s.disconnectLocked(errDisconnectedByClient)
	e := m.closeIfUnusedLocked()
	m.mu.Unlock()
	if e != nil {
		e.close()
	}
}

var errDisconnectedByClient = errors.New("client: socket disconnected by the client")

// Close disconnects the socket for good; later emits fail with [ErrClosed]. For a socket
// made by [Dial], it then closes its Manager, and blocks as [Manager.Close] does.
func (s *Socket) Close() error {
	if s.owner {
		return s.m.Close()
	}
	m := s.m
	m.mu.Lock()
	s.disconnectLocked(ErrClosed)
	s.closed = true
	e := m.closeIfUnusedLocked()
	m.mu.Unlock()
	if e != nil {
		e.close()
	}
	return nil
}

// disconnectLocked is Disconnect under m.mu; waiting Connect calls fail with werr.
func (s *Socket) disconnectLocked(werr error) {
	m := s.m
	wasConnected := s.connected
	if wasConnected && m.engine != nil {
		s.sendDisconnect(m.engine)
	}
	if !wasConnected && s.connectOn != nil {
		// The CONNECT is on its way: when the server accepts it, tell it we left.
		s.abandoned = s.connectOn
	}
	s.active = false
	s.connected = false
	s.connectOn = nil
	s.id = ""
	s.recvBuf = nil
	s.resolveWaitersLocked(werr)
	if wasConnected {
		s.failSentAcksLocked()
		s.emitReservedLocked("disconnect", ReasonClientDisconnect)
	}
}

// sendDisconnect sends a DISCONNECT packet for the namespace on session e.
func (s *Socket) sendDisconnect(e *engine) {
	pkts, _ := encodePacket(s.m.opts.Parser, parser.Packet{Type: parser.Disconnect, Namespace: s.nsp, ID: parser.NoID}) // no data: cannot fail
	e.send(true, pkts...)
}

// Emit sends an event with arguments. Arguments are marshalled to JSON as encoding/json
// does; []byte values, at any depth, travel as binary attachments. Emit does not block: the
// packet is queued, or buffered while the socket is not connected (it is sent once it
// connects). It returns [ErrQueueFull] when the queue or buffer is full, [ErrClosed] after
// Close, and an error when an argument cannot be marshalled.
func (s *Socket) Emit(event string, args ...any) error {
	pkts, err := s.encodeEvent(parser.NoID, event, args)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.sendLocked(pkts, nil)
}

// EmitVolatile sends an event that may be lost (socket.io-client's socket.volatile.emit):
// it is dropped, without error, unless the socket is connected and the connection can
// write it at once (nothing queued before it). It returns an error only as Emit does for
// arguments, reserved names and a closed socket.
func (s *Socket) EmitVolatile(event string, args ...any) error {
	pkts, err := s.encodeEvent(parser.NoID, event, args)
	if err != nil {
		return err
	}
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.connected && m.engine != nil {
		m.engine.sendVolatile(pkts...)
	}
	return nil
}

// EmitWithAck sends an event as Emit does, asking the server to acknowledge it, and blocks
// until the acknowledgement arrives (its arguments are returned), ctx is done, or the socket
// disconnects after the event was sent ([ErrDisconnected]). An event still buffered when
// ctx ends is not sent. It is safe to call from a handler: acknowledgements are not
// delivered through the handler goroutine.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	m := s.m
	m.mu.Lock()
	id := s.nextID
	s.nextID++
	m.mu.Unlock()
	pkts, err := s.encodeEvent(id, event, args)
	if err != nil {
		return Args{}, err
	}
	pa := &pendingAck{ch: make(chan ackResult, 1)}
	m.mu.Lock()
	if err := s.sendLocked(pkts, pa); err != nil {
		m.mu.Unlock()
		return Args{}, err
	}
	s.acks[id] = pa
	m.mu.Unlock()
	select {
	case r := <-pa.ch:
		return r.args, r.err
	case <-ctx.Done():
		m.mu.Lock()
		delete(s.acks, id)
		s.sendBuf = slices.DeleteFunc(s.sendBuf, func(b buffered) bool { return b.ack == pa })
		m.mu.Unlock()
		select {
		case r := <-pa.ch:
			return r.args, r.err
		default:
		}
		return Args{}, fmt.Errorf("client: emit %q: %w", event, ctx.Err())
	}
}

// encodeEvent encodes an EVENT (or BINARY_EVENT) packet as Engine.IO messages.
func (s *Socket) encodeEvent(id int64, event string, args []any) ([]eio.Packet, error) {
	data, atts, err := sio.AppendEvent(nil, "client", event, args)
	if err != nil {
		return nil, err
	}
	return encodePacket(s.m.opts.Parser, parser.Packet{Type: parser.Event, Namespace: s.nsp, ID: id, Data: data, Attachments: atts})
}

// encodePacket encodes p in the Parser par as Engine.IO messages. With JSON, attachments make
// an EVENT or ACK a BINARY_EVENT or BINARY_ACK, followed by them (copied, so the caller may
// reuse its slices); with msgpack it is one binary message, the attachments inlined.
func encodePacket(par socketio.Parser, p parser.Packet) ([]eio.Packet, error) {
	if sio.Msgpack(par) {
		m, err := sio.EncodeMsgpack(&p)
		if err != nil {
			return nil, fmt.Errorf("client: encoding a packet: %w", err)
		}
		return []eio.Packet{m}, nil
	}
	atts := p.Attachments
	if len(atts) > 0 {
		switch p.Type {
		case parser.Event:
			p.Type = parser.BinaryEvent
		case parser.Ack:
			p.Type = parser.BinaryAck
		}
	}
	pkts := make([]eio.Packet, 0, 1+len(atts))
	pkts = append(pkts, eio.Packet{Type: eio.Message, Data: p.Append(nil)})
	for _, a := range atts {
		pkts = append(pkts, eio.Packet{Type: eio.Message, Data: bytes.Clone(a), Binary: true})
	}
	return pkts, nil
}

// sendLocked queues an emit, or buffers it while the socket is not connected.
func (s *Socket) sendLocked(pkts []eio.Packet, pa *pendingAck) error {
	m := s.m
	if s.closed {
		return ErrClosed
	}
	if s.connected && m.engine != nil {
		err := m.engine.send(false, pkts...)
		if err == nil {
			if pa != nil {
				pa.sent = true
			}
			return nil
		}
		if !errors.Is(err, errEngineClosed) {
			return err
		}
	}
	if len(s.sendBuf) >= m.opts.SendQueue {
		return ErrQueueFull
	}
	s.sendBuf = append(s.sendBuf, buffered{pkts: pkts, ack: pa})
	return nil
}

// sendConnect sends the CONNECT packet with the auth payload on session e.
func (s *Socket) sendConnect(e *engine) {
	data, err := s.authPayload()
	var pkts []eio.Packet
	if err == nil {
		pkts, err = encodePacket(s.m.opts.Parser, parser.Packet{Type: parser.Connect, Namespace: s.nsp, ID: parser.NoID, Data: data})
	}
	if err != nil {
		m := s.m
		m.mu.Lock()
		if s.connectOn == e {
			s.active = false
			s.connectOn = nil
			s.emitReservedLocked("connect_error", err)
			s.resolveWaitersLocked(err)
		}
		ue := m.closeIfUnusedLocked()
		m.mu.Unlock()
		if ue != nil {
			ue.close()
		}
		return
	}
	e.send(true, pkts...)
}

// authPayload marshals the auth value, merged with the recovery fields {pid, offset} once
// the server has given a pid.
func (s *Socket) authPayload() (json.RawMessage, error) {
	auth := s.auth
	if f, ok := auth.(func() any); ok {
		auth = f()
	}
	var data []byte
	if auth != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(auth); err != nil {
			return nil, fmt.Errorf("client: auth: %w", err)
		}
		data = bytes.TrimSpace(buf.Bytes())
		if len(data) == 0 || data[0] != '{' {
			if string(data) == "null" {
				data = nil
			} else {
				return nil, fmt.Errorf("client: auth must be a JSON object, not %s", truncate(data))
			}
		}
	}
	s.m.mu.Lock()
	pid, offset := s.pid, s.offset
	s.m.mu.Unlock()
	if pid == "" {
		return data, nil
	}
	rec, _ := json.Marshal(pid)
	out := append([]byte(`{"pid":`), rec...)
	if offset != "" {
		off, _ := json.Marshal(offset)
		out = append(append(out, `,"offset":`...), off...)
	}
	if rest := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("{"))); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
		out = append(out, rest...)
		return out, nil
	}
	return append(out, '}'), nil
}

// onPacketLocked handles a packet for this namespace; the caller holds m.mu. It runs on
// session e's read loop.
func (s *Socket) onPacketLocked(e *engine, p *parser.Packet) {
	m := s.m
	switch p.Type {
	case parser.Connect:
		if s.abandoned == e {
			s.abandoned = nil
			s.sendDisconnect(e)
			return
		}
		if !s.active || s.connected || s.connectOn != e {
			return
		}
		var reply struct {
			SID string `json:"sid"`
			PID string `json:"pid"`
		}
		if json.Unmarshal(p.Data, &reply) != nil || reply.SID == "" {
			s.emitReservedLocked("connect_error", errV2Server)
			return
		}
		s.id = reply.SID
		s.recovered = reply.PID != "" && reply.PID == s.pid
		s.pid = reply.PID
		s.connected = true
		s.lastErr = nil
		// As socket.io-client: events received before the reply, then the buffered
		// emits, then "connect".
		for _, fn := range s.recvBuf {
			m.disp.post(fn)
		}
		s.recvBuf = nil
		for len(s.sendBuf) > 0 {
			b := s.sendBuf[0]
			if e.send(true, b.pkts...) != nil {
				break // the session is ending: keep the rest for the next one
			}
			if b.ack != nil {
				b.ack.sent = true
			}
			s.sendBuf = s.sendBuf[1:]
		}
		if len(s.sendBuf) == 0 {
			s.sendBuf = nil
		}
		s.emitReservedLocked("connect", nil)
		s.resolveWaitersLocked(nil)

	case parser.ConnectError:
		if s.abandoned == e {
			s.abandoned = nil
			return
		}
		if !s.active || s.connected {
			return
		}
		cerr := parseConnectError(p.Data)
		s.active = false
		s.connectOn = nil
		s.lastErr = cerr
		s.emitReservedLocked("connect_error", cerr)
		s.resolveWaitersLocked(cerr)
		if ue := m.closeIfUnusedLocked(); ue != nil {
			ue.close() // does not block
		}

	case parser.Disconnect:
		if !s.connected {
			return
		}
		s.active = false
		s.connected = false
		s.connectOn = nil
		s.id = ""
		s.failSentAcksLocked()
		s.emitReservedLocked("disconnect", ReasonServerDisconnect)
		if ue := m.closeIfUnusedLocked(); ue != nil {
			ue.close()
		}

	case parser.Event, parser.BinaryEvent:
		if !s.active {
			return
		}
		event, args, err := socketio.SplitEvent(p.Data, p.Attachments)
		if err != nil {
			e.end(ReasonParseError, err)
			return
		}
		if s.pid != "" && args.Len() > 0 {
			var off string
			if json.Unmarshal(args.Raw(args.Len()-1), &off) == nil {
				s.offset = off
			}
		}
		ack := AckFunc(sio.NoAck)
		if p.ID >= 0 {
			ack = s.ackFunc(e, p.ID)
		}
		fn := func() { s.dispatch(event, args, ack) }
		if s.connected {
			m.disp.post(fn)
		} else if len(s.recvBuf) < dispatchLimit {
			s.recvBuf = append(s.recvBuf, fn)
		}

	case parser.Ack, parser.BinaryAck:
		pa := s.acks[p.ID]
		if pa == nil {
			return
		}
		delete(s.acks, p.ID)
		args, err := socketio.NewArgs(p.Data, p.Attachments)
		if err != nil {
			pa.ch <- ackResult{err: fmt.Errorf("client: bad ack: %w", err)}
			return
		}
		pa.ch <- ackResult{args: args}
	}
}

// ackFunc returns the function that answers the server's event id, on session e.
func (s *Socket) ackFunc(e *engine, id int64) AckFunc {
	return sio.Once(func(args ...any) error {
		data, atts, err := sio.AppendAck(nil, "client", args)
		if err != nil {
			return err
		}
		pkts, err := encodePacket(s.m.opts.Parser, parser.Packet{Type: parser.Ack, Namespace: s.nsp, ID: id, Data: data, Attachments: atts})
		if err != nil {
			return err
		}
		if err := e.send(false, pkts...); err != nil {
			if errors.Is(err, errEngineClosed) {
				return ErrDisconnected
			}
			return err
		}
		return nil
	})
}

// engineClosedLocked handles the end of session e; the caller holds m.mu.
func (s *Socket) engineClosedLocked(e *engine, reason DisconnectReason) {
	wasConnected := s.connected
	s.connected = false
	s.connectOn = nil
	s.abandoned = nil
	s.id = ""
	s.recvBuf = nil
	if wasConnected {
		s.failSentAcksLocked()
		s.emitReservedLocked("disconnect", reason)
	}
}

// failSentAcksLocked fails the acknowledgements of emits already sent: they will not come.
// Emits still buffered keep theirs, and go out on the next connection.
func (s *Socket) failSentAcksLocked() {
	for id, pa := range s.acks {
		if pa.sent {
			delete(s.acks, id)
			pa.ch <- ackResult{err: ErrDisconnected}
		}
	}
}

// resolveWaitersLocked ends the waiting Connect calls with err (nil: connected).
func (s *Socket) resolveWaitersLocked(err error) {
	for _, w := range s.waiters {
		w <- err
	}
	s.waiters = nil
}

// emitReservedLocked posts one of the socket's own events to the handler goroutine.
func (s *Socket) emitReservedLocked(event string, arg any) {
	s.m.disp.post(func() {
		s.hmu.RLock()
		fns := s.reserved[event]
		s.hmu.RUnlock()
		for _, fn := range fns {
			s.protect(event, func() error { fn(arg); return nil })
		}
	})
}

// dispatch runs the handlers of one received event, on the handler goroutine.
func (s *Socket) dispatch(event string, args Args, ack AckFunc) {
	s.hmu.RLock()
	anys := s.anys
	hs := s.handlers[event]
	s.hmu.RUnlock()
	for _, fn := range anys {
		s.protect(event, func() error { fn(event, args); return nil })
	}
	for _, h := range hs {
		s.protect(event, func() error { return h(event, args, ack) })
	}
}

// protect runs one handler, sending its error or panic to the OnError hook.
func (s *Socket) protect(event string, fn func() error) {
	err := sio.Call(event, fn)
	if err == nil {
		return
	}
	s.hmu.RLock()
	hook := s.onError
	s.hmu.RUnlock()
	if hook != nil {
		hook(err)
		return
	}
	var pe *PanicError
	if ok := errors.As(err, &pe); ok {
		s.m.opts.Logger.Error("client: panic in handler", "namespace", s.nsp, "event", event,
			"panic", pe.Value, "stack", string(pe.Stack))
		return
	}
	s.m.opts.Logger.Warn("client: handler error", "namespace", s.nsp, "event", event, "err", err)
}
