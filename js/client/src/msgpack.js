// A MessagePack codec written to match notepack.io 2.2, the codec of socket.io-msgpack-parser 3:
// the same formats for the same values (the smallest integer format, float 64 for other numbers,
// str 8 from 32 bytes, undefined as fixext 1 and a Date as fixext 8 of type 0), so that the
// servers read what they read from the official msgpack client. Binary data (an ArrayBuffer, a
// typed array or a DataView) is written as bin and read as an ArrayBuffer; so is an ext 8, 16 or
// 32 of type 0, which is how the Node server writes an ArrayBuffer or a typed array (as
// notepack.io's Node build reads it; its browser build gives [0, data]).

const te = new TextEncoder();
const td = new TextDecoder();
const TWO32 = 0x100000000;

class Writer {
  constructor() {
    this.buf = new Uint8Array(256);
    this.view = new DataView(this.buf.buffer);
    this.len = 0;
  }

  need(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const buf = new Uint8Array(size);
    buf.set(this.buf.subarray(0, this.len));
    this.buf = buf;
    this.view = new DataView(buf.buffer);
  }

  byte(b) {
    this.need(1);
    this.buf[this.len++] = b;
  }

  // head writes a format byte and a big-endian length or value of size bytes
  head(format, size, n) {
    this.need(1 + size);
    this.buf[this.len++] = format;
    if (size === 1) this.view.setUint8(this.len, n);
    else if (size === 2) this.view.setUint16(this.len, n);
    else if (size === 4) this.view.setUint32(this.len, n);
    this.len += size;
  }

  bytes(u8) {
    this.need(u8.length);
    this.buf.set(u8, this.len);
    this.len += u8.length;
  }

  sized(n, fix, fixMax, f8, f16, f32) {
    if (n < fixMax) this.byte(fix | n);
    else if (f8 && n < 0x100) this.head(f8, 1, n);
    else if (n < 0x10000) this.head(f16, 2, n);
    else this.head(f32, 4, n);
  }

  u64(format, hi, lo) {
    this.head(format, 4, hi >>> 0);
    this.need(4);
    this.view.setUint32(this.len, lo >>> 0);
    this.len += 4;
  }

  number(v) {
    if (Math.floor(v) !== v || !isFinite(v) || v >= 2 ** 64 || v < -(2 ** 63)) {
      this.need(9);
      this.buf[this.len++] = 0xcb;
      this.view.setFloat64(this.len, v);
      this.len += 8;
    } else if (v >= 0) {
      if (v < 0x80) this.byte(v);
      else if (v < 0x100) this.head(0xcc, 1, v);
      else if (v < 0x10000) this.head(0xcd, 2, v);
      else if (v < TWO32) this.head(0xce, 4, v);
      else this.u64(0xcf, Math.floor(v / TWO32), v % TWO32);
    } else if (v >= -0x20) this.byte(v & 0xff);
    else if (v >= -0x80) this.head(0xd0, 1, v & 0xff);
    else if (v >= -0x8000) this.head(0xd1, 2, v & 0xffff);
    else if (v >= -0x80000000) this.head(0xd2, 4, v >>> 0);
    else {
      const hi = Math.floor(v / TWO32);
      this.u64(0xd3, hi, v - hi * TWO32);
    }
  }

  value(v) {
    switch (typeof v) {
      case "string": {
        const u8 = te.encode(v);
        this.sized(u8.length, 0xa0, 0x20, 0xd9, 0xda, 0xdb);
        return this.bytes(u8);
      }
      case "number":
        return this.number(v);
      case "boolean":
        return this.byte(v ? 0xc3 : 0xc2);
      case "undefined":
        this.byte(0xd4);
        this.byte(0);
        return this.byte(0);
      case "object":
        break;
      default:
        throw new Error("Could not encode");
    }
    if (v === null) return this.byte(0xc0);
    if (Array.isArray(v)) {
      this.sized(v.length, 0x90, 0x10, 0, 0xdc, 0xdd);
      for (const e of v) this.value(e);
      return;
    }
    if (v instanceof Date) {
      const t = v.getTime();
      const hi = Math.floor(t / TWO32);
      this.byte(0xd7);
      return this.u64(0, hi, t - hi * TWO32);
    }
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const u8 = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      this.sized(u8.length, 0, 0, 0xc4, 0xc5, 0xc6);
      return this.bytes(u8);
    }
    if (typeof Blob !== "undefined" && v instanceof Blob) throw new Error("a Blob cannot be sent with the msgpack parser");
    if (typeof v.toJSON === "function") return this.value(v.toJSON());
    const keys = Object.keys(v).filter((k) => typeof v[k] !== "function");
    this.sized(keys.length, 0x80, 0x10, 0, 0xde, 0xdf);
    for (const k of keys) {
      this.value(k);
      this.value(v[k]);
    }
  }
}

// encode returns the MessagePack form of value as an ArrayBuffer.
export function encode(value) {
  const w = new Writer();
  w.value(value);
  return w.buf.buffer.slice(0, w.len);
}

class Reader {
  constructor(u8) {
    this.u8 = u8;
    this.view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.off = 0;
  }

  take(n) {
    if (n > this.u8.length - this.off) throw new Error("msgpack: truncated input");
    const start = this.off;
    this.off += n;
    return start;
  }

  uint(size) {
    const at = this.take(size);
    if (size === 1) return this.view.getUint8(at);
    if (size === 2) return this.view.getUint16(at);
    if (size === 4) return this.view.getUint32(at);
    return this.view.getUint32(at) * TWO32 + this.view.getUint32(at + 4);
  }

  int(size) {
    const at = this.take(size);
    if (size === 1) return this.view.getInt8(at);
    if (size === 2) return this.view.getInt16(at);
    if (size === 4) return this.view.getInt32(at);
    return this.view.getInt32(at) * TWO32 + this.view.getUint32(at + 4);
  }

  bin(n) {
    const at = this.take(n);
    return this.u8.slice(at, at + n).buffer;
  }

  str(n) {
    const at = this.take(n);
    return td.decode(this.u8.subarray(at, at + n));
  }

  array(n) {
    if (n > this.u8.length - this.off) throw new Error("msgpack: length past the end");
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = this.value();
    return a;
  }

  map(n) {
    if (n * 2 > this.u8.length - this.off) throw new Error("msgpack: length past the end");
    const o = {};
    for (let i = 0; i < n; i++) {
      const k = this.value();
      o[k] = this.value();
    }
    return o;
  }

  ext(n, fixed) {
    const type = this.int(1);
    if (type === 0) {
      if (fixed && n === 1) {
        this.take(1);
        return undefined;
      }
      if (fixed && n === 8) return new Date(this.int(4) * TWO32 + this.uint(4));
      if (!fixed) return this.bin(n); // an ArrayBuffer from Node (notepack.io's browser build gives [0, data])
    }
    return [type, this.bin(n)];
  }

  value() {
    const c = this.uint(1);
    if (c < 0x80) return c;
    if (c < 0x90) return this.map(c & 0x0f);
    if (c < 0xa0) return this.array(c & 0x0f);
    if (c < 0xc0) return this.str(c & 0x1f);
    if (c >= 0xe0) return c - 0x100;
    switch (c) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return this.bin(this.uint(1 << (c - 0xc4)));
      case 0xc7:
      case 0xc8:
      case 0xc9:
        return this.ext(this.uint(1 << (c - 0xc7)), false);
      case 0xca:
        return this.view.getFloat32(this.take(4));
      case 0xcb:
        return this.view.getFloat64(this.take(8));
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return this.uint(1 << (c - 0xcc));
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return this.int(1 << (c - 0xd0));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.ext(1 << (c - 0xd4), true);
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.str(this.uint(1 << (c - 0xd9)));
      case 0xdc:
      case 0xdd:
        return this.array(this.uint(2 << (c - 0xdc)));
      case 0xde:
      case 0xdf:
        return this.map(this.uint(2 << (c - 0xde)));
    }
    throw new Error("msgpack: could not parse");
  }
}

// decode returns the value of one MessagePack message (an ArrayBuffer or a view); it throws on
// malformed input or trailing bytes.
export function decode(data) {
  const u8 = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const r = new Reader(u8);
  const v = r.value();
  if (r.off !== u8.length) throw new Error(`msgpack: ${u8.length - r.off} trailing bytes`);
  return v;
}
