// Shared by the chat's browser test and screenshot script: build and run the chat example
// (_examples/chat), launch Debian's headless Chromium, and drive chat pages.
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const TIMEOUT = 10_000; // for anything the pages wait for
export const RECONNECT_TIMEOUT = 30_000; // reconnection backs off up to 5s between attempts

// SIZES are the screens the layout test and the screenshots use: a phone (touch, and a
// layout viewport that grows, zooming the page out, if the content is wider) and a desktop.
export const SIZES = [
  {
    name: "phone",
    narrow: true,
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  },
  { name: "desktop", narrow: false, options: { viewport: { width: 1280, height: 800 } } },
];

// build compiles the chat example into a temporary directory and returns the binary's path
// and a function removing it. CHAT_BUILD_FLAGS adds flags to go build (such as -race).
export function build() {
  const dir = mkdtempSync(join(tmpdir(), "hub-chat-"));
  const bin = join(dir, "chat");
  const flags = (process.env.CHAT_BUILD_FLAGS || "").split(/\s+/).filter(Boolean);
  execFileSync("go", ["build", ...flags, "-o", bin, "./_examples/chat"], { cwd: ROOT, stdio: "inherit" });
  return { bin, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// A ChatServer is a running chat binary.
export class ChatServer {
  // start runs bin on port (0: any free one) and resolves once it prints "listening <port>".
  static start(bin, port = 0) {
    return new Promise((resolve, reject) => {
      const proc = spawn(bin, ["-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
      const srv = new ChatServer(proc);
      let out = "";
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`chat server did not start within ${TIMEOUT} ms: ${srv.log}`));
      }, TIMEOUT);
      proc.stdout.setEncoding("utf8");
      proc.stdout.on("data", (chunk) => {
        out += chunk;
        const m = /^listening (\d+)$/m.exec(out);
        if (m && !srv.port) {
          clearTimeout(timer);
          srv.port = Number(m[1]);
          srv.url = `http://127.0.0.1:${srv.port}`;
          resolve(srv);
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!srv.port) reject(new Error(`chat server exited (${code ?? signal}) before listening: ${srv.log}`));
      });
    });
  }

  constructor(proc) {
    this.proc = proc;
    this.log = ""; // stderr, for failure messages
    this.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve(code ?? signal)));
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk) => (this.log += chunk));
  }

  // stop sends Ctrl-C's signal and resolves with the exit code once the process has exited
  // (after a graceful shutdown, 0), or rejects after TIMEOUT (the process is then killed).
  async stop(signal = "SIGINT") {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill(signal);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.proc.kill("SIGKILL");
        reject(new Error(`chat server did not exit within ${TIMEOUT} ms of ${signal}`));
      }, TIMEOUT);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

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
      // Several pages are open at once, all but one in the background: let them all run
      // timers and animation frames at full speed.
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
    ],
  });
}

// openChat opens the chat page of base over transport ("" for the page's default) in a new
// page of browser context ctx, waits until it is connected and welcomed, and sets nickname.
// Uncaught page errors are collected in page.errors.
export async function openChat(ctx, base, transport, nickname) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err));
  await page.goto(transport ? `${base}/?transports=${transport}` : `${base}/`);
  await page.waitForSelector("#status.connected", { timeout: TIMEOUT });
  // Attached, not visible: on a phone the online list is closed.
  await page.waitForSelector("#online li.me", { state: "attached", timeout: TIMEOUT });
  if (nickname) await setNickname(page, nickname);
  return page;
}

// setNickname types name in the nickname form and waits for the online list to show it as the
// page's own.
export async function setNickname(page, name) {
  await page.fill("#nickname", name);
  await page.press("#nickname", "Enter");
  await page.waitForFunction((name) => document.querySelector("#online li.me")?.textContent === name, name, {
    timeout: TIMEOUT,
  });
}

// click brings page to the front, as a user switching to its tab does (a page in a background
// tab renders no frames, so Playwright would wait for it to be "stable"), and clicks selector.
export async function click(page, selector) {
  await page.bringToFront();
  await page.click(selector, { timeout: TIMEOUT });
}

// send types text in the message box and sends it with Enter.
export async function send(page, text) {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

// waitForMessage waits for a chat message li whose text is text (and, if given, whose sender
// line is from), and returns its classes.
export async function waitForMessage(page, text, from, timeout = TIMEOUT) {
  const handle = await page.waitForFunction(
    ([text, from]) =>
      [...document.querySelectorAll("#messages li.msg")].find(
        (li) => li.lastChild.textContent === text && (from == null || li.querySelector(".from")?.textContent === from)
      )?.className,
    [text, from],
    { timeout }
  );
  return handle.jsonValue();
}

// messages returns the chat messages a page shows: {cls, from, text}.
export function messages(page) {
  return page.$$eval("#messages li.msg", (lis) =>
    lis.map((li) => ({ cls: li.className, from: li.querySelector(".from")?.textContent ?? null, text: li.lastChild.textContent }))
  );
}

// online returns the nicknames in a page's online list, in order.
export function online(page) {
  return page.$$eval("#online li", (lis) => lis.map((li) => li.textContent));
}

// waitForOnline waits until a page's online list is exactly names.
export async function waitForOnline(page, names, timeout = TIMEOUT) {
  await page.waitForFunction(
    (names) => JSON.stringify([...document.querySelectorAll("#online li")].map((li) => li.textContent)) === JSON.stringify(names),
    names,
    { timeout }
  );
}
