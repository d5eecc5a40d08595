// io(): the entry point of the client, with the API of socket.io-client 4.x.
import { parseURL } from "./url.js";
import { Manager } from "./manager.js";
import { Socket } from "./socket.js";

const cache = {};

// lookup returns the Socket for the namespace in uri, on a Manager shared with the other sockets to
// the same server and path unless forceNew / multiplex: false, or that namespace is already open.
export function lookup(uri, opts) {
  if (typeof uri === "object") (opts = uri), (uri = undefined);
  opts = opts || {};
  const parsed = parseURL(uri);
  const id = parsed.id + (opts.path || "/socket.io");
  const sameNamespace = cache[id] && parsed.nsp in cache[id].nsps;
  let manager;
  if (opts.forceNew || opts["force new connection"] || opts.multiplex === false || sameNamespace) {
    manager = new Manager(parsed.source, opts);
  } else {
    manager = cache[id] || (cache[id] = new Manager(parsed.source, opts));
  }
  return manager.socket(parsed.nsp, opts);
}

Object.assign(lookup, { Manager, Socket, io: lookup, connect: lookup, protocol: 5 });

export default lookup;
