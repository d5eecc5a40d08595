// Test harness: headless Chromium through playwright-core, and pages that load our built client
// on the origin of the server under test (the page itself is served by request interception, so
// the same tests run against any server, hub or Node, without CORS).
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, "..", "..", "..", "internal", "clientjs");
const official = join(here, "..", "..", "node_modules", "socket.io-client", "dist", "socket.io.min.js");

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Pages served by interception have no IP address space: let them reach the loopback server.
      "--disable-features=LocalNetworkAccessChecks",
    ],
  });
}

// Helpers defined in every test page.
const helpers = `
// next resolves with the arguments of the next event on emitter, or rejects after ms.
window.next = (emitter, event, ms = 5000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no " + event + " within " + ms + " ms")), ms);
  emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
});
// within rejects when promise has not settled after ms.
window.within = (promise, what, ms = 5000) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error("timed out: " + what)), ms))]);
window.bytes = (buf) => Array.from(new Uint8Array(buf));
window.isAB = (v) => v instanceof ArrayBuffer;
`;

const pages = {
  "/__client_test/index.html": () =>
    page(`<script src="/__client_test/client.js"></script><script>${helpers}</script>`),
  "/__client_test/msgpack.html": () =>
    page(`<script src="/__client_test/client-msgpack.js"></script><script>${helpers}</script>`),
  "/__client_test/official.html": () =>
    page(`<script src="/__client_test/official.js"></script><script>${helpers}</script>`),
  // The classic page of the Socket.IO tutorial, nothing more.
  "/__client_test/classic.html": () =>
    page(`<script src="/socket.io/socket.io.js"></script>\n<script>const socket = io();</script>`),
};

function page(body) {
  return { contentType: "text/html; charset=utf-8", body: `<!doctype html><meta charset="utf-8"><title>client test</title>${body}` };
}

const js = (file) => ({
  contentType: "application/javascript; charset=utf-8",
  body: readFileSync(file, "utf8"),
});

// openPage opens path (one of the pages above) on base's origin. With serveClient, the page's
// /socket.io/socket.io.js is our readable build (a Node server would serve the official one);
// otherwise it comes from the server (hub serves ours). Uncaught page errors are collected in
// page.errors.
export async function openPage(browser, base, path = "/__client_test/index.html", { serveClient = true } = {}) {
  const p = await browser.newPage();
  p.errors = [];
  p.on("pageerror", (err) => p.errors.push(err));
  p.requests = []; // URLs requested
  p.posts = []; // sizes of the bodies POSTed
  p.on("request", (req) => {
    p.requests.push(req.url());
    if (req.method() === "POST") p.posts.push((req.postData() || "").length);
  });
  await p.route(
    (url) =>
      url.pathname.startsWith("/__client_test/") ||
      (serveClient && url.pathname === "/socket.io/socket.io.js"),
    (route) => {
      const { pathname } = new URL(route.request().url());
      let res;
      if (pages[pathname]) res = pages[pathname]();
      else if (pathname === "/__client_test/client.js") res = js(join(built, "socket.io.min.js"));
      else if (pathname === "/__client_test/client-msgpack.js") res = js(join(built, "socket.io.msgpack.min.js"));
      else if (pathname === "/__client_test/official.js") res = js(official);
      else if (pathname === "/socket.io/socket.io.js") res = js(join(built, "socket.io.js"));
      else return route.fulfill({ status: 404, body: "" });
      return route.fulfill({ status: 200, ...res });
    }
  );
  await p.goto(base + path);
  return p;
}
