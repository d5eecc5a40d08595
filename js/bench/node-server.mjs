// The Node reference server of the benchmark harness: socket.io 4.8.1 (pinned in
// js/package.json) with its defaults on 127.0.0.1, answering the same events as hub's
// bench server (bench/server.go). Prints "listening <port>".
//
//   node js/bench/node-server.mjs [port] [--csr]
// (--csr turns connection state recovery on, with its defaults)
import { createServer } from "node:http";
import { Server } from "socket.io";

const args = process.argv.slice(2);
const httpServer = createServer();
const io = new Server(httpServer, args.includes("--csr") ? { connectionStateRecovery: {} } : {});

io.on("connection", (socket) => {
  socket.on("fanout", (msg) => io.emit("bcast", msg));
  socket.on("roomcast", (room, msg) => io.to(room).emit("bcast", msg));
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("echo", (msg, ack) => ack(msg));
});

httpServer.listen(Number(args.find((a) => !a.startsWith("--")) || 0), "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

const stop = () => {
  io.close();
  httpServer.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
