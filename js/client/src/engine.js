// Engine is the Engine.IO v4 connection (what socket.io-client calls manager.engine): handshake,
// heartbeat, write buffer, and the upgrade from an HTTP transport to WebSocket.
import { Emitter } from "./emitter.js";
import { Polling } from "./transports/polling.js";
import { SSE } from "./transports/sse.js";
import { WebSocketTransport } from "./transports/websocket.js";
import { parseURL } from "./url.js";

export const TRANSPORTS = { sse: SSE, polling: Polling, websocket: WebSocketTransport };

// Per-page memory, keyed by engine URL: the server turned SSE down (a Node server does) but another
// transport worked, so later connections skip SSE; and a WebSocket worked (rememberUpgrade).
const noSSE = {};
let priorWebsocketSuccess = false;

function byteLength(data) {
  if (typeof data !== "string") return Math.ceil((data.byteLength || data.size) * 1.34) + 1;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0xd800 || c >= 0xe000 ? 3 : (i++, 4);
  }
  return n;
}

function parseQuery(s) {
  const q = {};
  new URLSearchParams(s).forEach((v, k) => (q[k] = v));
  return q;
}

export class Engine extends Emitter {
  // uri: the server's URL as io() takes it (only origin and query are used); opts: the Manager
  // options.
  constructor(uri, opts) {
    super();
    const url = new URL(parseURL(uri).source);
    const secure = /^(https|wss):$/.test(url.protocol);
    this.opts = opts = Object.assign({ path: "/socket.io", upgrade: true }, opts);
    const path = opts.path.replace(/\/$/, "") + (opts.addTrailingSlash === false ? "" : "/");
    this._base = (secure ? "https://" : "http://") + url.host + path;
    this._query = Object.assign(
      parseQuery(url.search),
      typeof opts.query === "string" ? parseQuery(opts.query) : opts.query
    );
    const names = opts.transports || ["sse", "polling", "websocket"];
    this.transports = names.filter(
      (n) => TRANSPORTS[n] && (n !== "sse" || typeof EventSource !== "undefined")
    );
    if (noSSE[this._base] && this.transports.length > 1) {
      this.transports = this.transports.filter((n) => n !== "sse");
    }
    this.writeBuffer = [];
    this._sent = 0;
    this._upgrades = [];
    this._pingDeadline = Infinity;
    this.id = null;
    this._open();
  }

  _createTransport(name) {
    const query = Object.assign({}, this._query, { EIO: 4, transport: name });
    if (this.id) query.sid = this.id;
    return new TRANSPORTS[name](Object.assign({}, this.opts, { query, base: this._base }));
  }

  _open() {
    if (!this.transports.length) {
      setTimeout(() => this._emit("error", "No transports available"));
      return;
    }
    const name =
      this.opts.rememberUpgrade && priorWebsocketSuccess && this.transports.includes("websocket")
        ? "websocket"
        : this.transports[0];
    this.readyState = "opening";
    const transport = this._createTransport(name);
    transport.open();
    this._setTransport(transport);
  }

  _setTransport(transport) {
    if (this.transport) this.transport.off();
    this.transport = transport;
    transport
      .on("drain", () => this._onDrain())
      .on("packet", (p) => this._onPacket(p))
      .on("error", (e) => this._onError(e))
      .on("close", (details) => this._onClose("transport close", details));
  }

  _probe(name) {
    let transport = this._createTransport(name);
    const current = this.transport;
    let failed = false;
    priorWebsocketSuccess = false;

    const cleanup = () => {
      transport.off("open", onOpen).off("error", onError).off("close", onTransportClose);
      this.off("close", onClose).off("upgrading", onUpgrade);
    };
    const freeze = () => {
      if (failed) return;
      failed = true;
      cleanup();
      transport.close();
      transport = null;
      current.probing(false);
    };
    const onError = (err) => {
      const error = new Error("probe error: " + (err && err.message ? err.message : err));
      error.transport = transport.name;
      freeze();
      this._emit("upgradeError", error);
    };
    const onTransportClose = () => onError("transport closed");
    const onClose = () => onError("socket closed");
    const onUpgrade = (to) => {
      if (transport && to.name !== transport.name) freeze();
    };
    const onOpen = () => {
      if (failed) return;
      current.probing(true);
      transport.send([{ type: "ping", data: "probe" }]);
      transport.once("packet", (msg) => {
        if (failed) return;
        if (msg.type !== "pong" || msg.data !== "probe") {
          return onError("probe error");
        }
        this.upgrading = true;
        this._emit("upgrading", transport);
        priorWebsocketSuccess = transport.name === "websocket";
        this.transport.pause(() => {
          if (failed || this.readyState === "closed") return;
          cleanup();
          this._setTransport(transport);
          transport.send([{ type: "upgrade" }]);
          this._emit("upgrade", transport);
          transport = null;
          this.upgrading = false;
          this.flush();
        });
      });
    };

    transport.once("open", onOpen).once("error", onError).once("close", onTransportClose);
    this.once("close", onClose).once("upgrading", onUpgrade);
    transport.open();
  }

  _onOpen() {
    this.readyState = "open";
    priorWebsocketSuccess = this.transport.name === "websocket";
    if (this._skippedSSE) noSSE[this._base] = true;
    this._emit("open");
    this.flush();
    if (this.readyState === "open" && this.opts.upgrade) {
      for (const name of this._upgrades) this._probe(name);
    }
  }

  _onPacket(packet) {
    if (!/^(opening|open|closing)$/.test(this.readyState)) return;
    this._emit("packet", packet);
    this._emit("heartbeat");
    switch (packet.type) {
      case "open": {
        let data;
        try {
          data = JSON.parse(packet.data);
        } catch (e) {
          return this._onError(new Error("bad handshake"));
        }
        return this._onHandshake(data);
      }
      case "ping":
        this._sendPacket("pong");
        this._emit("ping");
        this._emit("pong");
        return this._resetPingTimeout();
      case "error": {
        const err = new Error("server error");
        err.code = packet.data;
        return this._onError(err);
      }
      case "message":
        this._emit("data", packet.data);
        this._emit("message", packet.data);
    }
  }

  _onHandshake(data) {
    this._emit("handshake", data);
    this.id = data.sid;
    this.transport.query.sid = data.sid;
    this._upgrades = (data.upgrades || []).filter(
      (n) => n !== this.transport.name && this.transports.includes(n)
    );
    this._pingInterval = data.pingInterval;
    this._pingTimeout = data.pingTimeout;
    this._maxPayload = data.maxPayload;
    this._onOpen();
    if (this.readyState === "closed") return;
    this._resetPingTimeout();
  }

  // The server pings every pingInterval; no ping within pingInterval + pingTimeout means the
  // connection is dead, however much else arrives.
  _resetPingTimeout() {
    clearTimeout(this._pingTimer);
    const delay = this._pingInterval + this._pingTimeout;
    this._pingDeadline = Date.now() + delay;
    this._pingTimer = setTimeout(() => this._onClose("ping timeout"), delay);
  }

  // _hasPingExpired catches a deadline that a throttled timer (sleeping laptop, background tab)
  // has not reported yet, so that emits made now are buffered instead of lost.
  _hasPingExpired() {
    if (!this._pingDeadline) return true;
    const expired = Date.now() > this._pingDeadline;
    if (expired) {
      this._pingDeadline = 0;
      Promise.resolve().then(() => this._onClose("ping timeout"));
    }
    return expired;
  }

  _onDrain() {
    this.writeBuffer.splice(0, this._sent);
    this._sent = 0;
    if (this.writeBuffer.length) this.flush();
    else this._emit("drain");
  }

  flush() {
    if (
      this.readyState !== "closed" &&
      this.transport.writable &&
      !this.upgrading &&
      this.writeBuffer.length
    ) {
      const packets = this._writablePackets();
      this.transport.send(packets);
      this._sent = packets.length;
      this._emit("flush");
    }
  }

  // Over HTTP, a POST carries as many buffered packets as fit in the server's maxPayload (at least
  // one).
  _writablePackets() {
    const buf = this.writeBuffer;
    if (!this._maxPayload || this.transport.name === "websocket" || buf.length < 2) return buf;
    let size = 1;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i].data) size += byteLength(buf[i].data);
      if (i > 0 && size > this._maxPayload) return buf.slice(0, i);
      size += 2;
    }
    return buf;
  }

  write(msg, options, fn) {
    this._sendPacket("message", msg, options, fn);
    return this;
  }

  send(msg, options, fn) {
    return this.write(msg, options, fn);
  }

  _sendPacket(type, data, options, fn) {
    if (typeof data === "function") (fn = data), (data = undefined);
    if (typeof options === "function") (fn = options), (options = null);
    if (this.readyState === "closing" || this.readyState === "closed") return;
    const packet = { type, data, options: options || {} };
    this._emit("packetCreate", packet);
    this.writeBuffer.push(packet);
    if (fn) this.once("flush", fn);
    this.flush();
  }

  close() {
    const close = () => {
      this._onClose("forced close");
      this.transport.close();
    };
    const afterUpgrade = () => {
      this.off("upgrade", afterUpgrade).off("upgradeError", afterUpgrade);
      close();
    };
    // While a transport pauses for an upgrade nothing can be written: let the upgrade finish.
    const waitForUpgrade = () => this.once("upgrade", afterUpgrade).once("upgradeError", afterUpgrade);
    if (this.readyState === "opening" || this.readyState === "open") {
      this.readyState = "closing";
      if (this.writeBuffer.length) {
        this.once("drain", () => (this.upgrading ? waitForUpgrade() : close()));
      } else if (this.upgrading) {
        waitForUpgrade();
      } else {
        close();
      }
    }
    return this;
  }

  _onError(err) {
    priorWebsocketSuccess = false;
    const failed = this.transport.name;
    if (this.readyState === "opening" && this.transports.length > 1) {
      // The handshake failed: try the next transport (a Node server does not know "sse").
      this.transports = this.transports.filter((n) => n !== failed);
      if (failed === "sse") this._skippedSSE = true;
      this.transport.off();
      this.transport.close();
      return this._open();
    }
    this._emit("error", err);
    this._onClose("transport error", err);
  }

  _onClose(reason, description) {
    if (!/^(opening|open|closing)$/.test(this.readyState)) return;
    clearTimeout(this._pingTimer);
    this.transport.off("close");
    this.transport.close();
    this.transport.off();
    this.readyState = "closed";
    this.id = null;
    this._emit("close", reason, description);
    this.writeBuffer = [];
    this._sent = 0;
  }
}

Engine.protocol = 4;
