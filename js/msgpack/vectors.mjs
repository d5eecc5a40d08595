// Writes internal/parser/testdata/msgpack_vectors.json: packets encoded by the real
// socket.io-msgpack-parser (notepack.io inside), each with the JSON form hub must decode it
// to. The JSON form is what Node's decoder hands a handler, written by JSON.stringify with
// every Buffer or ArrayBuffer replaced by a placeholder {"_placeholder":true,"num":i} (in
// document order) and kept as attachment i.
//
//   node js/msgpack/vectors.mjs > internal/parser/testdata/msgpack_vectors.json
//
// A vector with encode: true is also what hub must write for that packet, byte for byte:
// its keys are in hub's order, type, data, nsp, id.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Encoder, Decoder } = require("socket.io-msgpack-parser");

const buf = (...b) => Buffer.from(b);
const ab = (...b) => new Uint8Array(b).buffer;

const vectors = [
  // encode: true — hub writes exactly these bytes
  ["connect auth", true, { type: 0, data: { token: "abc" }, nsp: "/" }],
  ["connect without auth", true, { type: 0, nsp: "/admin" }],
  ["connect reply", true, { type: 0, data: { sid: "Vz0x", pid: "p1" }, nsp: "/" }],
  ["disconnect", true, { type: 1, nsp: "/chat" }],
  ["event scalars", true, { type: 2, data: ["hello", 1, -1, 1.5, true, false, null, "é✓😀", { a: [1, 2], b: {} }], nsp: "/" }],
  ["event with id", true, { type: 2, data: ["e"], nsp: "/chat", id: 42 }],
  ["event with id 0", true, { type: 2, data: ["e", "x"], nsp: "/", id: 0 }],
  ["ack", true, { type: 3, data: ["ok"], nsp: "/", id: 7 }],
  ["ack empty", true, { type: 3, data: [], nsp: "/", id: 300 }],
  ["connect error object", true, { type: 4, data: { message: "not authorized", data: { code: 401 } }, nsp: "/admin" }],
  ["connect error string", true, { type: 4, data: "Invalid namespace", nsp: "/x" }],
  ["binary at depth", true, { type: 2, data: ["bin", buf(1, 2, 3), { x: [buf()], y: { z: buf(255) } }], nsp: "/" }],
  ["binary ack bin16", true, { type: 3, data: [Buffer.alloc(300, 7)], nsp: "/", id: 1 }],
  ["binary bin32", true, { type: 2, data: ["big", Buffer.alloc(70000, 1)], nsp: "/" }],
  ["integers", true, { type: 2, data: ["n", 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 9007199254740991, -9007199254740991], nsp: "/" }],
  ["floats", true, { type: 2, data: ["f", 0.5, -0.25, 1e-7, 3.14159, 5e-324, 1.5e-300, 123456.789], nsp: "/" }],
  ["strings", true, { type: 2, data: ["s", "a".repeat(31), "b".repeat(32), "c".repeat(255), "d".repeat(256), "e".repeat(65536), "q\"\\\n\t\u0001"], nsp: "/" }],
  ["array16 map16", true, { type: 2, data: ["c", Array.from({ length: 16 }, (_, i) => i), Object.fromEntries(Array.from({ length: 16 }, (_, i) => ["k" + i, i]))], nsp: "/" }],
  ["big id", true, { type: 2, data: ["e"], nsp: "/", id: 4294967296 }],
  // decode only — what notepack.io writes for JavaScript values with no JSON twin, and the
  // official client's own packets
  ["client event", false, { type: 2, data: ["e", 1], options: { compress: true }, id: 3, nsp: "/" }],
  ["client connect without auth", false, { type: 0, data: undefined, nsp: "/" }],
  ["middleware error", false, { type: 4, data: { message: "nope", data: undefined }, nsp: "/admin" }],
  ["undefined", false, { type: 2, data: ["u", undefined, { a: undefined, b: 1 }, [undefined]], nsp: "/" }],
  ["dates", false, { type: 2, data: ["d", new Date(0), new Date(1e12), new Date(-1), new Date(8.64e15), new Date(-62198755200000), new Date(253402300800000)], nsp: "/" }],
  ["nan and infinities", false, { type: 2, data: ["x", NaN, Infinity, -Infinity], nsp: "/" }],
  ["arraybuffer", false, { type: 2, data: ["ab", ab(1, 2), new Uint8Array([3, 4, 5]), ab()], nsp: "/" }],
  ["integral floats are integers", false, { type: 2, data: ["i", 1.0, -0, 2 ** 53, -(2 ** 40)], nsp: "/" }],
  // notepack.io writes an integral number past 2^64 as a wrong uint 64 (hub: a float 64)
  ["huge integral floats", false, { type: 2, data: ["h", 1e300, 2 ** 64], nsp: "/" }],
  ["packet keys in node's orders", false, { id: 5, type: 3, data: ["a"], nsp: "/" }],
];

function toJSONForm(data) {
  const atts = [];
  const json = JSON.stringify(data, function (key, value) {
    const orig = this[key];
    if (Buffer.isBuffer(orig) || orig instanceof ArrayBuffer) {
      atts.push(Buffer.from(orig).toString("hex"));
      return { _placeholder: true, num: atts.length - 1 };
    }
    return value;
  });
  return { json, atts };
}

const encoder = new Encoder();
const out = [];
for (const [name, encode, packet] of vectors) {
  const [bytes] = encoder.encode(packet);
  // what Node's decoder makes of it
  let decoded;
  const dec = new Decoder();
  dec.on("decoded", (p) => (decoded = p));
  dec.add(bytes);
  const v = { name, encode, hex: Buffer.from(bytes).toString("hex"), type: decoded.type, nsp: decoded.nsp };
  if (decoded.id !== undefined) v.id = decoded.id;
  if (decoded.data !== undefined) {
    const { json, atts } = toJSONForm(decoded.data);
    v.data = json;
    v.attachments = atts;
  }
  out.push(v);
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
