// Unit tests of the client's codecs and helpers, in Node (no browser needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { encode, decodeString, Decoder } from "../src/parser.js";
import { encodePacket, decodePacket, encodePayload, decodePayload } from "../src/engine-packet.js";
import { Backoff } from "../src/backoff.js";
import { parseURL } from "../src/url.js";
import { Emitter } from "../src/emitter.js";

const u8 = (...b) => new Uint8Array(b);

test("Socket.IO encoder: the wire forms of the protocol", () => {
  const cases = [
    [{ type: 0, nsp: "/" }, ["0"]],
    [{ type: 0, nsp: "/admin", data: { token: "123" } }, ['0/admin,{"token":"123"}']],
    [{ type: 1, nsp: "/admin" }, ["1/admin,"]],
    [{ type: 2, nsp: "/", data: ["hey", "Jude"] }, ['2["hey","Jude"]']],
    [{ type: 2, nsp: "/admin", id: 13, data: ["foo"] }, ['2/admin,13["foo"]']],
    [{ type: 3, nsp: "/admin", id: 13, data: ["bar"] }, ['3/admin,13["bar"]']],
    [{ type: 2, nsp: "/", data: ["d", new Date(0)] }, ['2["d","1970-01-01T00:00:00.000Z"]']],
  ];
  for (const [packet, want] of cases) assert.deepEqual(encode(packet), want, JSON.stringify(packet));
});

test("Socket.IO encoder: binary becomes placeholders and attachments, depth first", () => {
  const a = u8(1, 2), b = new ArrayBuffer(3), c = new Blob(["x"]);
  const [header, ...att] = encode({ type: 2, nsp: "/", id: 7, data: ["ev", { a, list: [b, 1] }, c] });
  assert.equal(
    header,
    '53-7["ev",{"a":{"_placeholder":true,"num":0},"list":[{"_placeholder":true,"num":1},1]},{"_placeholder":true,"num":2}]'
  );
  assert.deepEqual(att, [a, b, c]);
  const [ack] = encode({ type: 3, nsp: "/x", id: 1, data: [u8(9)] });
  assert.equal(ack, '61-/x,1[{"_placeholder":true,"num":0}]');
});

test("Socket.IO decoder: headers", () => {
  assert.deepEqual(decodeString('0{"sid":"a"}'), { type: 0, nsp: "/", data: { sid: "a" } });
  assert.deepEqual(decodeString("1/admin,"), { type: 1, nsp: "/admin" });
  assert.deepEqual(decodeString('4/random,{"message":"Invalid namespace"}'), {
    type: 4,
    nsp: "/random",
    data: { message: "Invalid namespace" },
  });
  assert.deepEqual(decodeString('2/admin,13["foo",1]'), { type: 2, nsp: "/admin", id: 13, data: ["foo", 1] });
  assert.deepEqual(decodeString("3/admin,13[]"), { type: 3, nsp: "/admin", id: 13, data: [] });
  assert.deepEqual(decodeString('51-["b",{"_placeholder":true,"num":0}]').attachments, 1);
});

test("Socket.IO decoder: rejects what the official parser rejects", () => {
  for (const bad of ["7", "", "x", "2{}", "2abc[]", '2["connect"]', '2[{"a":1}]', "0", '1{"a":1}', "3{}", "5[]", "5x-[]", "0[]"]) {
    assert.throws(() => decodeString(bad), undefined, JSON.stringify(bad));
  }
});

test("Decoder reassembles binary packets and refuses stray frames", () => {
  const got = [];
  const d = new Decoder((p) => got.push(p));
  d.add('52-/x,3["ev",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]');
  assert.equal(got.length, 0);
  const b0 = u8(1).buffer, b1 = u8(2).buffer;
  d.add(b0);
  assert.equal(got.length, 0);
  d.add(b1);
  assert.deepEqual(got, [{ type: 5, nsp: "/x", id: 3, attachments: 2, data: ["ev", b1, [b0]] }]);
  assert.throws(() => d.add(b0), /not reconstructing/);
  d.add('51-["ev",{"_placeholder":true,"num":0}]');
  assert.throws(() => d.add("2[\"x\"]"), /plaintext/);
  d.reset();
  d.add('51-["ev",{"_placeholder":true,"num":5}]');
  assert.throws(() => d.add(b0), /illegal attachments/);
});

test("Engine.IO packets: text, binary frames, b+base64", () => {
  const out = [];
  encodePacket({ type: "message", data: "hello" }, true, (f) => out.push(f));
  encodePacket({ type: "ping", data: "probe" }, true, (f) => out.push(f));
  encodePacket({ type: "pong" }, false, (f) => out.push(f));
  encodePacket({ type: "message", data: u8(1, 2, 3, 4) }, false, (f) => out.push(f));
  const view = new Uint8Array(u8(0, 1, 2, 3, 4).buffer, 1, 4);
  encodePacket({ type: "message", data: view }, false, (f) => out.push(f));
  assert.deepEqual(out, ["4hello", "2probe", "3", "bAQIDBA==", "bAQIDBA=="]);
  assert.deepEqual(decodePacket("6"), { type: "noop" });
  assert.deepEqual(decodePacket("4a\x1e4b"), { type: "message", data: "a\x1e4b" });
  assert.deepEqual(new Uint8Array(decodePacket("bAQIDBA==").data), u8(1, 2, 3, 4));
  assert.deepEqual(new Uint8Array(decodePacket("bAQIDBA").data), u8(1, 2, 3, 4), "unpadded");
  assert.equal(decodePacket("9").type, "error");
  assert.equal(decodePacket("b!!").type, "error");
  const buf = u8(7).buffer;
  assert.equal(decodePacket(buf).data, buf);
});

test("Engine.IO payloads: \\x1e framing, Blob included, stop at the first bad packet", async () => {
  const body = await new Promise((resolve) =>
    encodePayload(
      [{ type: "message", data: "a" }, { type: "message", data: new Blob([u8(1, 2, 3)]) }, { type: "ping" }],
      resolve
    )
  );
  assert.equal(body, "4a\x1ebAQID\x1e2");
  const packets = decodePayload("4hello\x1e2\x1ebAQIDBA==\x1ex\x1e4never");
  assert.deepEqual(packets.map((p) => p.type), ["message", "ping", "message", "error"]);
});

test("Backoff doubles from min, jitters within the factor, caps at max", () => {
  const plain = new Backoff(100, 1000, 0);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => plain.duration()), [100, 200, 400, 800, 1000]);
  plain.reset();
  assert.equal(plain.duration(), 100);
  const jittered = new Backoff(1000, 5000, 0.5);
  for (let i = 0; i < 200; i++) {
    jittered.reset();
    const d = jittered.duration();
    assert.ok(d >= 500 && d <= 1500, `first delay ${d}`);
  }
});

test("parseURL: namespace from the path, one id per server", () => {
  assert.deepEqual(parseURL("http://localhost:3000/admin?k=v"), {
    source: "http://localhost:3000/admin?k=v",
    id: "http://localhost:3000",
    nsp: "/admin",
    query: "?k=v",
  });
  assert.equal(parseURL("https://example.com").id, "https://example.com:443");
  assert.equal(parseURL("ws://example.com/").id, "http://example.com:80");
  assert.equal(parseURL("wss://example.com:8443/x").nsp, "/x");
  assert.equal(parseURL("example.com/chat").nsp, "/chat");
});

test("Emitter: on, once, off by listener, event or all", () => {
  const e = new Emitter();
  const got = [];
  const f = (x) => got.push("f" + x);
  e.on("a", f).once("a", (x) => got.push("once" + x)).on("b", f);
  e.emit("a", 1).emit("a", 2);
  e.off("a", f).emit("a", 3);
  e.emit("b", 4);
  e.off().emit("b", 5);
  assert.deepEqual(got, ["f1", "once1", "f2", "f4"]);
  const g = () => got.push("g");
  e.once("c", g).off("c", g).emit("c");
  assert.equal(got.length, 4, "off removes a once listener by its function");
});

// The msgpack build's codec against the packets the real socket.io-msgpack-parser wrote
// (internal/parser/testdata/msgpack_vectors.json, from js/msgpack/vectors.mjs).
import { readFileSync } from "node:fs";
import { encode as mpEncode, Decoder as MpDecoder } from "../src/parser-msgpack.js";
import { encode as pack, decode as unpack } from "../src/msgpack.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../../internal/parser/testdata/msgpack_vectors.json", import.meta.url), "utf8")
);
const hexBuf = (h) => new Uint8Array(Buffer.from(h, "hex")).buffer;

// revive replaces the placeholders of a vector's JSON form with its attachments.
function revive(v) {
  if (v.data === undefined) return undefined;
  const atts = v.attachments.map(hexBuf);
  return JSON.parse(v.data, (k, x) => (x && x._placeholder === true ? atts[x.num] : x));
}

test("msgpack parser: encodes packets byte for byte as socket.io-msgpack-parser", () => {
  let n = 0;
  for (const v of vectors.filter((v) => v.encode)) {
    const packet = { type: v.type, nsp: v.nsp, data: revive(v), options: { compress: true } };
    if (v.id !== undefined) packet.id = v.id;
    const [msg] = mpEncode(packet);
    assert.equal(Buffer.from(msg).toString("hex"), v.hex, v.name);
    n++;
  }
  assert.ok(n >= 15);
});

test("msgpack parser: decodes what socket.io-msgpack-parser writes", () => {
  for (const v of vectors) {
    if (v.type === 0 && v.data === undefined) continue; // a client's CONNECT, which a server receives
    const got = [];
    new MpDecoder((p) => got.push(p)).add(hexBuf(v.hex));
    const want = { type: v.type, nsp: v.nsp };
    if (v.id !== undefined) want.id = v.id;
    const data = revive(v);
    if (data !== undefined) want.data = data;
    // what has no JSON form is compared by its JSON form
    const norm = (p) => JSON.parse(JSON.stringify(p, (k, x) => (x instanceof ArrayBuffer ? Buffer.from(x).toString("hex") : x)));
    assert.deepEqual(norm(got[0]), norm(want), v.name);
  }
});

test("msgpack codec: typed arrays are bin, undefined and Date as notepack.io writes them, and bad input throws", () => {
  assert.equal(Buffer.from(pack([new Uint8Array([1, 2]).subarray(1), new DataView(new ArrayBuffer(1))])).toString("hex"), "92c40102c40100");
  assert.equal(Buffer.from(pack([undefined, new Date(0), 2 ** 63, -(2 ** 63)])).toString("hex"), "94d40000d7000000000000000000cf8000000000000000d38000000000000000");
  assert.deepEqual(unpack(pack({ a: [1.5, -33, "x".repeat(40)], b: null })), { a: [1.5, -33, "x".repeat(40)], b: null });
  for (const bad of ["", "c1", "dd ffffffff", "df ffffffff", "d9 05 61", "91", "9200", "910000"]) {
    assert.throws(() => unpack(hexBuf(bad.replace(/ /g, ""))), undefined, bad);
  }
  const d = new MpDecoder(() => {});
  assert.throws(() => d.add('2["e"]'), /text message/);
  assert.throws(() => d.add(pack({ type: 5, nsp: "/", data: ["e"] })), /invalid packet type/);
  assert.throws(() => d.add(pack({ type: 2, data: ["e"] })), /invalid namespace/);
  assert.throws(() => d.add(pack({ type: 2, nsp: "/", data: {} })), /invalid payload/);
  assert.throws(() => d.add(pack({ type: 2, nsp: "/", data: ["e"], id: "1" })), /invalid packet id/);
  assert.throws(() => mpEncode({ type: 2, nsp: "/", data: ["e", new Blob(["x"])] }), /Blob/);
});
