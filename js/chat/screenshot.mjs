// Takes the chat example's screenshots in docs/: two users talking, seen by one of them, in the
// same headless Chromium as the browser test, on a desktop (chat-desktop.png, 1280×800) and on
// a phone (chat-phone.png, 390×844, at the phone's pixel ratio of 2).
//
//	node js/chat/screenshot.mjs [output directory]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SIZES, build, ChatServer, launch, openChat, click, send, waitForMessage } from "./harness.mjs";

const outdir = process.argv[2] || join(ROOT, "docs");
const [phone, desktop] = ["phone", "desktop"].map((name) => SIZES.find((s) => s.name === name).options);
const shots = [
  { file: "chat-desktop.png", options: { ...desktop, deviceScaleFactor: 1 } },
  { file: "chat-phone.png", options: phone },
];

mkdirSync(outdir, { recursive: true });
const { bin, remove } = build();
const browser = await launch();
try {
  for (const shot of shots) {
    // A server of its own for each shot, so that alice and bob are the only ones online.
    const server = await ChatServer.start(bin);
    const ctx = await browser.newContext(shot.options);
    try {
      const alice = await converse(ctx, server.url);
      const output = join(outdir, shot.file);
      await alice.screenshot({ path: output });
      console.log("wrote", output);
    } finally {
      await ctx.close();
      await server.stop();
    }
  }
} finally {
  await browser.close();
  remove();
}

// converse has alice and bob chat in two pages of ctx and returns alice's page, in front,
// with bob typing and alice about to send a message.
async function converse(ctx, url) {
  const alice = await openChat(ctx, url, "", "alice");
  const bob = await openChat(ctx, url, "", "bob");
  const say = async (from, to, text) => {
    await send(from, text);
    await waitForMessage(to, text);
  };
  await say(alice, bob, "Hi! Is this the Socket.IO chat?");
  await say(bob, alice, "It is, with a Go server behind it: hub.");
  await say(alice, bob, "Same page, same io() client API. Nice.");
  await say(bob, alice, "And the homework is done: nicknames, who is online, typing...");
  // On a phone, the online list is behind its button.
  if (await bob.isVisible("#online-toggle")) await click(bob, "#online-toggle");
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
  return alice;
}
