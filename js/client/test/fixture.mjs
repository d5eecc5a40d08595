// The reference server for the browser tests: the official Node socket.io 4.8 with the handlers of
// js/interop/APP.md that the client tests use (so the same tests run against hub's interop server
// through SERVER_URL), plus `kill-transport`, which closes the Engine.IO connection under the
// socket without a Socket.IO DISCONNECT, as a dying server or proxy would, and `stop-pings`, after
// which the server sends no more pings on that connection (and does not time it out itself).
import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

export async function startNodeServer() {
  const http = createServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  const io = new Server(http, {
    path: "/socket.io/",
    pingInterval: 1000,
    pingTimeout: 1000,
    connectTimeout: 2000,
    maxHttpBufferSize: 100000,
    serveClient: false,
  });
  const reasons = {};
  const engineIds = {}; // socket id -> Engine.IO id, to see which sockets share a connection
  const transports = {}; // socket id -> transport names seen, in order
  const headers = {}; // socket id -> the x-client-test header of its handshake request

  const common = (socket) => {
    engineIds[socket.id] = socket.conn.id;
    headers[socket.id] = socket.handshake.headers["x-client-test"] ?? null;
    transports[socket.id] = [socket.conn.transport.name];
    socket.conn.on("upgrade", (t) => transports[socket.id].push(t.name));
    socket.on("echo", (...args) => socket.emit("echo", ...args));
    socket.on("ack-me", (...args) => {
      const ack = args.pop();
      ack(...args);
    });
  };

  io.on("connection", (socket) => {
    common(socket);
    socket.emit("welcome", {
      id: socket.id,
      auth: socket.handshake.auth,
      query: socket.handshake.query.k ?? null,
    });
    socket.on("disconnect", (reason) => (reasons[socket.id] = reason));
    socket.on("server-ack", (event, ...args) => {
      socket.timeout(2000).emit(event, ...args, (err, ...res) =>
        socket.emit("server-ack-result", err ? { error: err.message } : { result: res })
      );
    });
    socket.on("disconnect-me", (close) => socket.disconnect(close));
    socket.on("get-reason", (id, ack) => ack(reasons[id] ?? null));
    socket.on("volatile", (event, ...args) => socket.volatile.emit(event, ...args));
    socket.on("kill-transport", () => socket.conn.close());
    socket.on("header", (name, ack) => ack(socket.handshake.headers[name.toLowerCase()] ?? null));
    // flaky acks only the n-th time it is received (per socket), with how many tries it saw.
    let flakyCalls = 0;
    socket.on("flaky", (n, ack) => ++flakyCalls >= n && ack(flakyCalls));
    socket.on("stop-pings", (ack) => {
      const conn = socket.conn; // engine.io 6.6 internals, pinned by the lockfile
      const send = conn.sendPacket.bind(conn);
      conn.sendPacket = (type, ...rest) => type !== "ping" && send(type, ...rest);
      conn.resetPingTimeout = () => {};
      ack();
    });
  });

  const admin = io.of("/admin");
  admin.use((socket, next) => {
    if (socket.handshake.auth.token !== "secret") {
      const err = new Error("not authorized");
      err.data = { code: 401 };
      return next(err);
    }
    next();
  });
  admin.on("connection", (socket) => {
    common(socket);
    socket.emit("admin-welcome", socket.id);
  });

  // The /csr/ server of js/interop/APP.md: connection state recovery.
  const csr = new Server(http, {
    path: "/csr/",
    pingInterval: 1000,
    pingTimeout: 1000,
    connectTimeout: 2000,
    maxHttpBufferSize: 100000,
    serveClient: false,
    connectionStateRecovery: { maxDisconnectionDuration: 1500 },
    destroyUpgrade: false, // or it would end the WebSockets of the other server's path
  });
  csr.on("connection", (socket) => {
    if (!socket.recovered) socket.join("csr-room");
    socket.emit("csr-welcome", { id: socket.id, recovered: socket.recovered });
    socket.on("to-room", (room, event, arg, ack) => {
      csr.to(room).emit(event, arg);
      ack();
    });
    socket.on("kill-transport", () => socket.conn.close());
  });

  // The /msgpack/ server of js/interop/APP.md: the msgpack parser.
  const mp = new Server(http, {
    path: "/msgpack/",
    pingInterval: 1000,
    pingTimeout: 1000,
    connectTimeout: 2000,
    maxHttpBufferSize: 100000,
    serveClient: false,
    parser: msgpackParser,
    destroyUpgrade: false,
  });
  mp.on("connection", (socket) => {
    socket.emit("welcome", { id: socket.id, auth: socket.handshake.auth, bin: Buffer.from([1, 2, 3]) });
    socket.on("echo", (...args) => socket.emit("echo", ...args));
    socket.on("ack-me", (...args) => args.pop()(...args));
    socket.on("server-ack", (event, ...args) => {
      socket.timeout(2000).emit(event, ...args, (err, ...res) =>
        socket.emit("server-ack-result", err ? { error: err.message } : { result: res })
      );
    });
    socket.on("to-all", (event, ...args) => mp.emit(event, ...args));
  });

  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${http.address().port}`;
  return {
    url,
    io,
    reasons,
    engineIds,
    transports,
    headers,
    close: () => new Promise((resolve) => mp.close(() => csr.close(() => io.close(() => resolve())))),
  };
}
