// Runs the interop suite against the reference Node server in one command:
//
//   node js/interop/run.mjs                 # start node-server.mjs, run the suite, stop it
//   node js/interop/run.mjs hub             # the same against the Go app (go run ./internal/interop/cmd/interop-server)
//   node js/interop/run.mjs [hub] -- <cmd>  # run <cmd> with SERVER_URL set instead of the suite
//
// Against a server that is already running, run the suite directly:
//
//   SERVER_URL=http://127.0.0.1:3000 node --test js/interop/

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sep = process.argv.indexOf("--");
const own = sep >= 0 ? process.argv.slice(2, sep) : process.argv.slice(2);
const command =
  sep >= 0 ? process.argv.slice(sep + 1) : [process.execPath, "--test", join(here, "suite.test.mjs")];
const which = own[0] ?? "node";
const servers = {
  node: [process.execPath, [join(here, "node-server.mjs"), "--port", "0"], {}],
  hub: ["go", ["run", "./internal/interop/cmd/interop-server", "--port", "0"], { cwd: join(here, "..", "..") }],
};
if (!servers[which] || own.length > 1) {
  console.error("usage: node js/interop/run.mjs [node|hub] [-- command ...]");
  process.exit(2);
}

// stdin stays a pipe: the server stops when it closes, so it can't outlive us.
const [bin, args, opts] = servers[which];
const server = spawn(bin, args, { ...opts, stdio: ["pipe", "pipe", "inherit"] });
server.on("exit", (code, signal) => {
  if (!done) {
    console.error(`run: the ${which} server exited early (code ${code}, signal ${signal})`);
    process.exit(1);
  }
});
let done = false;

const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`run: the ${which} server did not print 'listening <port>' within 60 s`)), 60000);
  const lines = createInterface({ input: server.stdout });
  lines.on("line", (line) => {
    const m = /^listening (\d+)$/.exec(line);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    } else {
      process.stdout.write(`${which} server: ${line}\n`);
    }
  });
}).catch((err) => {
  console.error(err.message);
  server.kill();
  process.exit(1);
});

const url = `http://127.0.0.1:${port}`;
console.error(`run: ${which} server listening at ${url}`);
const child = spawn(command[0], command.slice(1), {
  stdio: "inherit",
  env: { ...process.env, SERVER_URL: url },
});
const code = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
done = true;
server.stdin.end();
server.kill("SIGTERM");
process.exit(code);
