// Socket is one namespace on a Manager's connection: what io() returns.
import { Emitter, on } from "./emitter.js";
import {
  CONNECT,
  DISCONNECT,
  EVENT,
  ACK,
  CONNECT_ERROR,
  BINARY_EVENT,
  BINARY_ACK,
  RESERVED_EVENTS,
} from "./parser.js";

// removeFrom removes fn from list (all of them without fn) and returns the list.
function removeFrom(list, fn) {
  if (!list || !fn) return [];
  const i = list.indexOf(fn);
  if (i >= 0) list.splice(i, 1);
  return list;
}

export class Socket extends Emitter {
  constructor(io, nsp, opts) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.connected = false;
    this.recovered = false;
    this.receiveBuffer = [];
    this.sendBuffer = [];
    this.ids = 0;
    this.acks = {};
    this._queue = [];
    this._queueSeq = 0;
    this.flags = {};
    this._opts = Object.assign({}, opts);
    if (opts && opts.auth) this.auth = opts.auth;
    if (io._autoConnect) this.open();
  }

  get disconnected() {
    return !this.connected;
  }

  // active: the socket is attached to its Manager and will reconnect with it.
  get active() {
    return !!this.subs;
  }

  _subEvents() {
    if (this.subs) return;
    const io = this.io;
    this.subs = [
      on(io, "open", () => this._onopen()),
      on(io, "packet", (p) => this._onpacket(p)),
      on(io, "error", (err) => this._onerror(err)),
      on(io, "close", (reason, description) => this._onclose(reason, description)),
    ];
  }

  connect() {
    if (this.connected) return this;
    this._subEvents();
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === "open") this._onopen();
    return this;
  }

  open() {
    return this.connect();
  }

  send(...args) {
    return this.emit("message", ...args);
  }

  // emit sends an event; a function as last argument receives the acknowledgement. While
  // disconnected the packet waits in sendBuffer, unless it is volatile.
  emit(ev, ...args) {
    if (RESERVED_EVENTS.includes(ev)) throw new Error('"' + ev + '" is a reserved event name');
    args.unshift(ev);
    if (this._opts.retries && !this.flags.fromQueue && !this.flags.volatile) {
      this._addToQueue(args);
      return this;
    }
    const packet = { type: EVENT, data: args, options: { compress: this.flags.compress !== false } };
    if (typeof args[args.length - 1] === "function") {
      const id = this.ids++;
      this._registerAckCallback(id, args.pop());
      packet.id = id;
    }
    const engine = this.io.engine;
    const writable = engine && engine.transport && engine.transport.writable;
    const connected = this.connected && !engine._hasPingExpired();
    if (this.flags.volatile && !(connected && writable)) {
      // dropped, as volatile means
    } else if (connected) {
      this._notifyOutgoing(packet);
      this._packet(packet);
    } else {
      this.sendBuffer.push(packet);
    }
    this.flags = {};
    return this;
  }

  _registerAckCallback(id, ack) {
    const timeout = this.flags.timeout != null ? this.flags.timeout : this._opts.ackTimeout;
    if (timeout == null) {
      this.acks[id] = ack;
      return;
    }
    const timer = setTimeout(() => {
      delete this.acks[id];
      this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    const fn = (...args) => {
      clearTimeout(timer);
      ack.apply(this, args);
    };
    fn.withError = true;
    this.acks[id] = fn;
  }

  // emitWithAck resolves with the acknowledgement's first argument; with timeout() it rejects
  // when none comes in time.
  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      const fn = (err, res) => (err ? reject(err) : resolve(res));
      fn.withError = true;
      args.push(fn);
      this.emit(ev, ...args);
    });
  }

  // With the retries option, emits go out one at a time, each until acknowledged or tried
  // retries + 1 times (every try waits ackTimeout); the user's ack gets (err, ...response).
  _addToQueue(args) {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    const packet = { id: this._queueSeq++, tries: 0, pending: false, args, flags: Object.assign({ fromQueue: true }, this.flags) };
    const onAck = (err, ...response) => {
      if (packet !== this._queue[0]) return; // already settled
      if (err === null) {
        this._queue.shift();
        if (ack) ack(null, ...response);
      } else if (packet.tries > this._opts.retries) {
        this._queue.shift();
        if (ack) ack(err);
      }
      packet.pending = false;
      this._drainQueue();
    };
    onAck.withError = true;
    args.push(onAck);
    this._queue.push(packet);
    this.flags = {};
    this._drainQueue();
  }

  _drainQueue(force) {
    const packet = this._queue[0];
    if (!this.connected || !packet || (packet.pending && !force)) return;
    packet.pending = true;
    packet.tries++;
    this.flags = packet.flags;
    this.emit.apply(this, packet.args);
  }

  _packet(packet) {
    packet.nsp = this.nsp;
    this.io._packet(packet);
  }

  _onopen() {
    if (typeof this.auth === "function") {
      this.auth((data) => this._sendConnectPacket(data));
    } else {
      this._sendConnectPacket(this.auth);
    }
  }

  _sendConnectPacket(data) {
    this._packet({
      type: CONNECT,
      data: this._pid ? Object.assign({ pid: this._pid, offset: this._lastOffset }, data) : data,
    });
  }

  _onerror(err) {
    if (!this.connected) this._emit("connect_error", err);
  }

  _onclose(reason, description) {
    this.connected = false;
    delete this.id;
    this._emit("disconnect", reason, description);
    this._clearAcks();
  }

  // _clearAcks fails the pending acknowledgements that can never come (their packet was sent on
  // the lost connection); only callbacks that take an error (timeout, emitWithAck) are called.
  _clearAcks() {
    for (const id of Object.keys(this.acks)) {
      if (this.sendBuffer.some((p) => String(p.id) === id)) continue;
      const ack = this.acks[id];
      delete this.acks[id];
      if (ack.withError) ack.call(this, new Error("socket has been disconnected"));
    }
  }

  _onpacket(packet) {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case CONNECT:
        if (packet.data && packet.data.sid) {
          this._onconnect(packet.data.sid, packet.data.pid);
        } else {
          this._emit("connect_error", new Error("invalid CONNECT packet"));
        }
        break;
      case EVENT:
      case BINARY_EVENT:
        this._onevent(packet);
        break;
      case ACK:
      case BINARY_ACK:
        this._onack(packet);
        break;
      case DISCONNECT:
        this._destroy();
        this._onclose("io server disconnect");
        break;
      case CONNECT_ERROR: {
        this._destroy();
        const data = packet.data;
        const err = new Error(typeof data === "string" ? data : data.message);
        err.data = data.data;
        this._emit("connect_error", err);
        break;
      }
    }
  }

  _onevent(packet) {
    const args = packet.data || [];
    if (packet.id != null) args.push(this._ack(packet.id));
    if (this.connected) this._emitEvent(args);
    else this.receiveBuffer.push(Object.freeze(args));
  }

  _emitEvent(args) {
    for (const listener of (this._anyListeners || []).slice()) listener.apply(this, args);
    super.emit.apply(this, args);
    if (this._pid && args.length && typeof args[args.length - 1] === "string") {
      this._lastOffset = args[args.length - 1];
    }
  }

  _ack(id) {
    let sent = false;
    return (...args) => {
      if (sent) return;
      sent = true;
      this._packet({ type: ACK, id, data: args });
    };
  }

  _onack(packet) {
    const ack = this.acks[packet.id];
    if (typeof ack !== "function") return;
    delete this.acks[packet.id];
    if (ack.withError) packet.data.unshift(null);
    ack.apply(this, packet.data);
  }

  _onconnect(id, pid) {
    this.id = id;
    this.recovered = !!pid && this._pid === pid;
    this._pid = pid;
    this.connected = true;
    this.receiveBuffer.forEach((args) => this._emitEvent(args));
    this.receiveBuffer = [];
    this.sendBuffer.forEach((packet) => {
      this._notifyOutgoing(packet);
      this._packet(packet);
    });
    this.sendBuffer = [];
    this._emit("connect");
    this._drainQueue(true);
  }

  _destroy() {
    if (this.subs) {
      this.subs.forEach((unsubscribe) => unsubscribe());
      this.subs = undefined;
    }
    this.io._destroy(this);
  }

  disconnect() {
    if (this.connected) this._packet({ type: DISCONNECT });
    this._destroy();
    if (this.connected) this._onclose("io client disconnect");
    return this;
  }

  close() {
    return this.disconnect();
  }

  compress(compress) {
    this.flags.compress = compress;
    return this;
  }

  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  timeout(ms) {
    this.flags.timeout = ms;
    return this;
  }

  onAny(listener) {
    (this._anyListeners = this._anyListeners || []).push(listener);
    return this;
  }

  prependAny(listener) {
    (this._anyListeners = this._anyListeners || []).unshift(listener);
    return this;
  }

  offAny(listener) {
    this._anyListeners = removeFrom(this._anyListeners, listener);
    return this;
  }

  listenersAny() {
    return this._anyListeners || [];
  }

  onAnyOutgoing(listener) {
    (this._anyOutgoing = this._anyOutgoing || []).push(listener);
    return this;
  }

  prependAnyOutgoing(listener) {
    (this._anyOutgoing = this._anyOutgoing || []).unshift(listener);
    return this;
  }

  offAnyOutgoing(listener) {
    this._anyOutgoing = removeFrom(this._anyOutgoing, listener);
    return this;
  }

  listenersAnyOutgoing() {
    return this._anyOutgoing || [];
  }

  _notifyOutgoing(packet) {
    for (const listener of (this._anyOutgoing || []).slice()) listener.apply(this, packet.data);
  }
}
