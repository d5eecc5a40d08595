// Socket.IO v5 packet codec. A packet is encoded as
//   <type>[<attachments>-][<nsp>,][<ack id>][<json>]
// followed, for BINARY_EVENT and BINARY_ACK, by one Engine.IO binary message per attachment; each
// binary value in the arguments is replaced by {"_placeholder":true,"num":N}.
import { isBinary } from "./binary.js";

export const CONNECT = 0;
export const DISCONNECT = 1;
export const EVENT = 2;
export const ACK = 3;
export const CONNECT_ERROR = 4;
export const BINARY_EVENT = 5;
export const BINARY_ACK = 6;

export const RESERVED_EVENTS = [
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
];

const isObject = (v) => Object.prototype.toString.call(v) === "[object Object]";

function hasBinary(value) {
  if (!value || typeof value !== "object") return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) return value.some(hasBinary);
  if (typeof value.toJSON === "function") return false;
  return Object.keys(value).some((k) => hasBinary(value[k]));
}

// deconstruct copies value with every binary moved to buffers and replaced by a placeholder,
// depth first. Values with toJSON (Date, ...) are left for JSON.stringify.
function deconstruct(value, buffers) {
  if (isBinary(value)) {
    buffers.push(value);
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => deconstruct(v, buffers));
  if (value && typeof value === "object" && typeof value.toJSON !== "function") {
    const copy = {};
    for (const k of Object.keys(value)) copy[k] = deconstruct(value[k], buffers);
    return copy;
  }
  return value;
}

function reconstruct(value, buffers) {
  if (!value || typeof value !== "object") return value;
  if (value._placeholder === true) {
    const n = value.num;
    if (Number.isInteger(n) && n >= 0 && n < buffers.length) return buffers[n];
    throw new Error("illegal attachments");
  }
  for (const k of Object.keys(value)) value[k] = reconstruct(value[k], buffers);
  return value;
}

// encode returns the Engine.IO messages for packet: the header string, then any attachments.
export function encode(packet) {
  let type = packet.type;
  let data = packet.data;
  const buffers = [];
  if ((type === EVENT || type === ACK) && hasBinary(data)) {
    type += 3;
    data = deconstruct(data, buffers);
  }
  let s = "" + type;
  if (type > CONNECT_ERROR) s += buffers.length + "-";
  if (packet.nsp && packet.nsp !== "/") s += packet.nsp + ",";
  if (packet.id != null) s += packet.id;
  if (data !== undefined) s += JSON.stringify(data);
  return [s, ...buffers];
}

export function valid(type, data) {
  switch (type) {
    case CONNECT:
      return isObject(data);
    case DISCONNECT:
      return data === undefined;
    case CONNECT_ERROR:
      return typeof data === "string" || isObject(data);
    case EVENT:
    case BINARY_EVENT:
      return (
        Array.isArray(data) &&
        (typeof data[0] === "number" ||
          (typeof data[0] === "string" && !RESERVED_EVENTS.includes(data[0])))
      );
    default:
      return Array.isArray(data);
  }
}

// decodeString parses a packet header; it throws on anything the official parser rejects.
export function decodeString(str) {
  const type = str.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6) || isNaN(type)) throw new Error("unknown packet type " + str[0]);
  const packet = { type, nsp: "/" };
  let i = 1;
  if (type === BINARY_EVENT || type === BINARY_ACK) {
    const dash = str.indexOf("-", i);
    const count = str.slice(i, dash);
    if (dash < 0 || !/^\d+$/.test(count)) throw new Error("illegal attachments");
    packet.attachments = +count;
    i = dash + 1;
  }
  if (str[i] === "/") {
    const comma = str.indexOf(",", i);
    const end = comma < 0 ? str.length : comma;
    packet.nsp = str.slice(i, end);
    i = end + 1;
  }
  const id = /^\d+/.exec(str.slice(i));
  if (id) {
    packet.id = +id[0];
    i += id[0].length;
  }
  if (i < str.length) packet.data = JSON.parse(str.slice(i));
  if (!valid(type, packet.data)) throw new Error("invalid payload");
  return packet;
}

// Decoder reassembles packets from Engine.IO messages and hands each complete packet to
// onPacket. add() throws on a protocol error; the Manager then closes with "parse error".
export class Decoder {
  constructor(onPacket) {
    this._onPacket = onPacket;
    this._pending = null;
  }

  add(message) {
    const pending = this._pending;
    if (typeof message === "string") {
      if (pending) throw new Error("got plaintext data when reconstructing a packet");
      const packet = decodeString(message);
      if (packet.attachments) {
        packet.buffers = [];
        this._pending = packet;
      } else {
        this._onPacket(packet);
      }
    } else {
      if (!pending) throw new Error("got binary data when not reconstructing a packet");
      pending.buffers.push(message);
      if (pending.buffers.length === pending.attachments) {
        this._pending = null;
        pending.data = reconstruct(pending.data, pending.buffers);
        delete pending.buffers;
        this._onPacket(pending);
      }
    }
  }

  reset() {
    this._pending = null;
  }
}
