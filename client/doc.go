// Package client is a Socket.IO v5 client (Engine.IO v4) for Go: it talks to hub, to the
// official Node server (socket.io 4.x) and to any other server of the protocol, with the
// event model of socket.io-client.
//
//	s, err := client.Dial(ctx, "http://localhost:3000/", nil)
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	s.On("chat message", func(msg string) { fmt.Println(msg) })
//	s.Emit("chat message", "hello")
//	ack, err := s.EmitWithAck(ctx, "sum", 1, 2)
//
// # Connections and namespaces
//
// A [Manager] is one connection to a server (an Engine.IO session); a [Socket] is one
// namespace on it, so the sockets of several namespaces made by one Manager share one
// connection. [Dial] makes a Manager and one socket in a single call. To register handlers
// before the first events arrive, make the socket first and connect it afterwards:
//
//	m, err := client.NewManager("http://localhost:3000", &client.Options{Auth: map[string]string{"token": t}})
//	admin := m.Socket("/admin", nil)
//	admin.On("connect", func() { log.Print("connected") })
//	admin.On("disconnect", func(reason client.DisconnectReason) { log.Print(reason) })
//	admin.On("connect_error", func(err error) { log.Print(err) })
//	err = admin.Connect(ctx)
//	defer m.Close()
//
// The transports are HTTP long-polling, WebSocket, and hub's SSE transport (a Server-Sent
// Events stream down, POSTs up). By default a session opens with polling and upgrades to
// WebSocket, as socket.io-client does; [Options.Transports] chooses.
//
// When the connection is lost, the Manager reconnects with exponential backoff and jitter
// (1s doubling to 5s, ±50%, by default) and connects its sockets again; emits made
// meanwhile are buffered (up to [Options.SendQueue]) and sent once the socket is connected.
// A socket the server disconnects, or that its middleware refuses, stays disconnected until
// [Socket.Connect] is called again, as in socket.io-client.
//
// # Events
//
// [Socket.On] takes typed handlers: the event's arguments are decoded from JSON into the
// parameter types, binary data into []byte, a single [Args] parameter gets them all as they
// are, and a last [AckFunc] parameter answers the server's acknowledgement (once: a second
// call returns [ErrAckAlreadySent]). Arguments that do not fit go to [Socket.OnError] as a
// *[DecodeError], a handler's panic as a *[PanicError]; the network never makes the client
// panic. Args are immutable and may be kept. Handlers, Args and acks work as on the server:
// both ends share one implementation, and package [github.com/hubkit/hub/socketio] names the
// types both use. [Socket.Emit] marshals its
// arguments as JSON, []byte values (at any depth) travelling as binary attachments;
// [Socket.EmitWithAck] waits for the server's acknowledgement and returns its [Args].
//
// # Concurrency
//
// Every method of Manager and Socket is safe for concurrent use.
//
// Handlers (of every socket of one Manager) run on one goroutine, one at a time, in the
// order their events arrived; never on the network's read path. A handler may block — the
// later events wait — and may call any method, EmitWithAck and Close included:
// acknowledgements are not delivered through the handler goroutine. Events wait in a bounded
// queue; while it is full the connection is not read, so a handler blocked for longer than
// the server's ping timeout loses the connection.
//
// Emit never waits for the network: the packet goes to a bounded queue (or, while the socket
// is not connected, to a bounded buffer), and Emit fails with [ErrQueueFull] when it is full.
// EmitWithAck blocks until the acknowledgement, its context's end, or a disconnection.
//
// Every goroutine of a Manager belongs to it: [Manager.Close] (or [Socket.Close] on a socket
// from Dial) returns once they have exited, and until then a Manager holds them, even when
// it is not connected.
//
// # From socket.io-client
//
//	JavaScript                              Go
//	io(url, opts)                           client.Dial(ctx, url, opts)
//	new Manager(url, opts)                  client.NewManager(url, opts)
//	manager.socket(nsp, {auth})             m.Socket(nsp, &client.SocketOptions{Auth: …})
//	socket.connect()                        s.Connect(ctx)
//	socket.on(ev, (a, b, cb) => …)          s.On(ev, func(a A, b B, ack client.AckFunc) { … })
//	socket.onAny((ev, ...args) => …)        s.OnAny(func(ev string, args client.Args) { … })
//	socket.emit(ev, ...args)                s.Emit(ev, args...)
//	await socket.timeout(ms).emitWithAck()  s.EmitWithAck(ctx, ev, args...)
//	socket.disconnect()                     s.Disconnect()
//	manager.engine.transport.name           m.Transport()
//	opts.extraHeaders / query / auth        Options.Header / Query / Auth
//	opts.reconnection: false                Options.DisableReconnection
//	opts.upgrade: false                     Options.DisableUpgrade
package client
