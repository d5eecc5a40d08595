// The interop test app on the official Node socket.io@4.8 server: the reference
// implementation of APP.md (read that first; this file follows it line by line).
//
//   node js/interop/node-server.mjs --port 0
//
// prints "listening <port>" once ready and stops on SIGTERM, SIGINT or when stdin closes.

import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { ClusterAdapter } from "socket.io-adapter";
import msgpackParser from "socket.io-msgpack-parser";

const { values } = parseArgs({ options: { port: { type: "string", default: "3000" } } });

const httpServer = createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
  pingInterval: 1000,
  pingTimeout: 1000,
  connectTimeout: 2000,
  maxHttpBufferSize: 100000,
  serveClient: false,
  cookie: { name: "interop-sid", sameSite: "strict", maxAge: 3600 }, // APP.md "Engine hooks"
  // CORS off, connection state recovery off, upgradeTimeout default: Node's defaults.
});

// Engine hooks (APP.md "Engine hooks").
let lastConnectionError = null;
io.engine.on("connection_error", (e) => {
  lastConnectionError = { code: e.code, message: e.message, context: e.context ?? null };
});
io.engine.on("initial_headers", (headers) => {
  headers["x-interop-initial"] = "1";
});
io.engine.on("headers", (headers) => {
  headers["x-interop"] = "1";
});

// reasons[socket.id] = reason, for every disconnect seen on "/".
const reasons = new Map();

// roomOp returns io.in(room), or io itself when room is null (meaning all sockets).
function roomOp(room) {
  return room == null ? io : io.in(room);
}

function echoHandlers(socket) {
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("ack-me", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
}

io.on("connection", (socket) => {
  socket.emit("welcome", {
    id: socket.id,
    auth: socket.handshake.auth,
    query: socket.handshake.query.k ?? null,
  });
  socket.on("disconnect", (reason) => reasons.set(socket.id, reason));

  echoHandlers(socket);
  // Events named by a number are named as String(n): 1.5 is "1.5", 1e21 is "1e+21".
  for (const name of ["7", "1.5", "1e+21"]) socket.on(name, (ack) => ack(name));

  socket.on("server-ack", (event, ...args) => {
    socket.timeout(2000).emit(event, ...args, (err, ...res) =>
      socket.emit("server-ack-result", err ? { error: err.message } : { result: res }),
    );
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(Array.from(socket.rooms).sort());
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack(Array.from(socket.rooms).sort());
  });
  socket.on("to-room", (room, event, ...args) => io.to(room).emit(event, ...args));
  socket.on("to-all", (event, ...args) => io.emit(event, ...args));
  socket.on("broadcast", (event, ...args) => socket.broadcast.emit(event, ...args));
  socket.on("except", (room, event, ...args) => io.except(room).emit(event, ...args));
  socket.on("room-broadcast", (room, event, ...args) => socket.to(room).emit(event, ...args));
  socket.on("broadcast-ack", (event, ack) => {
    io.timeout(1000).emit(event, (err, responses) =>
      ack({ error: err ? err.message : null, responses: responses.slice().sort() }),
    );
  });
  socket.on("fetch-sockets", async (room, ack) => {
    const sockets = await roomOp(room).fetchSockets();
    ack(sockets.map((s) => s.id).sort());
  });
  socket.on("sockets-join", (room, target, ack) => {
    roomOp(room).socketsJoin(target);
    ack();
  });
  socket.on("sockets-leave", (room, target, ack) => {
    roomOp(room).socketsLeave(target);
    ack();
  });
  socket.on("disconnect-sockets", (room, close) => roomOp(room).disconnectSockets(close));
  socket.on("disconnect-me", (close) => socket.disconnect(close));
  socket.on("kill-transport", () => socket.conn.close());
  socket.on("header", (name, ack) => ack(socket.handshake.headers[name.toLowerCase()] ?? null));
  let flakyCalls = 0;
  socket.on("flaky", (n, ack) => ++flakyCalls >= n && ack(flakyCalls));
  socket.on("get-reason", (id, ack) => ack(reasons.get(id) ?? null));
  socket.on("volatile", (event, ...args) => socket.volatile.emit(event, ...args));
  socket.on("last-connection-error", (ack) => ack(lastConnectionError));
  if (socket.handshake.query["notify-upgrade"] !== undefined) {
    socket.conn.on("upgrade", (transport) => socket.emit("upgraded", transport.name));
  }
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
  socket.emit("admin-welcome", socket.id);
  echoHandlers(socket);
});

io.of(/^\/dyn-[a-z0-9]+$/).on("connection", (socket) => {
  socket.emit("nsp", socket.nsp.name);
});

// The second server, at /csr/, with connection state recovery (APP.md, "Server /csr/").
const csr = new Server(httpServer, {
  path: "/csr/",
  pingInterval: 1000,
  pingTimeout: 1000,
  connectTimeout: 2000,
  maxHttpBufferSize: 100000,
  serveClient: false,
  connectionStateRecovery: { maxDisconnectionDuration: 1500 },
  destroyUpgrade: false, // or it would end the WebSockets of the other server's path
});
csr.use((socket, next) => {
  socket.data.mw = (socket.data.mw ?? 0) + 1;
  next();
});
csr.on("connection", (socket) => {
  if (!socket.recovered) {
    socket.join("csr-room");
    socket.data.tag = "t-" + socket.id;
  }
  socket.emit("csr-welcome", { id: socket.id, recovered: socket.recovered });
  socket.on("state", (ack) =>
    ack({ id: socket.id, recovered: socket.recovered, rooms: Array.from(socket.rooms).sort(), data: socket.data }),
  );
  socket.on("to-room", (room, event, arg, ack) => {
    csr.to(room).emit(event, arg);
    ack();
  });
  socket.on("emit-back", (event, ...args) => socket.emit(event, ...args));
  socket.on("volatile-back", (event, ...args) => socket.volatile.emit(event, ...args));
  socket.on("kill-transport", () => socket.conn.close());
});

// A cluster adapter with no other server (its messages go nowhere): Node's in-memory adapter
// never answers serverSideEmitWithAck, its cluster adapters answer [] at once when alone.
class LoneClusterAdapter extends ClusterAdapter {
  doPublish() {
    return Promise.resolve("");
  }
  doPublishResponse() {
    return Promise.resolve();
  }
}

const listeners = io.of("/listeners");
listeners.adapter = new LoneClusterAdapter(listeners);
listeners.on("connection", (socket) => {
  socket.use(([event], next) => (event === "forbidden" ? next(new Error("forbidden event")) : next()));
  socket.on("error", (err) => socket.emit("refused", err.message));
  socket.on("forbidden", (ack) => ack("leaked"));
  socket.once("once", (...args) => socket.emit("once-got", ...args));
  socket.onAnyOutgoing((event, ...args) => {
    if (event !== "outgoing") socket.emit("outgoing", event, ...args);
  });
  echoHandlers(socket);
  socket.on("to-all", (event, ...args) => listeners.emit(event, ...args));
  socket.on("sse-ack", (event, ack) => {
    listeners.serverSideEmitWithAck(event).then(
      (responses) => ack({ responses }),
      (err) => ack({ error: err.message }),
    );
  });
  socket.emit("hello", 1);
});

// A second server on the same HTTP server, without upgrades (APP.md "Server /noupgrade/").
// destroyUpgrade: false, or it would end the first server's WebSockets (not its path).
const noUpgrade = new Server(httpServer, {
  path: "/noupgrade/",
  pingInterval: 1000,
  pingTimeout: 1000,
  serveClient: false,
  allowUpgrades: false,
  destroyUpgrade: false,
});
noUpgrade.on("connection", (socket) => {
  socket.emit("welcome", { transport: socket.conn.transport.name });
  socket.on("clients-count", (ack) => ack(noUpgrade.engine.clientsCount));
});

// A second server with the msgpack parser (APP.md "Server /msgpack/").
const mp = new Server(httpServer, {
  path: "/msgpack/",
  pingInterval: 1000,
  pingTimeout: 1000,
  connectTimeout: 2000,
  maxHttpBufferSize: 100000,
  serveClient: false,
  parser: msgpackParser,
  destroyUpgrade: false, // or it would end the WebSockets of the other servers' paths
});
mp.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, auth: socket.handshake.auth, bin: Buffer.from([1, 2, 3]) });
  echoHandlers(socket);
  socket.on("server-ack", (event, ...args) => {
    socket.timeout(2000).emit(event, ...args, (err, ...res) =>
      socket.emit("server-ack-result", err ? { error: err.message } : { result: res }),
    );
  });
  socket.on("to-all", (event, ...args) => mp.emit(event, ...args));
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("to-room", (room, event, ...args) => mp.to(room).emit(event, ...args));
  socket.on("values", (ack) =>
    ack({ int: 1, neg: -5, float: 1.5, big: 2 ** 40, str: "é✓", nil: null, t: true, arr: [1, [2]], bin: Buffer.from([255]) }),
  );
});
mp.of("/admin").use((socket, next) => {
  if (socket.handshake.auth.token !== "secret") {
    const err = new Error("not authorized");
    err.data = { code: 401 };
    return next(err);
  }
  next();
});
mp.of("/admin").on("connection", (socket) => {
  socket.emit("admin-welcome", socket.id);
  echoHandlers(socket);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  csr.close();
  noUpgrade.close();
  mp.close();
  io.close(() => process.exit(0));
  // io.close waits for open HTTP connections; don't let a stuck one keep us alive.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();

httpServer.listen(Number(values.port), () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
