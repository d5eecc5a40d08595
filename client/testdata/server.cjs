// The Node socket.io@4.8 server the client package's tests run against (the reference). The
// hub version of the same app lives in the tests (serverapp_test.go); keep the two in step.
//
//   node client/testdata/server.cjs [--csr]
//
// (--csr turns connection state recovery on)
// prints "listening <port>" once ready, and stops when stdin closes.
"use strict";

const path = require("node:path");
const { createServer } = require("node:http");
const { Server } = require(path.join(__dirname, "../../js/node_modules/socket.io"));

const httpServer = createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
  // Heartbeats generous enough for a loaded machine (the tests share two cores).
  pingInterval: 2000,
  pingTimeout: 5000,
  connectTimeout: 2000,
  serveClient: false,
  ...(process.argv.includes("--csr") && {
    connectionStateRecovery: { maxDisconnectionDuration: 10000, skipMiddlewares: true },
  }),
});

// reasons[socket id] = why the server saw it disconnect.
const reasons = new Map();

function common(socket) {
  socket.on("disconnect", (reason) => reasons.set(socket.id, reason));
  // echo: the same arguments back, binary staying binary.
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  // ack-me: acknowledge with the same arguments.
  socket.on("ack-me", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  // server-ack: the server emits event with args asking the client to acknowledge, and
  // reports the answer with a "server-ack-result" event.
  socket.on("server-ack", (event, ...args) => {
    socket.timeout(2000).emit(event, ...args, (err, ...res) =>
      socket.emit("server-ack-result", err ? { error: err.message } : { result: res }),
    );
  });
  // count: n "seq" events carrying 0..n-1.
  socket.on("count", (n) => {
    for (let i = 0; i < n; i++) socket.emit("seq", i);
  });
}

io.on("connection", (socket) => {
  socket.emit("welcome", {
    id: socket.id,
    auth: socket.handshake.auth,
    query: socket.handshake.query.k ?? null,
    header: socket.handshake.headers["x-test"] ?? null,
  });
  common(socket);
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(Array.from(socket.rooms).sort());
  });
  socket.on("to-room", (room, event, ...args) => io.to(room).emit(event, ...args));
  // disconnect-me: socket.disconnect(close); close=true closes the whole connection.
  socket.on("disconnect-me", (close) => socket.disconnect(close));
  // drop: close the Engine.IO connection without a DISCONNECT (a lost connection, to the
  // client; disconnect(true) would send DISCONNECT packets first).
  socket.on("drop", () => socket.conn.close());
  socket.on("get-reason", (id, ack) => ack(reasons.get(id) ?? null));
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
  common(socket);
});

function stop() {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.on("SIGTERM", stop);
process.stdin.resume();

httpServer.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
