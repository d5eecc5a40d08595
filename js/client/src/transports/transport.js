// Transport is what the Engine drives: open(), send(packets), close(), pause(fn), and the events
// "open", "packet", "drain" (the last send is done; writable again), "error" and "close".
import { Emitter } from "../emitter.js";

export class Transport extends Emitter {
  // opts: the engine options plus base (http(s)://host/path/) and query (EIO, transport, sid...).
  constructor(opts) {
    super();
    this.opts = opts;
    this.query = opts.query;
    this.writable = false;
    this.readyState = "";
  }

  open() {
    this.readyState = "opening";
    this._open();
    return this;
  }

  close() {
    if (this.readyState === "opening" || this.readyState === "open") {
      this._close();
      this._onClose();
    }
    return this;
  }

  send(packets) {
    if (this.readyState === "open") this._write(packets);
  }

  // pause stops reading and writing, then calls done: what an upgrade needs before it switches.
  pause(done) {
    done();
  }

  // probing tells the transport whether the engine is probing an upgrade (sent `2probe`).
  probing(on) {}

  uri(ws) {
    const q = Object.assign({}, this.query);
    if (this.opts.timestampRequests !== false) {
      q[this.opts.timestampParam || "t"] = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    }
    const qs = Object.keys(q)
      .filter((k) => q[k] != null)
      .map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(q[k]))
      .join("&");
    return (ws ? this.opts.base.replace(/^http/, "ws") : this.opts.base) + "?" + qs;
  }

  _onOpen() {
    this.readyState = "open";
    this.writable = true;
    this._emit("open");
  }

  _onPacket(packet) {
    this._emit("packet", packet);
  }

  _onError(message, description, context) {
    const err = new Error(message);
    err.type = "TransportError";
    err.description = description;
    err.context = context;
    this._emit("error", err);
  }

  _onClose(details) {
    this.readyState = "closed";
    this._emit("close", details);
  }
}
