// SSE transport, hub's own: the server streams packets down an EventSource and the client POSTs
// its packets exactly as polling does.
//
// What the client expects from the server:
//   GET  ?EIO=4&transport=sse (Accept: text/event-stream)  text/event-stream; the first event is
//        the open packet; then one Engine.IO packet in text form per event (binary: b+base64).
//   POST ?EIO=4&transport=sse&sid=...  the polling POST: \x1e-joined packets, answered "ok".
//   Upgrade to WebSocket as from polling: once `2probe` came on the WebSocket, the server ends the
//   stream (or writes a `6` event, as it would answer a parked poll); what it queues later waits
//   for the WebSocket. The end of the stream while the client probes is that release, not a close.
//   Close: the server sends `1` (or ends the stream); the client closes with a POSTed `1`.
// Any failure before the open packet (Node answers 400) makes the engine try the next transport.
import { Polling } from "./polling.js";
import { decodePacket } from "../engine-packet.js";

export class SSE extends Polling {
  get name() {
    return "sse";
  }

  _open() {
    // The stream is the long-running "poll": pause() waits until the noop ends it.
    this._polling = true;
    const es = (this._es = new EventSource(this.uri(), {
      withCredentials: !!this.opts.withCredentials,
    }));
    es.onmessage = (ev) => {
      const packet = decodePacket(ev.data);
      if (packet.type === "noop") this._released();
      this._onIncoming(packet);
    };
    es.onerror = () => {
      // EventSource would reconnect by itself, to a URL that opens a new session: never let it.
      this._stop();
      if (this.readyState === "opening") this._onError("sse error");
      else if (this._probing || this.readyState !== "open") this._released();
      else this._onClose({ description: "sse stream closed" });
    };
  }

  // _released: the server gave the session to the transport being probed; the stream is over.
  _released() {
    this._stop();
    this._ended = true;
    if (this._polling) {
      this._polling = false;
      this._emit("pollComplete");
    }
  }

  probing(on) {
    this._probing = on;
    if (!on && this._ended && this.readyState !== "closed") {
      // The upgrade failed after the server released the stream: this connection is over.
      this._onClose({ description: "sse stream closed" });
    }
  }

  _stop() {
    if (this._es) {
      this._es.close();
      this._es = null;
    }
  }
}
