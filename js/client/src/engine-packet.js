// Engine.IO v4 packet codec: one packet is a type digit followed by its data; binary is a raw
// frame on WebSocket and `b` + base64 over HTTP; an HTTP payload joins packets with \x1e.
import { isBinary, isBlob, toBase64, fromBase64 } from "./binary.js";

export const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
export const SEPARATOR = "\x1e";

// encodePacket calls done with the frame for packet: the binary itself when binaryFrames (the
// WebSocket case), otherwise a string. It is synchronous except for a Blob over HTTP.
export function encodePacket(packet, binaryFrames, done) {
  const data = packet.data;
  if (isBinary(data)) {
    if (binaryFrames) return done(data);
    if (isBlob(data)) {
      data.arrayBuffer().then((buf) => done("b" + toBase64(buf)));
      return;
    }
    return done("b" + toBase64(data));
  }
  done(TYPES.indexOf(packet.type) + (data == null ? "" : data));
}

// decodePacket turns a frame into a packet; anything undecodable becomes an "error" packet.
export function decodePacket(frame) {
  if (typeof frame !== "string") return { type: "message", data: frame };
  if (frame[0] === "b") {
    try {
      return { type: "message", data: fromBase64(frame.slice(1)) };
    } catch (e) {
      return { type: "error", data: "parser error" };
    }
  }
  const type = TYPES[frame[0]];
  if (!type) return { type: "error", data: "parser error" };
  return frame.length > 1 ? { type, data: frame.slice(1) } : { type };
}

// encodePayload joins packets for one HTTP POST body, keeping their order.
export function encodePayload(packets, done) {
  const out = [];
  let pending = packets.length;
  packets.forEach((packet, i) =>
    encodePacket(packet, false, (s) => {
      out[i] = s;
      if (--pending === 0) done(out.join(SEPARATOR));
    })
  );
}

// decodePayload splits an HTTP body; it stops after the first packet it cannot decode.
export function decodePayload(body) {
  const packets = [];
  for (const frame of body.split(SEPARATOR)) {
    const packet = decodePacket(frame);
    packets.push(packet);
    if (packet.type === "error") break;
  }
  return packets;
}
