// parseURL resolves the argument of io(): no URL means the page's origin, a URL without a scheme
// gets the page's, and the URL's path is the namespace.
export function parseURL(uri) {
  const loc = typeof location !== "undefined" ? location : null;
  if (uri == null) uri = loc.protocol + "//" + loc.host;
  if (uri[0] === "/") uri = uri[1] === "/" ? loc.protocol + uri : loc.host + uri;
  if (!/^(https?|wss?):\/\//.test(uri)) uri = (loc ? loc.protocol + "//" : "https://") + uri;
  const url = new URL(uri);
  const secure = /^(https|wss):$/.test(url.protocol);
  const port = url.port || (secure ? "443" : "80");
  return {
    source: uri,
    // Sockets of one Manager share this id: scheme, host and port (ws and http are the same).
    id: (secure ? "https" : "http") + "://" + url.hostname + ":" + port,
    nsp: url.pathname || "/",
    query: url.search,
  };
}
