// A TCP proxy the suite puts between a client and the server under test, to cause what a
// well-behaved client and server never do on their own: a network that goes silent, a
// connection that drops without a close handshake, and malformed frames.
//
// WebSocket connections are cut into frames (after the 101 response) so that injected
// frames always land between two real ones; anything else is passed through untouched.

import net from "node:net";

// Frame splits a byte stream into WebSocket frames. push returns the complete frames.
class FrameSplitter {
  buf = Buffer.alloc(0);

  push(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames = [];
    for (;;) {
      const n = frameLength(this.buf);
      if (n < 0 || this.buf.length < n) break;
      frames.push(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
    }
    return frames;
  }
}

// frameLength returns the length of the frame at the start of b, or -1 if the header is incomplete.
function frameLength(b) {
  if (b.length < 2) return -1;
  const masked = (b[1] & 0x80) !== 0;
  let len = b[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (b.length < 4) return -1;
    len = b.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (b.length < 10) return -1;
    len = Number(b.readBigUInt64BE(2));
    off = 10;
  }
  return off + (masked ? 4 : 0) + len;
}

// textFrame encodes a single unfragmented text frame; masked for client → server.
function textFrame(text, masked) {
  const payload = Buffer.from(text);
  if (payload.length >= 126) throw new Error("proxy: injected frames must be < 126 bytes");
  const head = Buffer.from([0x81, payload.length | (masked ? 0x80 : 0)]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((x, i) => x ^ key[i % 4]));
  return Buffer.concat([head, key, body]);
}

class Conn {
  frozen = false;
  websocket = false;

  constructor(down, up) {
    this.down = down; // to the client
    this.up = up; // to the server
    this.upHead = Buffer.alloc(0);
    this.upFrames = null; // FrameSplitter once the server answered 101
    this.downFrames = null;
    up.on("data", (chunk) => this.fromServer(chunk));
    down.on("data", (chunk) => this.fromClient(chunk));
    const end = () => this.cut();
    up.on("close", end);
    down.on("close", end);
    up.on("error", end);
    down.on("error", end);
  }

  fromServer(chunk) {
    if (this.frozen) return;
    if (this.upFrames) {
      for (const f of this.upFrames.push(chunk)) this.down.write(f);
      return;
    }
    if (this.upHead === null) {
      this.down.write(chunk);
      return;
    }
    this.upHead = Buffer.concat([this.upHead, chunk]);
    const end = this.upHead.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.upHead.subarray(0, end + 4);
    const rest = this.upHead.subarray(end + 4);
    this.down.write(head);
    if (/^HTTP\/1\.1 101/.test(head.toString("latin1"))) {
      this.websocket = true;
      this.upFrames = new FrameSplitter();
      this.downFrames = new FrameSplitter();
      this.upHead = null;
      this.fromServer(rest);
    } else {
      this.upHead = null; // plain HTTP: pass the rest through as is
      if (rest.length) this.down.write(rest);
    }
  }

  fromClient(chunk) {
    if (this.frozen) return;
    if (this.downFrames) {
      for (const f of this.downFrames.push(chunk)) this.up.write(f);
    } else {
      this.up.write(chunk);
    }
  }

  // injectToClient writes a text frame to the client as if the server had sent it.
  injectToClient(text) {
    if (!this.websocket) throw new Error("proxy: not a WebSocket connection");
    this.down.write(textFrame(text, false));
  }

  // injectToServer writes a text frame to the server as if the client had sent it.
  injectToServer(text) {
    if (!this.websocket) throw new Error("proxy: not a WebSocket connection");
    this.up.write(textFrame(text, true));
  }

  // cut drops the TCP connection on both sides without a WebSocket close handshake.
  cut() {
    this.down.destroy();
    this.up.destroy();
  }
}

// startProxy listens on a free port on 127.0.0.1 and forwards every connection to target
// (an http:// URL). It resolves to the proxy's control object.
export async function startProxy(target) {
  const { hostname, port } = new URL(target);
  const conns = new Set();
  const server = net.createServer((down) => {
    const up = net.connect(Number(port), hostname);
    const c = new Conn(down, up);
    conns.add(c);
    down.on("close", () => conns.delete(c));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    // websockets returns the open WebSocket connections going through the proxy.
    websockets: () => [...conns].filter((c) => c.websocket && !c.down.destroyed),
    // freeze makes every current connection silent in both directions (a dead network),
    // without closing anything. New connections still work.
    freeze() {
      for (const c of conns) c.frozen = true;
    },
    // cut drops every current connection.
    cut() {
      for (const c of conns) c.cut();
    },
    async close() {
      for (const c of conns) c.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
