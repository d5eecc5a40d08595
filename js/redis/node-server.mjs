// A Node socket.io 4.8 server with @socket.io/redis-adapter 8.3, driven by the Go tests of
// adapter/redis to form a mixed cluster with hub servers on one Redis.
//
//   node js/redis/node-server.mjs <redis-url> <key> <classic|sharded>
//
// It prints {"port": N} once listening, then reads one JSON command per line on stdin and
// answers each with {"id": …, "result": …} or {"id": …, "error": "…"} on stdout. Events it
// observes (server-side emits, events of the official clients it runs) are printed as
// {"event": …}. A connecting socket joins the rooms of its "rooms" query parameter and keeps
// its "user" parameter as data; its "q" events are answered with the socket's user.
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { Server } from "socket.io";
import { io as connect } from "socket.io-client";
import { createClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

const [url, key, mode] = process.argv.slice(2);
const out = (v) => process.stdout.write(JSON.stringify(v, (k, x) =>
  x && x.type === "Buffer" && Array.isArray(x.data) ? { buffer: x.data } : x) + "\n");

const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", () => {});
sub.on("error", () => {});
await Promise.all([pub.connect(), sub.connect()]);

const httpServer = createServer();
const io = new Server(httpServer);
io.adapter(mode === "sharded"
  ? createShardedAdapter(pub, sub, { channelPrefix: key })
  : createAdapter(pub, sub, { key }));

const setup = (nsp) => {
  nsp.use((socket, next) => {
    const { rooms, user } = socket.handshake.query;
    if (rooms) socket.join(rooms.split(","));
    if (user) socket.data = { user };
    next();
  });
  nsp.on("connection", (socket) => {
    socket.on("q", (...args) => {
      const cb = args.pop();
      cb(socket.data.user || "node", { ignored: true });
    });
  });
};
setup(io.of("/"));
io.on("hello", (...args) => {}); // keeps the listener list non-empty
io.of("/").on("sse", (...args) => {
  const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
  out({ event: { type: "sse", args } });
  if (cb) cb({ from: "node", echo: args[0] });
});

const clients = new Map();
const emitter = new Emitter(pub, { key });

const ops = {
  async emit({ rooms = [], except = [], event, args = [], binary }) {
    if (binary) args.push(Buffer.from(binary));
    io.to(rooms).except(except).emit(event, ...args);
  },
  async fetch({ rooms = [], except = [] }) {
    const sockets = await io.in(rooms).except(except).fetchSockets();
    return sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data, handshake: s.handshake }));
  },
  async join({ rooms = [], except = [], target }) { io.in(rooms).except(except).socketsJoin(target); },
  async leave({ rooms = [], except = [], target }) { io.in(rooms).except(except).socketsLeave(target); },
  async disconnect({ rooms = [], except = [], close }) { io.in(rooms).except(except).disconnectSockets(close); },
  async serverSideEmit({ event, args = [] }) { io.serverSideEmit(event, ...args); },
  async serverSideEmitWithAck({ event, args = [] }) { return io.serverSideEmitWithAck(event, ...args); },
  async emitWithAck({ rooms = [], event }) { return io.timeout(5000).to(rooms).emitWithAck(event); },
  async serverCount() { return io.of("/").adapter.serverCount(); },
  async emitterEmit({ rooms = [], event, args = [], binary }) {
    if (binary) args.push(Buffer.from(binary));
    emitter.to(rooms).emit(event, ...args);
  },
  async emitterJoin({ rooms = [], target }) { emitter.in(rooms).socketsJoin(target); },
  // Runs an official socket.io-client against a server (hub's or this one).
  async client({ url: target, query = {} }) {
    const socket = connect(target, { query, transports: ["websocket"], reconnection: false });
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    const sid = socket.id; // socket.id is unset once disconnected
    clients.set(sid, socket);
    socket.onAny((event, ...args) => out({ event: { type: "client", sid, name: event, args } }));
    socket.on("q", (cb) => cb(query.user || "official"));
    socket.on("disconnect", (reason) => out({ event: { type: "client", sid, name: "disconnect", args: [reason] } }));
    return sid;
  },
  async close() {
    for (const c of clients.values()) c.close();
    await new Promise((resolve) => io.close(resolve));
    await Promise.allSettled([pub.quit(), sub.quit()]);
    setImmediate(() => process.exit(0));
  },
};

httpServer.listen(0, "127.0.0.1", () => out({ port: httpServer.address().port }));

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  try {
    out({ id: cmd.id, result: (await ops[cmd.op](cmd)) ?? null });
  } catch (err) {
    out({ id: cmd.id, error: String(err && err.message || err) });
  }
}
