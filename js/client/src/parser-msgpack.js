// The Socket.IO packet codec of the socket.io.msgpack.min.js build, socket.io-msgpack-parser's
// wire format: each packet is one MessagePack map {type, data, nsp, id} sent as one binary
// Engine.IO message, binary values inline at any depth. It has parser.js's interface (encode,
// Decoder), which build.mjs puts in its place for that build.
import { CONNECT, CONNECT_ERROR, valid } from "./parser.js";
import { encode as pack, decode as unpack } from "./msgpack.js";

// encode returns the one Engine.IO message of packet.
export function encode(packet) {
  const p = { type: packet.type, data: packet.data, nsp: packet.nsp || "/" };
  if (packet.data === undefined) delete p.data;
  if (packet.id != null) p.id = packet.id;
  return [pack(p)];
}

// Decoder decodes each binary message into a packet for onPacket; add() throws on a text
// message and on what socket.io-msgpack-parser's decoder rejects (and on what parser.js rejects).
export class Decoder {
  constructor(onPacket) {
    this._onPacket = onPacket;
  }

  add(message) {
    if (typeof message === "string") throw new Error("got a text message with the msgpack parser");
    const p = unpack(message);
    if (!p || typeof p !== "object" || Array.isArray(p)) throw new Error("invalid packet");
    if (!Number.isInteger(p.type) || p.type < CONNECT || p.type > CONNECT_ERROR) throw new Error("invalid packet type");
    if (typeof p.nsp !== "string") throw new Error("invalid namespace");
    if (p.id !== undefined && !Number.isInteger(p.id)) throw new Error("invalid packet id");
    if (!valid(p.type, p.data)) throw new Error("invalid payload");
    const packet = { type: p.type, nsp: p.nsp };
    if (p.id !== undefined) packet.id = p.id;
    if (p.data !== undefined) packet.data = p.data;
    this._onPacket(packet);
  }

  reset() {}
}
