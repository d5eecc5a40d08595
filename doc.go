// Package hub is a Socket.IO server for Go: Socket.IO v5 over Engine.IO v4, mounted as
// net/http middleware, which the official JavaScript client (socket.io-client 4.x) talks to
// unmodified over WebSocket and HTTP long-polling, with the upgrade between them, and over
// SSE + POST, hub's own addition, which its Go and browser clients use (see Transports).
//
//	srv := hub.New(nil)
//	srv.OnConnection(func(s *hub.Socket) {
//		s.On("chat message", func(msg string) {
//			srv.Emit("chat message", msg)
//		})
//	})
//	log.Fatal(http.ListenAndServe(":8080", srv.Handler(mux))) // or mux.Handle("/socket.io/", srv)
//
// # Concepts
//
// A [Server] serves one path (default "/socket.io/"). Each client opens one Engine.IO
// session on it — a connection that may change transport — and joins one or more
// [Namespace]s over it, "/" being the main one; each join is a [Socket], with its own
// random id (never the session id). Connection middleware ([Namespace.Use]) may refuse a
// socket with a message and data the client sees in its connect_error. Namespaces can be
// created on demand by a dynamic parent ([Server.OfPattern], [Server.OfFunc]).
//
// Events are named and carry any number of JSON arguments; []byte values, at any depth,
// travel as binary attachments both ways. Handlers are typed: [Socket.On] decodes the
// arguments into the handler's parameter types, and a last [Ack] parameter answers the
// client's acknowledgement callback. [Socket.EmitWithAck] waits for the client's answer.
//
// Every socket is in a room named by its id, and joins others with [Socket.Join]. A
// [BroadcastOperator], from To, In, Except, Broadcast…, selects sockets by room and emits to
// them (encoded once, the same bytes queued for every recipient), collects their
// acknowledgements, fetches, moves or disconnects them. It acts through the namespace's
// adapter ([Options.Adapter]): in memory by default; an adapter for several servers, such
// as github.com/hubkit/hub/adapter/redis, lives in its own module. Package
// github.com/hubkit/hub/adapter is the seam, for those who write one.
//
// # From JavaScript
//
// The JavaScript server's `io` is a *hub.Server, called srv here (never `io` in Go, where
// it would hide the standard library).
//
//	Node (socket.io 4.x)                          hub
//	new Server(httpServer, opts)                  srv := hub.New(&hub.Options{…}); mount srv or srv.Handler(next)
//	io.on("connection", (socket) => …)            srv.OnConnection(func(s *hub.Socket) {…})
//	io.use((socket, next) => …)                   srv.Use(func(s *hub.Socket) error {…})
//	next(err) with err.data = {…}                 return &hub.ConnectError{Message: "…", Data: …}
//	io.of("/admin")                               srv.Of("/admin")
//	io.of(/^\/dyn-\w+$/), io.of((name, auth, next) => …)  srv.OfPattern(re), srv.OfFunc(func(name, auth) bool)
//	nsp.use(fn), nsp.on("connection", fn)         ns.Use(fn), ns.OnConnection(fn)
//	socket.id, socket.handshake, socket.data      s.ID(), s.Handshake(), s.Data() / s.SetData(v)
//	socket.on("ev", (a, b, cb) => …)              s.On("ev", func(a string, b T, ack hub.Ack) {…})
//	socket.on("ev", (...args) => …)               s.On("ev", func(args hub.Args) {…}) (raw access; the same in the client)
//	cb(x); cb(y) (the second ignored)             ack(x); ack(y) returns hub.ErrAckAlreadySent
//	a throwing handler (ends Node's process)      recovered: a *hub.PanicError to Options.OnError, logged without it
//	socket.emit(1.5, …) from a JS client          s.On("1.5", …) (a numeric name as JavaScript's String(n))
//	socket.onAny((ev, ...args) => …)              s.OnAny(func(ev string, args hub.Args) {…})
//	socket.once("ev", fn); socket.off("ev", fn)   remove := s.Once("ev", fn) (On returns one too); remove()
//	socket.off("ev")                              s.Off("ev")
//	socket.prependAny / offAny / listenersAny     s.PrependAny(fn) / s.OffAny() or remove() / s.ListenersAny()
//	socket.onAnyOutgoing((ev, ...args) => …)      s.OnAnyOutgoing(func(ev string, args hub.Args) {…})
//	prependAnyOutgoing / offAnyOutgoing / …       s.PrependAnyOutgoing / s.OffAnyOutgoing / s.ListenersAnyOutgoing
//	socket.use(([ev, ...args], next) => …)        s.Use(func(ev *hub.Event) error {…})
//	socket.on("error", (err) => …)                s.OnError(func(err error) {…})
//	socket.on("disconnecting" / "disconnect")     s.OnDisconnecting(fn) / s.OnDisconnect(fn)
//	socket.emit("ev", a, b)                       s.Emit("ev", a, b)
//	socket.volatile.emit("ev")                    s.EmitVolatile("ev")
//	socket.timeout(ms).emit("ev", (err, r) => …)  r, err := s.EmitWithAck(ctx, "ev") (ctx with timeout)
//	await socket.emitWithAck("ev")                s.EmitWithAck(ctx, "ev")
//	socket.join("room"), socket.leave("room")     s.Join("room"), s.Leave("room")
//	socket.rooms                                  s.Rooms()
//	socket.to("room").emit("ev")                  s.To("room").Emit("ev")
//	socket.broadcast.emit("ev")                   s.Broadcast().Emit("ev")
//	socket.disconnect(close)                      s.Disconnect(close)
//	socket.conn.close()                           s.CloseConn()
//	socket.conn.transport.name                    s.Transport()
//	socket.conn.on("upgrade", (t) => …)           s.OnUpgrade(func(transport string) {…})
//	socket.request (+ the app's middleware)       s.Request(); its context's values: s.Context().Value(k)
//	io.emit("ev"), nsp.emit("ev")                 srv.Emit("ev"), ns.Emit("ev")
//	io.to("r1").to("r2").except("r3").emit("ev")  srv.To("r1", "r2").Except("r3").Emit("ev")
//	io.volatile.emit, io.local.emit               srv.Volatile().Emit, srv.Local().Emit
//	io.timeout(ms).emit("ev", (err, res) => …)    res, err := srv.Timeout(d).EmitWithAck(ctx, "ev")
//	await io.in("r").fetchSockets()               srv.In("r").FetchSockets(ctx) ([]*hub.RemoteSocket)
//	io.in("r").socketsJoin("r2") / socketsLeave   srv.In("r").SocketsJoin("r2") / SocketsLeave
//	io.in("r").disconnectSockets(close)           srv.In("r").DisconnectSockets(close)
//	nsp.serverSideEmit("ev")                      ns.ServerSideEmit(ctx, "ev"), ns.OnServerSideEmit
//	await io.serverSideEmitWithAck("ev")          srv.ServerSideEmitWithAck(ctx, "ev"); srv.OnServerSideEmitWithAck(func(ev, args, ack) {…})
//	connectionStateRecovery: {…}                  hub.Options{ConnectionStateRecovery: &hub.ConnectionStateRecovery{…}}
//	socket.recovered                              s.Recovered()
//	io.close()                                    srv.Shutdown(ctx) (graceful) or srv.Close()
//	new Server({ adapter: createAdapter(…) })     hub.Options{Adapter: redis.NewAdapter(rdb, nil)} (package adapter/redis)
//	new Server({ cookie: {name, …} })             hub.Options{Cookie: &http.Cookie{Name: …}} (HttpOnly always)
//	new Server({ allowUpgrades: false })          hub.Options{DisableUpgrades: true}
//	io.engine.on("connection_error", (e) => …)    hub.Options{OnConnectionError: func(e *hub.ConnectionError) {…}}
//	io.engine.on("initial_headers" / "headers")   hub.Options{InitialHeaders: fn, Headers: fn} (fn(h http.Header, r *http.Request))
//	io.engine.clientsCount                        srv.ClientsCount()
//	io.on("new_namespace", (nsp) => …)            srv.OnNewNamespace(func(ns *hub.Namespace) {…})
//	nsp.adapter.on("join-room", (room, id) => …)  ns.OnRoomChange(func(event, room, id string) {…}) (create-room, delete-room, join-room, leave-room)
//	new Server({ parser: require("socket.io-msgpack-parser") })
//	                                              hub.Options{Parser: hub.MsgpackParser()} (Go client: client.Options{Parser: client.MsgpackParser()})
//	<script src="/socket.io/socket.io.msgpack.min.js">
//	                                              served by hub too (its own build, with the msgpack parser)
//
// # Concurrency
//
// Every exported method is safe for concurrent use. Sending (Emit, broadcasts, acks) never
// blocks: packets are queued on the client's session, and a client that does not read
// fast enough is disconnected once its queue passes Options.MaxQueuedBytes. Methods that
// wait (EmitWithAck, FetchSockets, Shutdown) take a context.
//
// The network read path only decodes packets; handlers never run on it. The handlers of
// one client — its middleware, connection handlers, event handlers and disconnect handlers,
// in every namespace — run on one goroutine, one at a time, in the order the client's
// packets arrived; different clients' handlers run in parallel. A handler may block (the
// client's later events wait, up to a bounded queue of twelve times MaxHTTPBufferSize — one
// binary packet of the largest size, 10 attachments, and twice MaxHTTPBufferSize more —
// past which the client is disconnected), and acknowledgements are delivered even while it
// does, so a handler may call EmitWithAck on its own socket. A socket's Context is
// cancelled when it disconnects: long handlers should watch it. A panic in a handler is
// recovered, as net/http does, and goes to Options.OnError as a *[PanicError] (logged when
// OnError is not set), as do decoding errors (*[DecodeError]) and errors handlers return. The client has a handler goroutine only while it has work.
//
// # Disconnect reasons
//
// OnDisconnect receives a [DisconnectReason], the Node server's words (the Reason constants):
// "client namespace disconnect", "server namespace disconnect", "transport close",
// "transport error", "ping timeout", "parse error", "forced close", "server shutting down".
//
// # Transports
//
// WebSocket, HTTP long-polling, and SSE. SSE is hub's addition to the protocol, not part of
// Engine.IO: a GET with Accept: text/event-stream (transport=sse) streams Engine.IO packets
// as Server-Sent Events, one packet per event in text form (binary as "b" + base64), and
// packets go up by POST exactly as with polling; an SSE session upgrades to WebSocket like
// a polling one. The official clients do not know it (hub's own clients do); it is never
// advertised in the handshake's upgrades. [Options.Transports] restricts the set.
//
// # Limits
//
// What one connection may cost is bounded from its first byte; each bound answers as Node
// does where Node has one:
//
//   - Request headers: Options.MaxHeaderBytes (16 KiB), past which 431.
//   - A request body must arrive, and a long-poll or SSE answer be taken, within
//     PingInterval + PingTimeout; a body that stops coming is dropped. So is every blocking
//     WebSocket write.
//   - A message or POST: MaxHTTPBufferSize (1 MB); past it 413, or close 1009 on WebSocket.
//   - A binary packet: at most 10 attachments, each a message of its own.
//   - A received event or ack: at most 10,000 arguments, nested at most 256 deep.
//   - Handlers not keeping up: the handler queue (see Concurrency). A client not reading:
//     Options.MaxQueuedBytes (4 MiB).
//   - With connection state recovery, the events kept for clients that may come back:
//     ConnectionStateRecovery.MaxLogBytes per namespace (64 MiB), with the state of the
//     disconnected sockets, and MaxDisconnectionDuration.
//
// docs/hostile-inputs.md and docs/websocket-cases.md list the hostile inputs the tests send
// to hub and to the Node server side by side, with both answers.
//
// # Stricter than Node
//
//   - A WebSocket handshake whose Origin names another host than the request's Host is
//     refused with 403 unless [Options.CORS] allows that origin: browsers apply no CORS to
//     WebSockets and send the user's cookies, so any site could otherwise open one in its
//     visitor's name. Node accepts any origin. Clients that send no Origin pass.
//   - A received packet with more than 10,000 arguments, or nested more than 256 levels
//     deep, closes the connection as a packet that does not decode ("parse error"). Node has
//     no such limits (and its own relay of such a packet can overflow its stack).
//   - With the msgpack parser, a packet with more than 1,000 binary values, a repeated
//     field, a map key that is neither a string nor an integer, or a map {"_placeholder":
//     true} (which would pass for an attachment) does not decode and closes the connection.
//     Node hands such packets to the handlers as they are.
//   - A dynamic child namespace ([Server.OfPattern], [Server.OfFunc]) is reclaimed once its
//     last socket has left or been refused, so clients cannot make the server hold
//     namespaces without bound; keep no *Namespace of a child. Node keeps them unless
//     cleanupEmptyChildNamespaces is set.
//   - A text WebSocket message with invalid UTF-8 fails with 1007 as soon as the fragment
//     carrying it arrives (Node waits for the whole message). Only Sec-WebSocket-Version 13
//     is accepted; others get 426 (Node also takes version 8).
//   - Connection state recovery keeps at most ConnectionStateRecovery.MaxLogBytes of events
//     and disconnected sockets' state per namespace (Node keeps all of the last
//     MaxDisconnectionDuration); a client whose last event or state is gone gets a new
//     session, as after the window. A session is
//     recovered only while no socket of the namespace holds its id: a pid presented twice
//     never makes two sockets with one id (Node restores it twice).
//
// Where hub differs without being stricter: everything hub writes is valid UTF-8 —
// invalid UTF-8 in a polling or SSE body becomes U+FFFD as in Node, and so do invalid bytes
// in relayed raw JSON or a json.Marshaler's output. A broadcast EmitWithAck without a
// timeout waits PingInterval + PingTimeout (Node gives up at once), and stops awaiting the
// answers when it returns. Connection state recovery also replays the events sent while a
// recovering socket ran its middleware (with RunMiddlewares; Node loses those), and
// delivers each exactly once however broadcasts race the reconnection.
//
// Engine: with DisableUpgrades, an upgrade request is refused with 400 (Node only stops
// advertising upgrades, and still upgrades a client that tries); the session cookie is
// always HttpOnly (an http.Cookie cannot say "unset"); the headers hooks' headers also go
// on a 400 the transport itself writes (an overlapping poll).
//
// Listeners: a panicking packet middleware ([Socket.Use]) refuses only that event (in Node
// a throwing middleware ends the connection); a refusal nobody listens for ([Socket.OnError])
// goes to Options.OnError or the log, where Node's unhandled "error" event would throw.
// Outgoing listeners ([Socket.OnAnyOutgoing]) run on the socket's handler goroutine after
// the event is queued, not inside the emitter, so they can neither change nor stop it.
// ServerSideEmitWithAck on the in-memory adapter answers with no responses at once (Node's
// in-memory adapter never calls back).
//
// # Metrics
//
// [Options.Observer] is told of connections, sockets, messages, drops, slow clients and
// acknowledgement timeouts, with labels from small fixed sets only; the module
// github.com/hubkit/hub/metrics/prometheus turns it into Prometheus metrics. Node has no
// counterpart (its admin UI aside, which hub does not serve yet).
//
// # Not covered yet
//
// Compared with the Node server: the Engine.IO v3 protocol (allowEIO3), compression flags,
// the engine's "upgrading" event and its middleware (io.engine.use),
// and, of a socket's EventEmitter methods, prependListener and listenerCount. Connection state recovery works with the default adapter; the
// Redis pub/sub adapter does not recover sessions, as in Node.
package hub
