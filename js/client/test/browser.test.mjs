// The client in headless Chromium against a real server: the official Node socket.io 4.8 server
// started here (default), or the server at SERVER_URL (hub's interop server, which serves the
// handlers of js/interop/APP.md). The SSE tests need SERVER_URL: Node has no sse transport.
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startNodeServer } from "./fixture.mjs";
import { launch, openPage } from "./harness.mjs";

const HUB = process.env.SERVER_URL ? process.env.SERVER_URL.replace(/\/$/, "") : "";
const needsHub = HUB ? false : "needs SERVER_URL of a hub server (Node has no sse transport)";
// Tests that need the Node fixture's extras (stop-pings; see fixture.mjs) or look at its state:
// not in APP.md.
const needsNode = HUB ? "needs the Node fixture's extra handlers or state" : false;

// test is node:test's with a deadline, so that a broken client fails instead of hanging.
function test(name, opts, fn) {
  if (typeof opts === "function") (fn = opts), (opts = {});
  return nodeTest(name, { timeout: 30000, ...opts }, fn);
}

let server; // the in-process Node server, when not testing SERVER_URL
let base;
let browser;

before(async () => {
  if (HUB) base = HUB;
  else {
    server = await startNodeServer();
    base = server.url;
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// withPage runs fn(page) on a fresh page and then checks that no uncaught error happened in it.
async function withPage(fn, path, opts) {
  const page = await openPage(browser, base, path, opts);
  try {
    return await fn(page);
  } finally {
    const errors = page.errors;
    await page.close();
    assert.deepEqual(errors.map(String), [], "uncaught errors in the page");
  }
}

const ab = (...bytes) => bytes; // how ArrayBuffers come back from the page (see window.bytes)

const matrix = [
  { name: "websocket", transports: ["websocket"] },
  { name: "polling", transports: ["polling"] },
  { name: "sse", transports: ["sse"], skip: needsHub },
];

for (const { name, transports, skip } of matrix) {
  test(`${name}: connects, emits and acks both ways, binary both ways`, { skip }, () =>
    withPage(async (page) => {
      const r = await page.evaluate(async (transports) => {
        const socket = io({ transports });
        const [welcome] = await next(socket, "welcome");
        const out = { welcome, id: socket.id, connected: socket.connected, disconnected: socket.disconnected };
        out.transport = socket.io.engine.transport.name;
        // client -> server with ack
        out.ack = await within(new Promise((resolve) => socket.emit("ack-me", 1, "two", { three: [true] }, (...a) => resolve(a))), "ack");
        // server -> client with ack
        socket.on("double", (n, ack) => ack(n * 2));
        socket.emit("server-ack", "double", 21);
        [out.serverAck] = await next(socket, "server-ack-result");
        // binary: ArrayBuffer, Uint8Array, Blob, nested; received as ArrayBuffer
        const blob = new Blob([new Uint8Array([7, 8, 9])]);
        socket.emit("echo", new Uint8Array([1, 2, 3]).buffer, new Uint8Array([4, 5]), { deep: [blob], text: "t" });
        const echo = await next(socket, "echo");
        out.echo = [isAB(echo[0]), bytes(echo[0]), isAB(echo[1]), bytes(echo[1]), isAB(echo[2].deep[0]), bytes(echo[2].deep[0]), echo[2].text];
        // binary in an ack (BINARY_ACK) and a large one
        const big = new Uint8Array(50000).map((_, i) => i % 251);
        const back = await socket.emitWithAck("ack-me", big);
        out.bigAck = isAB(back) && bytes(back).every((v, i) => v === i % 251) && back.byteLength;
        out.transportAfter = socket.io.engine.transport.name;
        return out;
      }, transports);
      assert.equal(r.connected, true);
      assert.equal(r.disconnected, false);
      assert.equal(r.welcome.id, r.id, "socket.id is the server's socket id");
      assert.deepEqual(r.welcome.auth, {});
      assert.equal(r.transport, name);
      assert.equal(r.transportAfter, name, "no upgrade when only one transport is allowed");
      assert.deepEqual(r.ack, [1, "two", { three: [true] }]);
      assert.deepEqual(r.serverAck, { result: [42] });
      assert.deepEqual(r.echo, [true, ab(1, 2, 3), true, ab(4, 5), true, ab(7, 8, 9), "t"]);
      assert.equal(r.bigAck, 50000);
      if (server) assert.deepEqual(server.transports[r.id], [name], "transports the server saw");
    })
  );
}

// The socket.io.msgpack.min.js build against the /msgpack/ server (APP.md): every packet one
// binary message, binary values inline at any depth.
for (const { name, transports, skip } of matrix) {
  test(`msgpack build, ${name}: emits and acks both ways, binary at any depth`, { skip }, () =>
    withPage(async (page) => {
      const r = await page.evaluate(async (transports) => {
        const socket = io({ path: "/msgpack/", transports, auth: { user: "ann" } });
        const [welcome] = await next(socket, "welcome");
        const out = { id: socket.id, welcomeId: welcome.id, auth: welcome.auth, bin: isAB(welcome.bin) && bytes(welcome.bin) };
        socket.emit("echo", new Uint8Array([1, 2, 3]).buffer, new Uint8Array([9, 4, 5]).subarray(1), { deep: [[new Uint8Array(0)]], n: 2 ** 40, f: -1.5, s: "é✓😀", u: null });
        const echo = await next(socket, "echo");
        out.echo = [bytes(echo[0]), bytes(echo[1]), isAB(echo[2].deep[0][0]) && bytes(echo[2].deep[0][0]), echo[2].n, echo[2].f, echo[2].s, echo[2].u];
        out.ack = await within(new Promise((resolve) => socket.emit("ack-me", "x", new Uint8Array([7]), (...a) => resolve(a))), "ack");
        out.ack[1] = bytes(out.ack[1]);
        socket.on("double", (n, b, ack) => ack(n * 2, b));
        socket.emit("server-ack", "double", 21, new Uint8Array([8]));
        const [res] = await next(socket, "server-ack-result");
        out.serverAck = [res.result[0], bytes(res.result[1])];
        out.transport = socket.io.engine.transport.name;
        return out;
      }, transports);
      assert.equal(r.welcomeId, r.id);
      assert.deepEqual(r.auth, { user: "ann" });
      assert.deepEqual(r.bin, [1, 2, 3]);
      assert.deepEqual(r.echo, [[1, 2, 3], [4, 5], [], 2 ** 40, -1.5, "é✓😀", null]);
      assert.deepEqual(r.ack, ["x", [7]]);
      assert.deepEqual(r.serverAck, [42, [8]]);
      assert.equal(r.transport, name);
    }, "/__client_test/msgpack.html")
  );
}

test("default: opens over HTTP (SSE, or polling when the server refuses SSE), then upgrades to websocket", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io();
      const opened = [];
      socket.io.on("open", () => opened.push(socket.io.engine.transport.name));
      const [welcome] = await next(socket, "welcome");
      if (socket.io.engine.transport.name !== "websocket") await next(socket.io.engine, "upgrade");
      const [echo] = await within(new Promise((resolve) => {
        socket.once("echo", (...a) => resolve(a));
        socket.emit("echo", "after upgrade");
      }), "echo");
      // A second connection to the same server, in the same page.
      const second = io({ forceNew: true });
      await next(second, "connect");
      return { opened, id: welcome.id, now: socket.io.engine.transport.name, echo, secondOpened: second.io.engine.transport.name };
    });
    assert.equal(r.now, "websocket");
    assert.equal(r.echo, "after upgrade");
    const sseRequests = page.requests.filter((u) => u.includes("transport=sse") && !u.includes("sid="));
    if (server) {
      // Node answers the SSE handshake with 400: the client falls back to polling, and remembers.
      assert.deepEqual(r.opened, ["polling"]);
      assert.deepEqual(server.transports[r.id], ["polling", "websocket"]);
      assert.equal(sseRequests.length, 1, "one SSE attempt: the second connection skips it");
    } else {
      assert.deepEqual(r.opened, ["sse"]);
      assert.equal(sseRequests.length, 2);
    }
  }));

test("the classic page: /socket.io/socket.io.js then io()", () =>
  withPage(
    async (page) => {
      await page.waitForFunction(() => socket.connected, null, { timeout: 5000 });
      const r = await page.evaluate(() => ({
        id: socket.id,
        manager: typeof io.Manager,
        socketClass: socket instanceof io.Socket,
        protocol: io.protocol,
      }));
      assert.match(r.id, /^[\w-]+$/);
      assert.deepEqual([r.manager, r.socketClass, r.protocol], ["function", true, 5]);
    },
    "/__client_test/classic.html",
    // Against hub the script comes from the server itself.
    { serveClient: !HUB }
  ));

test("timeout().emit calls back with an error when no ack comes, and with null first when one does", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["websocket"] });
      await next(socket, "connect");
      const started = Date.now();
      const [err] = await within(new Promise((resolve) => socket.timeout(150).emit("nobody-acks", 1, (...a) => resolve(a))), "timeout");
      const waited = Date.now() - started;
      const ok = await within(new Promise((resolve) => socket.timeout(2000).emit("ack-me", 5, (...a) => resolve(a))), "ack");
      return { message: err instanceof Error && err.message, waited, ok };
    });
    assert.equal(r.message, "operation has timed out");
    assert.ok(r.waited >= 140, `timed out after ${r.waited} ms`);
    assert.deepEqual(r.ok, [null, 5]);
  }));

test("emitWithAck resolves with the ack, and rejects on timeout", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["polling"] });
      const value = await socket.emitWithAck("ack-me", { a: 1 }, "ignored");
      let rejected = null;
      try {
        await socket.timeout(100).emitWithAck("nobody-acks");
      } catch (e) {
        rejected = e.message;
      }
      return { value, rejected };
    });
    assert.deepEqual(r.value, { a: 1 }, "emitWithAck resolves with the first ack argument");
    assert.equal(r.rejected, "operation has timed out");
  }));

test("namespaces share one connection; each disconnects on its own", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const main = io();
      const admin = io("/admin", { auth: { token: "secret" } });
      const [[adminId]] = await Promise.all([next(admin, "admin-welcome"), next(main, "welcome")]);
      const out = { sameManager: main.io === admin.io, engineId: main.io.engine.id, mainId: main.id, adminId };
      out.distinctIds = main.id !== admin.id;
      out.adminAck = await admin.emitWithAck("ack-me", "from admin");
      admin.disconnect();
      out.mainStill = await main.emitWithAck("ack-me", "still here");
      out.engineAfter = main.io.engine.readyState;
      const other = io("/admin", { auth: { token: "secret" }, forceNew: true });
      await next(other, "connect");
      out.otherManager = other.io !== main.io;
      return out;
    });
    assert.equal(r.sameManager, true);
    assert.equal(r.distinctIds, true);
    assert.equal(r.adminAck, "from admin");
    assert.equal(r.mainStill, "still here");
    assert.equal(r.engineAfter, "open", "one namespace leaving keeps the connection");
    assert.equal(r.otherManager, true, "forceNew makes its own Manager");
    if (server) assert.equal(server.engineIds[r.mainId], server.engineIds[r.adminId], "one Engine.IO connection");
  }));

test("io.Manager used directly: manager.socket(nsp, opts), a URL without scheme", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const manager = new io.Manager(location.host, { transports: ["websocket"] });
      const admin = manager.socket("/admin", { auth: { token: "secret" } });
      const main = manager.socket("/");
      const [[adminId]] = await Promise.all([next(admin, "admin-welcome"), next(main, "welcome")]);
      return { adminId, admin: admin.id, shared: admin.io === manager && main.io === manager, same: manager.socket("/") === main };
    });
    assert.equal(r.adminId, r.admin);
    assert.equal(r.shared, true);
    assert.equal(r.same, true, "one Socket per namespace and Manager");
  }));

test("connect_error carries the middleware's message and data", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io("/admin", { auth: { token: "wrong" } });
      const [err] = await next(socket, "connect_error");
      return { isError: err instanceof Error, message: err.message, data: err.data, active: socket.active, connected: socket.connected };
    });
    assert.deepEqual(r, { isError: true, message: "not authorized", data: { code: 401 }, active: false, connected: false });
  }));

test("auth as an object and as a function; query from options and from the URL", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const welcome = async (socket) => (await next(socket, "welcome"))[0];
      const a = await welcome(io({ forceNew: true, auth: { token: "obj", n: 1 } }));
      let calls = 0;
      const b = await welcome(io({ forceNew: true, auth: (cb) => cb({ token: "fn", call: ++calls }) }));
      const c = await welcome(io({ forceNew: true, query: { k: "from-options" } }));
      const d = await welcome(io("/?k=from-url", { forceNew: true }));
      return { a: a.auth, b: b.auth, c: c.query, d: d.query };
    });
    assert.deepEqual(r.a, { token: "obj", n: 1 });
    assert.deepEqual(r.b, { token: "fn", call: 1 });
    assert.equal(r.c, "from-options");
    assert.equal(r.d, "from-url");
  }));

for (const close of [false, true]) {
  test(`io server disconnect (disconnect(${close})) ends the socket without reconnecting`, () =>
    withPage(async (page) => {
      const r = await page.evaluate(async (close) => {
        const socket = io({ reconnectionDelay: 1, reconnectionDelayMax: 1, randomizationFactor: 0 });
        const attempts = [];
        socket.io.on("reconnect_attempt", (n) => attempts.push(n));
        await next(socket, "connect");
        const oldId = socket.id;
        socket.emit("disconnect-me", close);
        const [reason] = await next(socket, "disconnect");
        const state = { active: socket.active, connected: socket.connected, id: socket.id, engine: socket.io.engine.readyState };
        // Another connection asks the server what it saw; by then a 1 ms reconnection would have run.
        const probe = io({ forceNew: true });
        const serverReason = await probe.emitWithAck("get-reason", oldId);
        await probe.emitWithAck("ack-me", 0);
        const attemptsSeen = attempts.slice();
        // A manual connect() works.
        socket.connect();
        await next(socket, "connect");
        return { reason, state, serverReason, attemptsSeen, reconnected: socket.connected && socket.id !== oldId };
      }, close);
      assert.equal(r.reason, "io server disconnect");
      assert.deepEqual(r.state, { active: false, connected: false, id: undefined, engine: "closed" });
      assert.equal(r.serverReason, "server namespace disconnect");
      assert.deepEqual(r.attemptsSeen, [], "no reconnection attempt");
      assert.equal(r.reconnected, true);
    }));
}

test("io client disconnect: the server sees the namespace leave; the connection closes with the last socket", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["websocket"] });
      await next(socket, "connect");
      const id = socket.id;
      const engine = socket.io.engine;
      const [reason] = await within(new Promise((resolve) => {
        socket.once("disconnect", (...a) => resolve(a));
        socket.disconnect();
      }), "disconnect");
      const probe = io({ forceNew: true });
      const serverReason = await probe.emitWithAck("get-reason", id);
      return { reason, serverReason, engine: engine.readyState, active: socket.active };
    });
    assert.equal(r.reason, "io client disconnect");
    assert.equal(r.serverReason, "client namespace disconnect");
    assert.equal(r.engine, "closed");
    assert.equal(r.active, false);
  }));

for (const transports of [["websocket"], ["polling"], undefined]) {
  const name = transports ? transports[0] : "default";
  test(`${name}: reconnects after the server drops the connection; buffered emits are delivered, volatile ones dropped`, () =>
    withPage(async (page) => {
      const r = await page.evaluate(async (transports) => {
        let calls = 0;
        const socket = io({
          transports,
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
          auth: (cb) => cb({ call: ++calls }),
        });
        const events = [];
        socket.io.on("reconnect_attempt", (n) => events.push("reconnect_attempt " + n));
        socket.io.on("reconnect", (n) => events.push("reconnect " + n));
        const echoes = [];
        socket.on("echo", (v) => echoes.push(v));
        const [first] = await next(socket, "welcome");
        socket.emit("kill-transport");
        const [reason] = await next(socket, "disconnect");
        events.push("disconnect " + reason);
        socket.volatile.emit("echo", "volatile while disconnected");
        socket.emit("echo", "buffered");
        const [second] = await next(socket, "welcome");
        await within(new Promise((resolve) => {
          socket.on("echo", (v) => v === "after" && resolve());
          socket.emit("echo", "after");
        }), "echo after");
        return { first, second, events, echoes, connected: socket.connected };
      }, transports);
      assert.deepEqual(r.events, ["disconnect transport close", "reconnect_attempt 1", "reconnect 1"]);
      assert.deepEqual(r.echoes, ["buffered", "after"]);
      assert.notEqual(r.first.id, r.second.id);
      assert.deepEqual([r.first.auth, r.second.auth], [{ call: 1 }, { call: 2 }], "auth function called again");
      assert.equal(r.connected, true);
    }));
}

for (const transports of [["websocket"], ["polling"]]) {
  test(`${transports[0]}: connection state recovery: after the transport is killed, the same socket and the missed events, once`, () =>
    withPage(async (page) => {
      const r = await page.evaluate(async (transports) => {
        const opts = { path: "/csr/", reconnectionDelay: 300, reconnectionDelayMax: 300, randomizationFactor: 0 };
        const socket = io({ ...opts, transports });
        const other = io({ ...opts, transports: ["websocket"], forceNew: true });
        const [[first]] = await Promise.all([next(socket, "csr-welcome"), next(other, "csr-welcome")]);
        const news = [];
        socket.on("news", (n, offset) => news.push([n, typeof offset]));
        const got0 = next(socket, "news");
        await other.emitWithAck("to-room", "csr-room", "news", 0);
        await got0;
        socket.emit("kill-transport");
        const [reason] = await next(socket, "disconnect");
        const back = next(socket, "csr-welcome");
        await other.emitWithAck("to-room", "csr-room", "news", 1);
        await other.emitWithAck("to-room", first.id, "news", 2);
        const [second] = await back;
        other.close();
        return { first, second, reason, recovered: socket.recovered, id: socket.id, news };
      }, transports);
      assert.equal(r.reason, "transport close");
      assert.deepEqual(r.first.recovered, false);
      assert.deepEqual(r.second, { id: r.first.id, recovered: true });
      assert.equal(r.recovered, true);
      assert.equal(r.id, r.first.id);
      assert.deepEqual(r.news, [[0, "string"], [1, "string"], [2, "string"]]);
    }));
}

test("reconnect_attempt, reconnect_error and reconnect_failed, in the official client's order", async () => {
  // A port where nothing listens.
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const scenario = async (url) => {
    const socket = io(url, { transports: ["websocket"], reconnectionAttempts: 2, reconnectionDelay: 10, reconnectionDelayMax: 10 });
    const seen = [];
    socket.on("connect_error", (e) => seen.push("connect_error " + e.message));
    for (const ev of ["reconnect_attempt", "reconnect_error", "reconnect_failed"]) {
      socket.io.on(ev, (x) => seen.push(ev + (typeof x === "number" ? " " + x : x instanceof Error ? " " + x.message : "")));
    }
    // Done at reconnect_failed and the second reconnect_error, in whichever order they come.
    await within(new Promise((resolve) => {
      const done = () => seen.includes("reconnect_failed") && seen.filter((s) => s.startsWith("reconnect_error")).length === 2 && resolve();
      socket.io.on("reconnect_failed", done).on("reconnect_error", done);
    }), "reconnect_failed");
    return seen;
  };
  const url = `http://127.0.0.1:${port}`;
  const ours = await withPage((page) => page.evaluate(`(${scenario})(${JSON.stringify(url)})`));
  const official = await withPage((page) => page.evaluate(`(${scenario})(${JSON.stringify(url)})`), "/__client_test/official.html");
  assert.deepEqual(ours, official);
  assert.deepEqual(ours, [
    "connect_error websocket error",
    "reconnect_attempt 1",
    "connect_error websocket error",
    "reconnect_error websocket error",
    "reconnect_attempt 2",
    "connect_error websocket error",
    "reconnect_failed",
    "reconnect_error websocket error",
  ]);
});

test("ping timeout: no ping within pingInterval + pingTimeout closes the connection, then it reconnects", { skip: needsNode }, () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 50 });
      await next(socket, "connect");
      const firstId = socket.id;
      await socket.emitWithAck("stop-pings");
      const started = Date.now();
      // Traffic does not count as a heartbeat: only pings do.
      const chatter = setInterval(() => socket.emit("echo", "still talking"), 100);
      const [reason] = await next(socket, "disconnect", 5000);
      clearInterval(chatter);
      const after = Date.now() - started;
      await next(socket, "connect");
      return { reason, after, reconnected: socket.id !== firstId };
    });
    assert.equal(r.reason, "ping timeout");
    // The fixture pings every 1000 ms with a 1000 ms timeout: the deadline is 2000 ms after the last ping.
    assert.ok(r.after > 900 && r.after < 2600, `ping timeout after ${r.after} ms`);
    assert.equal(r.reconnected, true);
  }));

test("retries: an emit is sent again until acknowledged, then fails after retries + 1 tries", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["websocket"], retries: 2, ackTimeout: 100 });
      const third = await within(new Promise((resolve) => socket.emit("flaky", 3, (...a) => resolve(a))), "flaky 3");
      const other = io({ transports: ["websocket"], retries: 2, ackTimeout: 100, forceNew: true });
      const [err] = await within(new Promise((resolve) => other.emit("flaky", 4, (...a) => resolve(a))), "flaky 4");
      return { third, error: err && err.message };
    });
    assert.deepEqual(r.third, [null, 3], "acknowledged on the third try");
    assert.equal(r.error, "operation has timed out");
  }));

test("extraHeaders go with the polling requests", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["polling"], extraHeaders: { "X-Client-Test": "yes" } });
      await next(socket, "connect");
      return { id: socket.id, header: await socket.emitWithAck("header", "X-Client-Test") };
    });
    assert.equal(r.header, "yes");
    if (server) assert.equal(server.headers[r.id], "yes");
  }));

test("onAny sees every incoming event until offAny", () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["websocket"] });
      const any = [];
      const listener = (...args) => any.push(args);
      socket.onAny(listener);
      await next(socket, "welcome");
      socket.emit("echo", 1, "x");
      await next(socket, "echo");
      const listed = socket.listenersAny().length;
      socket.offAny(listener);
      socket.emit("echo", 2);
      await next(socket, "echo");
      return { any: any.map((a) => a[0] + ":" + JSON.stringify(a.slice(1))), listed };
    });
    assert.equal(r.listed, 1);
    assert.deepEqual(r.any.slice(1), ['echo:[1,"x"]']);
    assert.match(r.any[0], /^welcome:/);
  }));

test("polling: many large emits are split into POSTs under the server's maxPayload", { skip: HUB ? "maxHttpBufferSize of the Node fixture" : false }, () =>
  withPage(async (page) => {
    const r = await page.evaluate(async () => {
      const socket = io({ transports: ["polling"] });
      await next(socket, "connect");
      const got = [];
      const all = new Promise((resolve) => socket.on("echo", (s) => got.push(s.length) === 5 && resolve()));
      for (let i = 0; i < 5; i++) socket.emit("echo", String(i).repeat(30000));
      await within(all, "5 echoes");
      return { got, connected: socket.connected };
    });
    assert.deepEqual(r.got, [30000, 30000, 30000, 30000, 30000]);
    assert.equal(r.connected, true);
    // 150 kB in all, maxHttpBufferSize 100 kB: several POSTs, each under the limit.
    const posted = page.posts.filter((n) => n > 1000);
    assert.ok(posted.length >= 2, `POST bodies: ${page.posts}`);
    assert.ok(posted.every((n) => n < 100000), `POST bodies: ${page.posts}`);
    assert.ok(posted.reduce((a, b) => a + b) >= 150000, `POST bodies: ${page.posts}`);
  }));
