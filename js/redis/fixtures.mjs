// Writes the wire-format fixtures the Go tests of adapter/redis compare against: what
// notepack.io (the MessagePack codec of @socket.io/redis-adapter 8.3) makes of JavaScript
// values, and the exact messages the real RedisAdapter, sharded adapter and redis-emitter
// publish, captured with a fake Redis client (no server needed).
//
//   node js/redis/fixtures.mjs > adapter/redis/testdata/fixtures.json
import notepack from "notepack.io";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

const hex = (b) => Buffer.from(b).toString("hex");

// values: encoded by notepack; decoded again and written with JSON.stringify, and
// re-encoded after decoding.
const values = {
  null: null,
  true: true,
  false: false,
  zero: 0,
  fixint: 127,
  uint8: 200,
  uint16: 65535,
  uint32: 4294967295,
  uint64: 4294967296,
  big: 9007199254740991,
  negfix: -32,
  int8: -100,
  int16: -30000,
  int32: -2147483648,
  int64: -2147483649,
  float: 1.5,
  negfloat: -0.1,
  tiny: 1e-7,
  huge: 1e21,
  nan: NaN,
  inf: Infinity,
  emptystr: "",
  str31: "a".repeat(31),
  str32: "b".repeat(32),
  str256: "c".repeat(256),
  str65536: "d".repeat(65536),
  unicode: "héllo ✓ 😀",
  escapes: "quote\" backslash\\ newline\n tab\t nul\u0000 \u001f del\u007f <&> \u2028",
  buffer: Buffer.from([1, 2, 3]),
  emptybuffer: Buffer.alloc(0),
  buffer300: Buffer.alloc(300, 7),
  buffer70000: Buffer.alloc(70000, 9),
  uint8array: new Uint8Array([4, 5]),
  arraybuffer: new Uint8Array([6, 7, 8]).buffer,
  date32: new Date(1700000000000),
  date64: new Date(1700000000123),
  date96: new Date(-1000),
  undefinedInArray: [1, undefined, 2],
  undefinedInObject: { a: 1, b: undefined, c: 3 },
  functionInObject: { a: 1, f() {} },
  set: new Set(["a", "b"]),
  map: new Map([["a", 1]]),
  emptyarray: [],
  emptyobject: {},
  array15: Array.from({ length: 15 }, (_, i) => i),
  array16: Array.from({ length: 16 }, (_, i) => i),
  object16: Object.fromEntries(Array.from({ length: 16 }, (_, i) => ["k" + i, i])),
  integerKeys: { b: 1, 10: 2, a: 3, 2: 4, "-1": 5, "01": 6 },
  nested: { a: [1, { b: [Buffer.from("hi"), null] }], c: { d: "e" } },
  toJSON: { toJSON() { return { converted: true }; } },
  packet: { type: 2, data: ["event", { x: 1 }, Buffer.from([0xff])], nsp: "/" },
};

// JSON texts: parsed with JSON.parse and encoded by notepack, as a Go server's JSON payload
// must be.
const jsonTexts = [
  `null`, `true`, `0`, `-0`, `1.0`, `1e3`, `1.5e300`, `-1.25`, `123456789012`,
  `18446744073709551615`, `12345678901234567890123`, `0.1`, `5e-324`,
  `"x"`, `"\\u00e9\\ud83d\\ude00"`, `"\\ud800"`, `[1,"a",[],{}]`,
  `{"b":1,"a":2,"3":3,"1":4}`, `{"a":1,"a":2,"b":3}`,
  `{"_placeholder":true,"num":0}`,
  ` [ 1 , { "k" : [ true , false , null ] } ] `,
];

const out = { values: {}, json: [], messages: {} };
for (const [name, v] of Object.entries(values)) {
  const enc = notepack.encode(v);
  const dec = notepack.decode(enc);
  out.values[name] = {
    msgpack: hex(enc),
    json: JSON.stringify(dec) ?? "undefined",
    reencoded: hex(notepack.encode(dec)),
  };
}
for (const text of jsonTexts) {
  const v = JSON.parse(text);
  out.json.push({ text, msgpack: hex(notepack.encode(v)), json: JSON.stringify(v) });
}

// A fake node-redis v4 client: records publish/sPublish, answers PUBSUB NUMSUB with 2.
function fakeClient(log) {
  return {
    pSubscribe() {}, subscribe() {}, pUnsubscribe() {}, unsubscribe() {},
    sSubscribe() {}, sUnsubscribe() {},
    on() {}, off() {},
    publish(channel, msg) { log.push({ channel, msg }); return Promise.resolve(1); },
    sPublish(channel, msg) { log.push({ channel, msg }); return Promise.resolve(1); },
    sendCommand() { return Promise.resolve(["x", 2]); },
  };
}
const record = (log) => log.splice(0).map(({ channel, msg }) => ({
  channel,
  hex: hex(Buffer.isBuffer(msg) ? msg : Buffer.from(msg)),
  text: typeof msg === "string" ? msg : undefined,
}));

// The classic adapter. Its uid and request ids are random: the Go test compares the rest.
{
  const log = [];
  const io = new Server();
  io.adapter(createAdapter(fakeClient(log), fakeClient([]), { key: "socket.io" }));
  io.emit("hello", "world", 1);
  out.messages.classicEmit = record(log);
  io.to("room1").except("room2").volatile.emit("bin", Buffer.from([1, 2]), { a: [Buffer.from([3])] });
  out.messages.classicRoomEmit = record(log);
  io.to(["r1", "r2"]).emit("many");
  out.messages.classicRoomsEmit = record(log);
  io.of("/admin").in("r").socketsJoin(["x", "y"]);
  out.messages.classicJoin = record(log);
  io.except("r").socketsLeave("x");
  out.messages.classicLeave = record(log);
  io.in("r").disconnectSockets(true);
  out.messages.classicDisconnect = record(log);
  io.serverSideEmit("sse", { a: 1 }, "b");
  out.messages.classicServerSideEmit = record(log);
  io.timeout(1000).to("r").emit("ack?", 1, () => {});
  out.messages.classicBroadcastAck = record(log);
  await io.fetchSockets().catch(() => {});
  out.messages.classicFetch = record(log);
  for (const nsp of io._nsps.values()) nsp.adapter.close();
}

// The sharded adapter (socket.io-adapter's ClusterAdapter messages over SPUBLISH).
{
  const log = [];
  const io = new Server();
  io.adapter(createShardedAdapter(fakeClient(log), fakeClient([]), { channelPrefix: "socket.io" }));
  await new Promise((r) => setImmediate(r));
  io.emit("hello", "world", 1);
  io.to("room1").emit("bin", Buffer.from([1, 2]));
  io.to("r1").except("r2").socketsJoin("x");
  io.serverSideEmit("sse", 1);
  await new Promise((r) => setImmediate(r));
  out.messages.sharded = record(log);
  for (const nsp of io._nsps.values()) nsp.adapter.close();
}

// The emitter: fixed uid "emitter", so its messages compare byte for byte.
{
  const log = [];
  const emitter = new Emitter(fakeClient(log));
  emitter.emit("hello", "world", 1.5, null, [true]);
  emitter.to("room1").emit("bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) });
  emitter.to("r1").to("r2").except("r3").emit("many", {});
  emitter.of("admin").volatile.emit("v");
  emitter.in("r1").socketsJoin(["a", "b"]);
  emitter.except("r1").socketsLeave("a");
  emitter.in("r1").disconnectSockets(true);
  emitter.disconnectSockets();
  emitter.serverSideEmit("sse", { x: 1 }, "y");
  out.messages.emitter = record(log);
}

process.stdout.write(JSON.stringify(out, null, 1) + "\n");
