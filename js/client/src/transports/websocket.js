// WebSocket transport: one Engine.IO packet per frame, binary as raw binary frames.
import { Transport } from "./transport.js";
import { encodePacket, decodePacket } from "../engine-packet.js";

export class WebSocketTransport extends Transport {
  get name() {
    return "websocket";
  }

  _open() {
    let ws;
    try {
      ws = this._ws = new WebSocket(this.uri(true), this.opts.protocols);
    } catch (err) {
      return this._emit("error", err);
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this._onOpen();
    ws.onclose = (ev) => this._onClose({ description: "websocket connection closed", context: ev });
    ws.onmessage = (ev) => this._onPacket(decodePacket(ev.data));
    ws.onerror = (ev) => this._onError("websocket error", ev);
  }

  _write(packets) {
    this.writable = false;
    for (const packet of packets) {
      // Synchronous with binary frames allowed (a Blob is sent as is), so order is kept.
      encodePacket(packet, true, (frame) => {
        try {
          this._ws.send(frame);
        } catch (e) {
          // The close event follows.
        }
      });
    }
    Promise.resolve().then(() => {
      this.writable = true;
      this._emit("drain");
    });
  }

  _close() {
    if (this._ws) {
      this._ws.onerror = () => {};
      this._ws.close();
      this._ws = null;
    }
  }
}
