// The chat example (_examples/chat) in headless Chromium: three users chat over each transport,
// and a page that knows only the Socket.IO tutorial chats with them.
//
//	node --test js/chat/        (go test ./_examples/chat runs it too)
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  TIMEOUT,
  RECONNECT_TIMEOUT,
  build,
  ChatServer,
  launch,
  openChat,
  click,
  send,
  waitForMessage,
  messages,
  online,
  waitForOnline,
} from "./harness.mjs";

let bin, removeBin, browser;

before(async () => {
  ({ bin, remove: removeBin } = build());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  removeBin?.();
});

for (const transport of ["websocket", "sse", "polling"]) {
  describe(`chat over ${transport}`, () => {
    let server, ctx, alice, bob, carol;

    before(async () => {
      server = await ChatServer.start(bin);
      ctx = await browser.newContext();
    });

    after(async () => {
      await ctx?.close();
      if (server) assert.equal(await server.stop(), 0, `chat server exit code; log:\n${server.log}`);
    });

    test("join, nicknames and the online list", async () => {
      alice = await openChat(ctx, server.url, transport, "alice");
      bob = await openChat(ctx, server.url, transport, "bob");
      carol = await openChat(ctx, server.url, transport, "carol");
      for (const page of [alice, bob, carol]) await waitForOnline(page, ["alice", "bob", "carol"]);
      for (const page of [alice, bob, carol]) {
        const transports = await page.evaluate(() => socket.io.engine.transport.name);
        assert.equal(transports, transport, "transport in use");
      }
      assert.equal(await alice.textContent("#online-count"), "3");
      assert.equal(await alice.textContent("#online li.me"), "alice");
      // alice saw carol join, then take her name.
      const notices = await alice.$$eval("#messages li.system", (lis) => lis.map((li) => li.textContent));
      const renamed = notices.findIndex((n) => /^Guest \d+ is now carol\.$/.test(n));
      const guest = notices[renamed]?.replace(/ is now carol\.$/, "");
      const joined = notices.indexOf(`${guest} joined.`);
      assert.ok(renamed >= 0 && joined >= 0 && joined < renamed, `alice's notices ${JSON.stringify(notices)}: want "Guest N joined.", then "Guest N is now carol."`);

      // A taken nickname (in any case) is refused, and the page keeps its name.
      await bob.fill("#nickname", "ALICE");
      await bob.press("#nickname", "Enter");
      await bob.waitForFunction(
        () => [...document.querySelectorAll("#messages li.error")].some((li) => li.textContent.includes("taken")),
        null,
        { timeout: TIMEOUT }
      );
      assert.equal(await bob.inputValue("#nickname"), "bob");
      assert.equal(await bob.textContent("#online li.me"), "bob");
    });

    test("a message appears in the other pages, and once in the sender's", async () => {
      await send(alice, "Hello from alice");
      // Shown at once, before the server has seen it.
      assert.deepEqual(await messages(alice), [{ cls: "msg mine", from: "alice", text: "Hello from alice" }]);
      assert.equal(await waitForMessage(bob, "Hello from alice", "alice"), "msg");
      assert.equal(await waitForMessage(carol, "Hello from alice", "alice"), "msg");
      // bob answers once he has alice's message: had hers been echoed back to her, it would
      // reach her before bob's answer.
      await send(bob, "Hi alice, bob here");
      await waitForMessage(alice, "Hi alice, bob here", "bob");
      await waitForMessage(carol, "Hi alice, bob here", "bob");
      assert.deepEqual(
        (await messages(alice)).map((m) => m.text),
        ["Hello from alice", "Hi alice, bob here"],
        "alice's messages: hers once, then bob's"
      );
    });

    test("typing indicator", async () => {
      await carol.focus("#input");
      // typing is volatile (a page busy receiving may miss one), and the page sends it at most
      // once a second while keys are pressed: keep typing until the others see it.
      for (let attempt = 1; ; attempt++) {
        await carol.keyboard.type("I am typ");
        try {
          await Promise.all(
            [alice, bob].map((p) =>
              p.waitForFunction(() => document.getElementById("typing").textContent === "carol is typing…", null, {
                timeout: 1500,
              })
            )
          );
          break;
        } catch (err) {
          if (attempt === 5) throw new Error(`"carol is typing…" not shown after ${attempt} attempts: ${err.message}`);
        }
      }
      assert.equal(await carol.textContent("#typing"), "", "carol sees herself typing");
      // Sending the message clears the indicator.
      const text = await carol.inputValue("#input");
      await carol.press("#input", "Enter");
      for (const p of [alice, bob]) {
        await waitForMessage(p, text, "carol");
        assert.equal(await p.textContent("#typing"), "", "typing indicator once carol's message is in");
      }
    });

    test("a private message reaches only its target", async () => {
      // alice picks bob in the online list.
      await click(alice, "#online button:text-is('bob')");
      assert.equal(await alice.textContent("#to-name"), "bob");
      await send(alice, "psst, bob");
      assert.equal(await waitForMessage(bob, "psst, bob", "alice → you (private)"), "msg private");
      assert.equal(await waitForMessage(alice, "psst, bob", "you → bob (private)"), "msg mine private");
      // bob answers with the /msg command, by nickname.
      await send(bob, "/msg Alice got it");
      assert.equal(await waitForMessage(alice, "got it", "bob → you (private)"), "msg private");
      // Back to everyone: had carol been sent either private message, it would reach her
      // before this one.
      await click(alice, "#to-clear");
      await send(alice, "public again");
      await waitForMessage(carol, "public again", "alice");
      await waitForMessage(bob, "public again", "alice");
      const carols = (await messages(carol)).map((m) => m.text);
      assert.ok(!carols.includes("psst, bob") && !carols.includes("got it"), `carol saw a private message: ${carols}`);
      assert.ok(!(await messages(alice)).some((m) => m.text === "public again" && !m.cls.includes("mine")));

      // A private message to nobody says so.
      await send(carol, "/msg dave hello?");
      await carol.waitForFunction(
        () => [...document.querySelectorAll("#messages li.error")].some((li) => li.textContent.includes("nobody called")),
        null,
        { timeout: TIMEOUT }
      );
    });

    test("the pages reconnect after the server restarts", async () => {
      const port = server.port;
      assert.equal(await server.stop(), 0, `chat server exit code after Ctrl-C; log:\n${server.log}`);
      for (const p of [alice, bob, carol]) await p.waitForSelector("#status.disconnected", { timeout: TIMEOUT });
      server = await ChatServer.start(bin, port);
      for (const p of [alice, bob, carol]) {
        await p.waitForSelector("#status.connected", { timeout: RECONNECT_TIMEOUT });
        // Back under their names: the page gives it in its auth payload.
        await waitForOnline(p, ["alice", "bob", "carol"], RECONNECT_TIMEOUT);
      }
      await send(carol, "back again");
      await waitForMessage(alice, "back again", "carol");
      await waitForMessage(bob, "back again", "carol");
      await send(alice, "welcome back");
      await waitForMessage(carol, "welcome back", "alice");
      for (const p of [alice, bob, carol]) {
        assert.deepEqual(p.errors, [], "uncaught errors in the page");
        assert.equal(await p.evaluate(() => socket.io.engine.transport.name), transport, "transport after reconnecting");
      }
    });

    test("a page that knows only the tutorial", async () => {
      const tutorial = await openTutorial(ctx, server.url);
      const other = await openTutorial(ctx, server.url);
      // Its messages reach the chat pages (from a guest) and the other tutorial page.
      await tutorial.fill("#input", "hello from the tutorial");
      await tutorial.press("#input", "Enter");
      const guest = await alice.waitForFunction(
        () =>
          [...document.querySelectorAll("#messages li.msg")]
            .find((li) => li.lastChild.textContent === "hello from the tutorial")
            ?.querySelector(".from")?.textContent,
        null,
        { timeout: TIMEOUT }
      );
      const guestName = await guest.jsonValue();
      assert.match(guestName, /^Guest \d+$/);
      await other.waitForFunction(() => tutorialMessages().includes("hello from the tutorial"), null, { timeout: TIMEOUT });
      // The chat pages' messages reach it as plain strings.
      await send(bob, "hello, tutorial");
      await tutorial.waitForFunction(() => tutorialMessages().includes("hello, tutorial"), null, { timeout: TIMEOUT });
      // Both tutorial pages are online as guests.
      await alice.waitForFunction(() => document.querySelectorAll("#online li").length === 5, null, { timeout: TIMEOUT });
      const names = await online(alice);
      assert.ok(names.includes(guestName), `online ${names}: want ${guestName}`);
      assert.equal(names.filter((n) => /^Guest \d+$/.test(n)).length, 2, `online ${names}: want two guests`);
      for (const p of [tutorial, other]) assert.deepEqual(p.errors, [], "uncaught errors in the tutorial page");
      await Promise.all([tutorial.close(), other.close()]);
      await waitForOnline(alice, ["alice", "bob", "carol"]);
    });
  });
}

// The page of the Socket.IO tutorial ("Get started: Chat application"), with the default
// io() options: it emits "chat message" with a string and shows every "chat message" it gets.
const TUTORIAL_PAGE = `<!DOCTYPE html>
<html>
  <head><meta charset="utf-8"><title>Socket.IO chat</title></head>
  <body>
    <ul id="messages"></ul>
    <form id="form" action=""><input id="input" autocomplete="off" /><button>Send</button></form>
    <script src="/socket.io/socket.io.js"></script>
    <script>
      const socket = io();
      const form = document.getElementById('form');
      const input = document.getElementById('input');
      const messages = document.getElementById('messages');
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (input.value) {
          socket.emit('chat message', input.value);
          input.value = '';
        }
      });
      socket.on('chat message', (msg) => {
        const item = document.createElement('li');
        item.textContent = msg;
        messages.appendChild(item);
        window.scrollTo(0, document.body.scrollHeight);
      });
      window.tutorialMessages = () => [...messages.children].map((li) => li.textContent);
    </script>
  </body>
</html>`;

// openTutorial opens the tutorial page on base's origin (the page is served by request
// interception; the client script comes from the chat server) and waits until it is connected.
async function openTutorial(ctx, base) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err));
  await page.route(`${base}/tutorial.html`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: TUTORIAL_PAGE })
  );
  await page.goto(`${base}/tutorial.html`);
  await page.waitForFunction(() => socket.connected, null, { timeout: TIMEOUT });
  return page;
}
