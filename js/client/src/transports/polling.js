// HTTP long-polling: a GET that the server holds until it has packets, and POSTs that carry the
// client's packets, both with the \x1e-joined payload of Engine.IO v4 (binary as b+base64).
import { Transport } from "./transport.js";
import { encodePayload, decodePayload } from "../engine-packet.js";

export class Polling extends Transport {
  get name() {
    return "polling";
  }

  _open() {
    this._poll();
  }

  _poll() {
    this._polling = true;
    const fail = (e) => this._failed("xhr poll error", e);
    this._fetch("GET").then(
      (res) => (res.ok ? res.text().then((body) => this._onPayload(body), fail) : fail(res.status)),
      fail
    );
  }

  _failed(message, description) {
    if (this.readyState !== "closed") this._onError(message, description);
  }

  _onPayload(body) {
    if (this.readyState === "closed") return;
    for (const packet of decodePayload(body)) {
      if (this._onIncoming(packet)) return;
    }
    this._polling = false;
    this._emit("pollComplete");
    if (this.readyState === "open") this._poll();
  }

  // _onIncoming handles one received packet and reports whether the transport closed.
  _onIncoming(packet) {
    if (this.readyState === "opening" && packet.type === "open") this._onOpen();
    if (packet.type === "close") {
      this._stop();
      this._onClose({ description: "transport closed by the server" });
      return true;
    }
    this._onPacket(packet);
    return this.readyState === "closed";
  }

  _stop() {}

  _write(packets) {
    this.writable = false;
    const fail = (e) => this._failed("xhr post error", e);
    encodePayload(packets, (body) =>
      this._fetch("POST", body).then((res) => {
        if (!res.ok) return fail(res.status);
        this.writable = true;
        this._emit("drain");
      }, fail)
    );
  }

  _close() {
    // Tell the server: the client-side close of an HTTP session is a `1` packet.
    if (this.readyState === "open") this._write([{ type: "close" }]);
    this._stop();
  }

  // pause waits for the running GET (the "poll") and POST to finish; nothing new is started.
  pause(done) {
    this.readyState = "pausing";
    let waiting = 1;
    const paused = () => {
      if (--waiting) return;
      this.readyState = "paused";
      done();
    };
    if (this._polling) {
      waiting++;
      this.once("pollComplete", paused);
    }
    if (!this.writable) {
      waiting++;
      this.once("drain", paused);
    }
    paused();
  }

  _fetch(method, body) {
    return fetch(this.uri(), {
      method,
      body,
      headers: this.opts.extraHeaders || {},
      credentials: this.opts.withCredentials ? "include" : "same-origin",
      cache: "no-store",
    });
  }
}
