// The chat page's layout in headless Chromium, on a phone (390×844, touch) and on a desktop
// (1280×800): nothing overflows the viewport, the forms fit and take clicks, long messages
// wrap, the online list is a panel behind a button on the phone and always shown on the
// desktop, two users chat, the favicon is served, and no request fails.
//
//	node --test js/chat/layout.test.mjs        (go test ./_examples/chat runs it too)
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TIMEOUT, SIZES, build, ChatServer, launch, openChat, setNickname, waitForMessage, online } from "./harness.mjs";

let bin, removeBin, browser;

before(async () => {
  ({ bin, remove: removeBin } = build());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  removeBin?.();
});

for (const size of SIZES) {
  const { width, height } = size.options.viewport;
  describe(`the chat page on a ${size.name} (${width}×${height})`, () => {
    let server, ctx, watched, alice, bob;

    // press taps selector on a touch screen and clicks it elsewhere, with the page in front
    // (a background page renders no frames, and Playwright waits for the element to be stable).
    const press = async (page, selector) => {
      await page.bringToFront();
      await (size.options.hasTouch ? page.tap(selector, { timeout: TIMEOUT }) : page.click(selector, { timeout: TIMEOUT }));
    };

    before(async () => {
      server = await ChatServer.start(bin);
      ctx = await browser.newContext(size.options);
      watched = watch(ctx);
      alice = await openChat(ctx, server.url, "", "alice");
      bob = await openChat(ctx, server.url, "", "bob");
      for (const p of [alice, bob]) {
        await p.waitForFunction(() => document.querySelectorAll("#online li").length === 2, null, { timeout: TIMEOUT });
      }
    });

    after(async () => {
      await ctx?.close();
      if (server) assert.equal(await server.stop(), 0, `chat server exit code; log:\n${server.log}`);
    });

    test("nothing overflows the viewport, and every control is inside it and takes clicks", async () => {
      for (const p of [alice, bob]) {
        await p.bringToFront();
        await assertFits(p, width, height);
        for (const selector of ["header h1", "#status", "#nickname", "#nickname-form button", "#input", "#form > button"]) {
          await assertReachable(p, selector);
        }
        if (size.narrow) await assertReachable(p, "#online-toggle");
        else await assertReachable(p, "#online-panel");
      }
    });

    test("two users chat, with the Send button", async () => {
      await press(alice, "#input");
      await alice.keyboard.type("Hello from alice");
      await press(alice, "#form > button");
      assert.equal(await waitForMessage(bob, "Hello from alice", "alice"), "msg");
      assert.equal(await waitForMessage(alice, "Hello from alice", "alice"), "msg mine");
      assert.equal(await alice.inputValue("#input"), "", "alice's message box after sending");

      await press(bob, "#input");
      await bob.keyboard.type("Hi alice");
      await press(bob, "#form > button");
      await waitForMessage(alice, "Hi alice", "bob");
      for (const p of [alice, bob]) await assertFits(p, width, height);
    });

    test("a long unbroken message and a long URL wrap inside the page", async () => {
      const word = "x".repeat(600);
      const url = "https://example.com/" + "path/".repeat(80) + "?q=" + "y".repeat(100);
      for (const text of [word, url]) {
        await bob.fill("#input", text);
        await bob.press("#input", "Enter");
        await waitForMessage(alice, text, "bob");
        await waitForMessage(bob, text, "bob");
      }
      for (const p of [alice, bob]) {
        await p.bringToFront();
        await assertFits(p, width, height);
        const overflows = await p.$$eval("#messages li.msg", (lis) => {
          const box = document.getElementById("messages").getBoundingClientRect();
          return lis
            .filter((li) => {
              const r = li.getBoundingClientRect();
              return li.scrollWidth > li.clientWidth || r.left < box.left || r.right > box.right;
            })
            .map((li) => li.lastChild.textContent.slice(0, 40));
        });
        assert.deepEqual(overflows, [], "messages wider than the message list");
        const list = await p.$eval("#messages", (ul) => ({ scroll: ul.scrollWidth, client: ul.clientWidth }));
        assert.ok(list.scroll <= list.client, `#messages scrollWidth ${list.scroll} > clientWidth ${list.client}`);
        // The message box is still there to type in.
        await assertReachable(p, "#input");
        await assertReachable(p, "#form > button");
      }
    });

    if (size.narrow) {
      test("the online list opens and closes behind its button, by touch and by keyboard", async () => {
        const p = alice;
        await p.bringToFront();
        const toggle = "#online-toggle";
        assert.equal(await p.getAttribute(toggle, "aria-expanded"), "false");
        assert.equal(await p.getAttribute(toggle, "aria-controls"), "online-panel");
        assert.equal(await p.evaluate(() => document.getElementById("online-toggle").tagName), "BUTTON");
        assert.equal(await p.textContent("#online-toggle-count"), "2");
        assert.equal(await p.isVisible("#online-panel"), false, "online list shown before the button is pressed");

        // Touch: open, see who is online, close.
        await press(p, toggle);
        await p.waitForSelector("#online-panel", { state: "visible", timeout: TIMEOUT });
        assert.equal(await p.getAttribute(toggle, "aria-expanded"), "true");
        assert.deepEqual(await online(p), ["alice", "bob"]);
        await assertReachable(p, "#online button:text-is('bob')");
        await assertFits(p, width, height);
        await press(p, toggle);
        await p.waitForSelector("#online-panel", { state: "hidden", timeout: TIMEOUT });
        assert.equal(await p.getAttribute(toggle, "aria-expanded"), "false");

        // Keyboard: Enter and Space toggle it, Escape closes it and leaves the focus on the button.
        await p.focus(toggle);
        await p.keyboard.press("Enter");
        await p.waitForSelector("#online-panel", { state: "visible", timeout: TIMEOUT });
        await p.keyboard.press("Space");
        await p.waitForSelector("#online-panel", { state: "hidden", timeout: TIMEOUT });
        await p.keyboard.press("Enter");
        await p.waitForSelector("#online-panel", { state: "visible", timeout: TIMEOUT });
        await p.keyboard.press("Escape");
        await p.waitForSelector("#online-panel", { state: "hidden", timeout: TIMEOUT });
        assert.equal(await p.getAttribute(toggle, "aria-expanded"), "false");
        assert.equal(await p.evaluate(() => document.activeElement?.id), "online-toggle", "focus after Escape");

        // Someone in the list is a button too: Enter on bob picks him for a private message,
        // closes the list and puts the focus in the message box.
        await p.keyboard.press("Enter");
        await p.waitForSelector("#online-panel", { state: "visible", timeout: TIMEOUT });
        await p.focus("#online button:text-is('bob')");
        await p.keyboard.press("Enter");
        await p.waitForSelector("#online-panel", { state: "hidden", timeout: TIMEOUT });
        assert.equal(await p.textContent("#to-name"), "bob");
        assert.equal(await p.evaluate(() => document.activeElement?.id), "input", "focus after picking bob");
        await assertFits(p, width, height);
        await assertReachable(p, "#input");
        await assertReachable(p, "#form > button");
        await assertReachable(p, "#to-clear");
        await press(p, "#to-clear");
        await p.waitForSelector("#to", { state: "hidden", timeout: TIMEOUT });

        // A tap on the messages closes it as well.
        await press(p, toggle);
        await p.waitForSelector("#online-panel", { state: "visible", timeout: TIMEOUT });
        await p.tap("#messages", { position: { x: width - 20, y: 20 }, timeout: TIMEOUT });
        await p.waitForSelector("#online-panel", { state: "hidden", timeout: TIMEOUT });
      });
    } else {
      test("the online list is always shown, without a button", async () => {
        const p = alice;
        await p.bringToFront();
        assert.equal(await p.isVisible("#online-toggle"), false, "online button shown on a desktop");
        assert.equal(await p.isVisible("#online-panel"), true);
        assert.deepEqual(await online(p), ["alice", "bob"]);
        await press(p, "#online button:text-is('bob')");
        assert.equal(await p.textContent("#to-name"), "bob");
        assert.equal(await p.isVisible("#online-panel"), true, "online list after picking bob");
        await press(p, "#to-clear");
        await p.waitForSelector("#to", { state: "hidden", timeout: TIMEOUT });
        await assertFits(p, width, height);
      });
    }

    test("the longest nickname fits, in the header, the online list and as a private message's target", async () => {
      const long = "bob_has_the_longest_name"; // chatapp.MaxNickname runes
      assert.equal(long.length, 24);
      await setNickname(bob, long);
      await alice.waitForFunction((long) => [...document.querySelectorAll("#online li")].some((li) => li.textContent === long), long, {
        timeout: TIMEOUT,
      });
      await bob.bringToFront();
      await assertFits(bob, width, height);
      await assertReachable(bob, "#nickname");
      await assertReachable(bob, "#nickname-form button");

      if (size.narrow) await press(alice, "#online-toggle");
      await assertReachable(alice, `#online button:text-is('${long}')`);
      await assertFits(alice, width, height);
      await press(alice, `#online button:text-is('${long}')`);
      assert.equal(await alice.textContent("#to-name"), long);
      await assertFits(alice, width, height);
      for (const selector of ["#to-clear", "#input", "#form > button"]) await assertReachable(alice, selector);
      await press(alice, "#to-clear");
      await alice.waitForSelector("#to", { state: "hidden", timeout: TIMEOUT });
      await setNickname(bob, "bob");
    });

    if (!size.narrow) {
      test("nothing scrolls sideways at other widths either, on both sides of the breakpoint", async () => {
        const p = alice;
        await p.bringToFront();
        try {
          for (const w of [320, 360, 414, 600, 639, 640, 641, 700, 768, 1024]) {
            await p.setViewportSize({ width: w, height: 700 });
            await assertFits(p, w, 700);
            const narrow = w <= 640; // 40rem
            assert.equal(await p.isVisible("#online-toggle"), narrow, `${w} px: online button shown`);
            assert.equal(await p.isVisible("#online-panel"), !narrow, `${w} px: online list shown`);
            for (const selector of ["#nickname", "#nickname-form button", "#input", "#form > button"]) {
              await assertReachable(p, selector);
            }
          }
        } finally {
          await p.setViewportSize(size.options.viewport);
        }
      });
    }

    test("the favicon is served; no request failed, no error in the console", async () => {
      const href = await alice.$eval("link[rel=icon]", (link) => link.href);
      assert.equal(href, `${server.url}/favicon.svg`);
      // The pages asked for it (headless Chromium does too) and got it.
      const fetched = await within(watched.favicon, TIMEOUT, "the pages' request for /favicon.svg");
      assert.equal(fetched.status(), 200, "the pages' GET /favicon.svg");
      for (const path of ["/favicon.svg", "/favicon.ico"]) {
        const res = await ctx.request.get(server.url + path);
        assert.equal(res.status(), 200, `GET ${path}`);
        assert.equal(res.headers()["content-type"], "image/svg+xml", `GET ${path}: Content-Type`);
        assert.match(await res.text(), /^<svg /, `GET ${path}: body`);
      }
      assert.deepEqual(watched.problems, [], "failed requests and console errors");
      for (const p of [alice, bob]) assert.deepEqual(p.errors, [], "uncaught errors in the page");
    });
  });
}

test("dark colours when the system asks for them", async () => {
  const server = await ChatServer.start(bin);
  try {
    const colours = {};
    for (const colorScheme of ["light", "dark"]) {
      const ctx = await browser.newContext({ colorScheme });
      try {
        const page = await openChat(ctx, server.url, "", "");
        colours[colorScheme] = await page.evaluate(() => {
          // luminance is a CSS colour's lightness from 0 to 1; null if it is transparent.
          const luminance = (css) => {
            const [r, g, b, a = 1] = css.match(/[\d.]+/g).map(Number);
            return a === 0 ? null : (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
          };
          return ["body", "#messages", "#input", "#online-panel"].map((s) => {
            const style = getComputedStyle(document.querySelector(s));
            return { s, fg: luminance(style.color), bg: luminance(style.backgroundColor) };
          });
        });
      } finally {
        await ctx.close();
      }
    }
    for (const { s, fg, bg } of colours.light) assert.ok(bg === null || bg > fg, `light: ${s} has a background darker than its text`);
    for (const { s, fg, bg } of colours.dark) assert.ok(bg === null || bg < fg, `dark: ${s} has a background lighter than its text`);
    assert.ok(colours.dark[0].bg < 0.2, `dark: body background luminance ${colours.dark[0].bg}`);
  } finally {
    assert.equal(await server.stop(), 0, `chat server exit code; log:\n${server.log}`);
  }
});

// watch collects what goes wrong in ctx's pages: requests that fail or get an error status,
// and console errors (a 404 is one too: "Failed to load resource"); and it catches the
// response to the pages' request for their icon.
function watch(ctx) {
  const problems = [];
  // favicon resolves with the response to the first request for /favicon.svg.
  const favicon = new Promise((resolve) =>
    ctx.on("response", (res) => {
      if (new URL(res.url()).pathname === "/favicon.svg") resolve(res);
    })
  );
  ctx.on("requestfailed", (req) => problems.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  ctx.on("response", (res) => {
    if (res.status() >= 400) problems.push(`${res.request().method()} ${res.url()}: ${res.status()}`);
  });
  ctx.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  return { problems, favicon };
}

// within resolves as promise does, or rejects after ms: a bound on a wait, not a way to wait.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// assertFits checks that page's layout viewport is the device's (a phone widens it, and zooms
// the page out, when the content is wider) and that nothing scrolls sideways.
async function assertFits(page, width, height) {
  const m = await page.evaluate(() => ({
    innerWidth,
    innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
  }));
  assert.equal(m.innerWidth, width, "innerWidth");
  assert.ok(m.scrollWidth <= m.innerWidth, `documentElement.scrollWidth ${m.scrollWidth} > innerWidth ${m.innerWidth}`);
  assert.ok(m.bodyScrollWidth <= m.innerWidth, `body.scrollWidth ${m.bodyScrollWidth} > innerWidth ${m.innerWidth}`);
  // The page itself does not scroll: the messages do, inside it.
  assert.ok(m.scrollHeight <= m.innerHeight, `documentElement.scrollHeight ${m.scrollHeight} > innerHeight ${m.innerHeight}`);
  assert.equal(m.innerHeight, height, "innerHeight");
}

// assertReachable checks that the element selector names is visible, entirely inside the
// viewport, and the one a click at its centre lands on (nothing covers it).
async function assertReachable(page, selector) {
  const el = await page.waitForSelector(selector, { state: "visible", timeout: TIMEOUT });
  const r = await el.evaluate((el) => {
    const b = el.getBoundingClientRect();
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return {
      left: b.left,
      top: b.top,
      right: b.right,
      bottom: b.bottom,
      width: b.width,
      height: b.height,
      vw: innerWidth,
      vh: innerHeight,
      hit: hit === el || el.contains(hit),
      hitName: hit ? hit.tagName + (hit.id ? "#" + hit.id : "") : null,
    };
  });
  const box = `[${r.left}, ${r.top}, ${r.right}, ${r.bottom}] in ${r.vw}×${r.vh}`;
  assert.ok(r.width > 0 && r.height > 0, `${selector}: empty box ${box}`);
  assert.ok(r.left >= 0 && r.top >= 0 && r.right <= r.vw && r.bottom <= r.vh, `${selector}: ${box}, not inside the viewport`);
  assert.ok(r.hit, `${selector}: a click at its centre lands on ${r.hitName}`);
}
