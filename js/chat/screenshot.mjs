// Takes docs/chat.png: the chat example with two users talking, seen by one of them, in the
// same headless Chromium as the browser test.
//
//	node js/chat/screenshot.mjs [output.png]
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { TIMEOUT, ROOT, build, ChatServer, launch, openChat, click, send, waitForMessage } from "./harness.mjs";

const output = process.argv[2] || join(ROOT, "docs", "chat.png");
const { bin, remove } = build();
const server = await ChatServer.start(bin);
const browser = await launch();
try {
  const ctx = await browser.newContext({ viewport: { width: 960, height: 600 }, deviceScaleFactor: 1 });
  const alice = await openChat(ctx, server.url, "", "alice");
  const bob = await openChat(ctx, server.url, "", "bob");

  const say = async (from, to, text) => {
    await send(from, text);
    await waitForMessage(to, text);
  };
  await say(alice, bob, "Hi! Is this the Socket.IO chat?");
  await say(bob, alice, "It is, with a Go server behind it: hub.");
  await say(alice, bob, "Same page, same io() client API. Nice.");
  await say(bob, alice, "And the homework is done: nicknames, who is online, typing...");
  await click(bob, "#online button:text-is('alice')");
  await say(bob, alice, "...and private messages, like this one.");
  await click(bob, "#to-clear");

  // bob starts typing; alice sees it (typing is volatile: keep typing until she does).
  await bob.focus("#input");
  for (const chunk of ["Try it: go ", "run ./_ex", "amples/chat"]) {
    await bob.keyboard.type(chunk);
    const shown = await alice
      .waitForFunction(() => document.getElementById("typing").textContent === "bob is typing…", null, { timeout: 1500 })
      .then(() => true, () => false);
    if (shown) break;
  }
  await alice.bringToFront();
  await alice.focus("#input");
  await alice.keyboard.type("Opening a second tab");
  mkdirSync(dirname(output), { recursive: true });
  await alice.screenshot({ path: output });
  console.log("wrote", output);
} finally {
  await browser.close();
  await server.stop();
  remove();
}
