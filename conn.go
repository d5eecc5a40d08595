package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// conn is the Socket.IO side of one client's Engine.IO session (Node's Client): it decodes
// the session's packets, routes them to the session's sockets, one per namespace, and runs
// their handlers on one goroutine at a time, in arrival order, off the read path.
type conn struct {
	srv       *Server
	sess      *engine.Session
	dec       parser.PacketDecoder // of the server's Parser; used on the read path only
	maxQueued int                  // bound of the handler queue, in bytes
	tr        transportName        // the session's current transport, for the Observer

	mu      sync.Mutex
	sockets map[string]*Socket // connected sockets by namespace name; guarded by mu
	pending map[string]*Socket // namespaces whose CONNECT is being handled, with the socket once made; guarded by mu
	joined  bool               // a namespace was joined (stops the connect timeout)
	closed  bool               // the session has closed
	timer   *time.Timer        // connect timeout; nil once a namespace was joined; guarded by mu

	qmu     sync.Mutex
	jobs    []job // handler queue; guarded by qmu
	queued  int   // bytes in jobs; guarded by qmu
	running bool  // a goroutine is draining jobs; guarded by qmu
}

// jobOverhead is what a queued event costs besides its bytes and arguments: the job, its
// closure and the Args.
const jobOverhead = 128

// job is one unit of work on the handler goroutine.
type job struct {
	size int
	run  func()
}

// maxQueued returns the bound of a client's handler queue: room for one binary packet of the
// largest size a client may send (parser.DefaultMaxAttachments attachments of maxBuffer bytes
// each, as Node accepts them) and twice maxBuffer of other packets, so that a client is not
// disconnected for sending what Node accepts while its handlers are busy.
func maxQueued(maxBuffer int64) int {
	return max(int(maxBuffer)*(2+parser.DefaultMaxAttachments), 1<<16)
}

func newConn(srv *Server, sess *engine.Session) *conn {
	c := &conn{
		srv:       srv,
		sess:      sess,
		dec:       sio.NewDecoder(srv.opts.Parser, 0),
		maxQueued: maxQueued(srv.opts.MaxHTTPBufferSize),
		sockets:   make(map[string]*Socket),
	}
	c.timer = time.AfterFunc(srv.opts.ConnectTimeout, c.connectTimeout)
	if srv.obs != nil {
		c.tr.set(sess.Transport())
		srv.obs.connectionOpened(c.tr.get())
	}
	return c
}

// Message handles one message of the session; it runs on the engine's read path and never
// blocks.
func (c *conn) Message(p engine.Packet) {
	defer func() {
		if r := recover(); r != nil { // never let bad input take the process down
			c.srv.opts.Logger.Error("hub: panic decoding a packet", "panic", r, "stack", string(debug.Stack()))
			c.sess.Close(engine.ReasonForcedClose)
		}
	}()
	c.srv.obs.received(c.tr.get(), 1, len(p.Data))
	var (
		pkt *parser.Packet
		err error
	)
	if p.Binary {
		pkt, err = c.dec.Binary(p.Data)
	} else {
		pkt, err = c.dec.Text(p.Data)
	}
	if err != nil {
		c.badPacket(err)
		return
	}
	if pkt != nil {
		c.route(pkt)
	}
}

// badPacket closes the session for a packet that does not decode; the sockets disconnect
// with "forced close", as in Node. A packet over one of the parser's limits is logged at
// Warn, naming the limit: a client met it, which no well-behaved one does.
func (c *conn) badPacket(err error) {
	var lim *parser.LimitError
	if errors.As(err, &lim) {
		c.srv.opts.Logger.Warn("hub: packet over a limit; closing the connection", "limit", lim.Limit, "max", lim.Max, "remote", c.sess.Request().RemoteAddr)
	} else {
		c.srv.opts.Logger.Debug("hub: invalid packet; closing the connection", "err", err)
	}
	c.sess.Close(engine.ReasonForcedClose)
}

// route acts on a decoded packet, following Node's Client.ondecoded.
func (c *conn) route(pkt *parser.Packet) {
	nsp := pkt.Namespace
	switch pkt.Type {
	case parser.Connect:
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		if _, busy := c.pending[nsp]; busy || c.sockets[nsp] != nil {
			c.mu.Unlock()
			c.invalidState()
			return
		}
		if c.pending == nil {
			c.pending = make(map[string]*Socket, 1)
		}
		c.pending[nsp] = nil
		c.mu.Unlock()
		auth := pkt.Data
		if len(auth) == 0 {
			auth = json.RawMessage("{}")
		}
		if !c.push(len(auth)+len(nsp)+16, func() { c.connect(nsp, auth) }, false) {
			c.overflow()
		}
		return
	case parser.ConnectError:
		c.invalidState()
		return
	}
	c.mu.Lock()
	s := c.sockets[nsp]
	c.mu.Unlock()
	if s == nil {
		c.invalidState()
		return
	}
	switch pkt.Type {
	case parser.Event, parser.BinaryEvent:
		event, args, err := socketio.SplitEvent(pkt.Data, pkt.Attachments)
		if err == nil && sio.Reserved(event) {
			err = fmt.Errorf("reserved event name %q", event)
		}
		if err != nil {
			c.badPacket(fmt.Errorf("hub: %w", err))
			return
		}
		// The queue's bound is on memory: the job and the split arguments count too.
		size := len(pkt.Data) + jobOverhead + (1+args.Len())*int(unsafe.Sizeof(json.RawMessage(nil)))
		for _, a := range pkt.Attachments {
			size += len(a)
		}
		id := pkt.ID
		if !c.push(size, func() { s.dispatch(event, args, id) }, false) {
			c.overflow()
		}
	case parser.Ack, parser.BinaryAck:
		var args Args
		if len(pkt.Data) > 0 {
			var err error
			if args, err = socketio.NewArgs(pkt.Data, pkt.Attachments); err != nil {
				c.badPacket(fmt.Errorf("hub: bad ack payload: %w", err))
				return
			}
		}
		s.onAck(pkt.ID, args)
	case parser.Disconnect:
		s.close(ReasonClientNamespaceDisconnect, false)
	}
}

// connect handles a CONNECT for namespace name; it runs on the handler goroutine.
func (c *conn) connect(name string, auth json.RawMessage) {
	ns := c.srv.lookup(name, auth)
	if ns == nil {
		c.connectDone(name)
		c.sendPacket(&socketio.Packet{Type: socketio.PacketConnectError, Namespace: name, ID: socketio.NoAckID, Data: json.RawMessage(`{"message":"Invalid namespace"}`)})
		return
	}
	newSocket(ns, c, auth).connect()
}

// begin records s as the socket a pending CONNECT made; false if the session has closed.
func (c *conn) begin(s *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.pending == nil {
		c.pending = make(map[string]*Socket, 1)
	}
	c.pending[s.ns.name] = s
	return true
}

// attach registers s, whose middleware accepted it, as the client's socket of its
// namespace and marks it connected; false if the session has closed meanwhile.
func (c *conn) attach(s *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.donePending(s.ns.name)
	c.sockets[s.ns.name] = s
	s.state.Store(stateConnected)
	if !c.joined {
		c.joined = true
		c.timer.Stop()
		c.timer = nil // a connection's lifetime is long: let the timer go
	}
	return true
}

// connectDone ends a CONNECT that did not connect a socket.
func (c *conn) connectDone(name string) {
	c.mu.Lock()
	c.donePending(name)
	c.mu.Unlock()
}

// donePending ends the CONNECT of namespace name; the map goes once empty (it is only
// needed while a CONNECT is handled). c.mu must be held.
func (c *conn) donePending(name string) {
	delete(c.pending, name)
	if len(c.pending) == 0 {
		c.pending = nil
	}
}

// detach forgets s, which has disconnected: the client may connect to its namespace again.
func (c *conn) detach(s *Socket) {
	c.mu.Lock()
	if c.sockets[s.ns.name] == s {
		delete(c.sockets, s.ns.name)
	}
	c.mu.Unlock()
}

// sendPacket encodes p and queues it on the session; a closed session drops it.
func (c *conn) sendPacket(p *socketio.Packet) {
	pkts, err := c.srv.encodePacket(p)
	if err != nil {
		c.srv.opts.Logger.Error("hub: encoding a packet", "err", err)
		return
	}
	c.send(pkts)
}

// send queues pkts on the session, telling the Observer.
func (c *conn) send(pkts []engine.Packet) error {
	err := c.sess.Send(pkts...)
	if c.srv.obs != nil {
		switch {
		case err == nil:
			c.srv.obs.sent(c.tr.get(), len(pkts), payloadSize(pkts))
		case errors.Is(err, engine.ErrSlowConsumer):
			c.srv.obs.slowClient("send")
		}
	}
	return err
}

// sendVolatile queues pkts on the session if the client is ready for them, telling the
// Observer.
func (c *conn) sendVolatile(pkts []engine.Packet) {
	ok := c.sess.SendVolatile(pkts...)
	if c.srv.obs != nil {
		if ok {
			c.srv.obs.sent(c.tr.get(), len(pkts), payloadSize(pkts))
		} else {
			c.srv.obs.dropped(c.tr.get(), len(pkts))
		}
	}
}

// payloadSize is the bytes of payload pkts hold.
func payloadSize(pkts []engine.Packet) int {
	n := 0
	for _, p := range pkts {
		n += len(p.Data)
	}
	return n
}

// invalidState closes the connection of a client that broke the namespace rules (a second
// CONNECT, a packet for a namespace it has not joined, a CONNECT_ERROR), as Node does.
func (c *conn) invalidState() {
	c.srv.opts.Logger.Debug("hub: invalid state; closing the connection")
	c.forceClose()
}

// overflow closes the connection of a client whose handler queue is full: it sends faster
// than its handlers run.
func (c *conn) overflow() {
	c.srv.opts.Logger.Warn("hub: handler queue full; closing the connection", "limit", c.maxQueued)
	c.srv.obs.slowClient("receive")
	c.forceClose()
}

func (c *conn) connectTimeout() {
	c.mu.Lock()
	expired := !c.joined && !c.closed
	c.mu.Unlock()
	if expired {
		c.forceClose()
	}
}

// disconnectAll disconnects every socket of the client, telling the client, then closes
// the connection (Node's Client._disconnect).
func (c *conn) disconnectAll() {
	for _, s := range c.connected() {
		s.close(ReasonServerNamespaceDisconnect, true)
	}
	c.forceClose()
}

// connected returns the client's connected sockets.
func (c *conn) connected() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketList()
}

// socketList returns the client's connected sockets in a new slice; c.mu must be held.
func (c *conn) socketList() []*Socket {
	socks := make([]*Socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		socks = append(socks, s)
	}
	return socks
}

// forceClose closes the session from the server side; the sockets still connected
// disconnect with "forced close". (Node's Client.close names "forced server close" too, but
// the engine's "forced close" reaches the sockets first.)
func (c *conn) forceClose() {
	c.sess.Close(engine.ReasonForcedClose)
}

// Closed disconnects the client's sockets; the engine calls it once, when the session has
// closed.
func (c *conn) Closed(reason engine.Reason, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	r := DisconnectReason(reason)
	c.srv.obs.connectionClosed(c.tr.get(), r)
	socks := c.socketList()
	clear(c.sockets)
	for _, s := range c.pending { // let middleware in progress see the end
		if s != nil {
			s.ctx.end(fmt.Errorf("%w (%s)", ErrDisconnected, r))
		}
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	for _, s := range socks {
		s.close(r, false)
	}
}

// Settle calls done on the handler goroutine, after the jobs queued so far: the engine then
// knows that the messages it delivered are handled (engine.Settler).
func (c *conn) Settle(done func()) { c.push(0, done, true) }

// push queues fn on the client's handler goroutine, starting one if none runs. Unless
// force is set, it refuses (returning false) when the queue would exceed its bound.
func (c *conn) push(size int, fn func(), force bool) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if !force && c.queued > 0 && c.queued+size > c.maxQueued {
		return false
	}
	c.jobs = append(c.jobs, job{size: size, run: fn})
	c.queued += size
	if !c.running {
		c.running = true
		c.srv.workers.add()
		go c.drain()
	}
	return true
}

// drain runs the queued jobs, then exits: a client has a handler goroutine only while it
// has work.
func (c *conn) drain() {
	defer c.srv.workers.done()
	for {
		c.qmu.Lock()
		if len(c.jobs) == 0 {
			c.running = false
			c.jobs = nil
			c.qmu.Unlock()
			return
		}
		j := c.jobs[0]
		c.jobs[0] = job{}
		c.jobs = c.jobs[1:]
		c.queued -= j.size
		c.qmu.Unlock()
		c.runJob(j.run)
	}
}

// runJob runs one job. The user's handlers and middleware are recovered one by one (the
// event or the socket is refused); a panic reaching here came from hub or an adapter and may
// have left the client half way (a CONNECT never answered): its connection is closed.
func (c *conn) runJob(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.opts.Logger.Error("hub: panic on the handler goroutine; closing the connection", "panic", r, "stack", string(debug.Stack()))
			c.forceClose()
		}
	}()
	fn()
}
