// Manager owns one Engine.IO connection shared by the sockets of every namespace on it, decodes
// Socket.IO packets for them, and reconnects with exponential backoff.
import { Emitter, on } from "./emitter.js";
import { Engine } from "./engine.js";
import { Backoff } from "./backoff.js";
import { encode, Decoder } from "./parser.js";
import { Socket } from "./socket.js";

export class Manager extends Emitter {
  constructor(uri, opts) {
    super();
    if (uri && typeof uri === "object") (opts = uri), (uri = undefined);
    opts = opts || {};
    opts.path = opts.path || "/socket.io";
    this.opts = opts;
    this.uri = uri;
    this.nsps = {};
    this.subs = [];
    this.backoff = new Backoff(0, 0, 0);
    this.reconnection(opts.reconnection !== false);
    this.reconnectionAttempts(opts.reconnectionAttempts || Infinity);
    this.reconnectionDelay(opts.reconnectionDelay || 1000);
    this.reconnectionDelayMax(opts.reconnectionDelayMax || 5000);
    this.randomizationFactor(opts.randomizationFactor == null ? 0.5 : opts.randomizationFactor);
    this.timeout(opts.timeout == null ? 20000 : opts.timeout);
    this._readyState = "closed";
    this._decoder = new Decoder((packet) =>
      // Off the decoding stack, so that a throwing user handler is not a "parse error".
      queueMicrotask(() => this._emit("packet", packet))
    );
    this._autoConnect = opts.autoConnect !== false;
    if (this._autoConnect) this.open();
  }

  reconnection(v) {
    if (!arguments.length) return this._reconnection;
    this._reconnection = !!v;
    if (!v) this.skipReconnect = true;
    return this;
  }

  reconnectionAttempts(v) {
    if (v === undefined) return this._reconnectionAttempts;
    this._reconnectionAttempts = v;
    return this;
  }

  reconnectionDelay(v) {
    if (v === undefined) return this._reconnectionDelay;
    this._reconnectionDelay = this.backoff.min = v;
    return this;
  }

  randomizationFactor(v) {
    if (v === undefined) return this._randomizationFactor;
    this._randomizationFactor = v;
    this.backoff.jitter = v > 0 && v <= 1 ? v : 0;
    return this;
  }

  reconnectionDelayMax(v) {
    if (v === undefined) return this._reconnectionDelayMax;
    this._reconnectionDelayMax = this.backoff.max = v;
    return this;
  }

  timeout(v) {
    if (!arguments.length) return this._timeout;
    this._timeout = v;
    return this;
  }

  _maybeReconnectOnOpen() {
    // Only on a first connection: a running reconnection loop handles its own failures.
    if (!this._reconnecting && this._reconnection && this.backoff.attempts === 0) this.reconnect();
  }

  open(fn) {
    if (this._readyState.indexOf("open") >= 0) return this;
    const engine = (this.engine = new Engine(this.uri, this.opts));
    this._readyState = "opening";
    this.skipReconnect = false;
    const openSub = on(engine, "open", () => {
      this._onopen();
      fn && fn();
    });
    const onError = (err) => {
      this._cleanup();
      this._readyState = "closed";
      this._emit("error", err);
      if (fn) fn(err);
      else this._maybeReconnectOnOpen();
    };
    const errorSub = on(engine, "error", onError);
    if (this._timeout !== false) {
      const timer = setTimeout(() => {
        openSub();
        onError(new Error("timeout"));
        engine.close();
      }, this._timeout);
      this.subs.push(() => clearTimeout(timer));
    }
    this.subs.push(openSub, errorSub);
    return this;
  }

  connect(fn) {
    return this.open(fn);
  }

  _onopen() {
    this._cleanup();
    this._readyState = "open";
    this._emit("open");
    const engine = this.engine;
    this.subs.push(
      on(engine, "ping", () => this._emit("ping")),
      on(engine, "data", (data) => this._ondata(data)),
      on(engine, "error", (err) => this._emit("error", err)),
      on(engine, "close", (reason, description) => this._onclose(reason, description))
    );
  }

  _ondata(data) {
    try {
      this._decoder.add(data);
    } catch (e) {
      this._onclose("parse error", e);
    }
  }

  // socket returns the Socket for namespace nsp, creating it on first use.
  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = this.nsps[nsp] = new Socket(this, nsp, opts);
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  // _destroy is called by a socket that leaves; the connection closes when none is left active.
  _destroy() {
    for (const nsp of Object.keys(this.nsps)) {
      if (this.nsps[nsp].active) return;
    }
    this._close();
  }

  _packet(packet) {
    for (const message of encode(packet)) this.engine.write(message, packet.options);
  }

  _cleanup() {
    this.subs.forEach((unsubscribe) => unsubscribe());
    this.subs.length = 0;
    this._decoder.reset();
  }

  _close() {
    this.skipReconnect = true;
    this._reconnecting = false;
    this._onclose("forced close");
  }

  disconnect() {
    return this._close();
  }

  close() {
    return this._close();
  }

  _onclose(reason, description) {
    this._cleanup();
    if (this.engine) this.engine.close();
    this.backoff.reset();
    this._readyState = "closed";
    this._emit("close", reason, description);
    if (this._reconnection && !this.skipReconnect) this.reconnect();
  }

  reconnect() {
    if (this._reconnecting || this.skipReconnect) return this;
    if (this.backoff.attempts >= this._reconnectionAttempts) {
      this.backoff.reset();
      this._emit("reconnect_failed");
      this._reconnecting = false;
      return this;
    }
    const delay = this.backoff.duration();
    this._reconnecting = true;
    const timer = setTimeout(() => {
      if (this.skipReconnect) return;
      this._emit("reconnect_attempt", this.backoff.attempts);
      // A reconnect_attempt listener may have closed the manager.
      if (this.skipReconnect) return;
      this.open((err) => {
        if (err) {
          this._reconnecting = false;
          this.reconnect();
          this._emit("reconnect_error", err);
        } else {
          const attempts = this.backoff.attempts;
          this._reconnecting = false;
          this.backoff.reset();
          this._emit("reconnect", attempts);
        }
      });
    }, delay);
    this.subs.push(() => clearTimeout(timer));
    return this;
  }
}
