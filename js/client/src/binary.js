// Binary helpers shared by both protocol layers: what counts as binary, and the padded base64 that
// Engine.IO uses for binary over HTTP (`b` + base64).

const hasBlob = typeof Blob !== "undefined";

// isBinary reports whether value goes on the wire as a binary attachment.
export function isBinary(value) {
  return (
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (hasBlob && value instanceof Blob)
  );
}

export function isBlob(value) {
  return hasBlob && value instanceof Blob;
}

// bytes views an ArrayBuffer or a typed array / DataView as a Uint8Array without copying.
export function bytes(data) {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function toBase64(data) {
  const u8 = bytes(data);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

// fromBase64 decodes padded or unpadded base64 into an ArrayBuffer; it throws on bad input.
export function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}
