/**
 * Servers other than the entry's export, through the real CLI: node:http frameworks from
 * npm (Express 4 and 5, Fastify, Koa), the `ws` package next to a default export.
 */
import { describe, expect, test } from "bun:test";
import { Fixture, freePort, runOnce, type Run } from "./support/fixture.ts";
import { connect } from "node:net";
import { counter, runCounts, scenarios } from "./support/scenario.ts";

const { start } = scenarios();

/** Polls `read()` until its text contains `want`; fails with the last text read. */
async function untilContains(read: () => string, want: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  let last = "(nothing read)";
  while (Date.now() < end) {
    try {
      last = read();
      if (last.includes(want)) return;
    } catch (err) {
      last = `(error: ${(err as Error).message})`;
    }
    await Bun.sleep(15);
  }
  throw new Error(`waited ${ms} ms for ${JSON.stringify(want)}; last read:\n${last}`);
}

/**
 * A logger whose worker writes every message to requests.log. As pino's thread-stream,
 * a write after its worker exited throws "the worker has exited". `log.ts` makes the
 * worker; `container.ts` hands the logger out once, as a DI container does, so code from
 * before an edit of log.ts still writes to the worker that log.ts's first run made.
 */
const loggerApp = (makeSink: string, sinkFiles: Record<string, string>): Record<string, string> => ({
  ...sinkFiles,
  "log.ts": `${makeSink}
export const version = "v1";
export function log(msg: string) { sink.write(msg); }
`,
  "container.ts": `import { log } from "./log.ts";
const g = globalThis as any;
g.container ??= { logger: { info: log } };
export const container = g.container as { logger: { info(msg: string): void } };
`,
  "main.ts": `import { container } from "./container.ts";
import { version } from "./log.ts";
export default {
  fetch(req: Request) {
    container.logger.info(new URL(req.url).searchParams.get("id") ?? "poll");
    return new Response("ok " + version);
  },
};
`,
});

const loggers = {
  "a node:worker_threads Worker": loggerApp(
    `import { Worker } from "node:worker_threads";
const worker = new Worker(new URL("./sink.ts", import.meta.url));
let exited = false;
worker.on("exit", () => (exited = true));
const sink = { write(m: string) { if (exited) throw new Error("the worker has exited"); worker.postMessage(m); } };`,
    {
      "sink.ts": `import { parentPort } from "node:worker_threads";
import { appendFileSync } from "node:fs";
parentPort!.on("message", (m) => appendFileSync("requests.log", "a " + m + "\\n"));
`,
    },
  ),
  "a web Worker": loggerApp(
    `const worker = new Worker(new URL("./sink.ts", import.meta.url));
let exited = false;
worker.addEventListener("close", () => (exited = true));
const sink = { write(m: string) { if (exited) throw new Error("the worker has exited"); worker.postMessage(m); } };`,
    {
      "sink.ts": `import { appendFileSync } from "node:fs";
self.onmessage = (e: MessageEvent) => appendFileSync("requests.log", "a " + e.data + "\\n");
`,
    },
  ),
  // As pino.transport(): the worker file is the package's, started on log.ts's behalf.
  "a package's worker (as pino's thread-stream)": loggerApp(
    `import { transport } from "tiny-transport";
const sink = transport("requests.log");`,
    {
      "node_modules/tiny-transport/package.json": `{ "name": "tiny-transport", "main": "index.js" }\n`,
      "node_modules/tiny-transport/index.js": `const { Worker } = require("node:worker_threads");
const { join } = require("node:path");
exports.transport = (file) => {
  const worker = new Worker(join(__dirname, "lib", "worker.js"), { workerData: { file } });
  let exited = false;
  worker.on("exit", () => (exited = true));
  worker.unref();
  return { write(m) { if (exited) throw new Error("the worker has exited"); worker.postMessage(m); } };
};
`,
      "node_modules/tiny-transport/lib/worker.js": `const { parentPort, workerData } = require("node:worker_threads");
const { appendFileSync } = require("node:fs");
parentPort.on("message", (m) => appendFileSync(workerData.file, "a " + m + "\\n"));
`,
    },
  ),
};

/** Polls `url` over keep-alive connections until `stop()`; counts failed requests. */
function keepAliveClients(url: string, n = 4) {
  let stop = false;
  let failures = 0;
  let ok = 0;
  const errors: string[] = [];
  const loop = async () => {
    while (!stop) {
      try {
        const r = await fetch(url, { keepalive: true });
        await r.text();
        if (r.status === 200) ok++;
        else (failures++, errors.push(`status ${r.status}`));
      } catch (err) {
        failures++;
        errors.push((err as Error).message);
      }
    }
  };
  const loops = Array.from({ length: n }, loop);
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      return { failures, ok, errors };
    },
  };
}

/** Edits `greet.ts` (a shared helper) and `main.ts` (the route) in turn while clients poll. */
async function editsWhilePolling(fx: { write(n: string, t: string): void; edit(n: string, a: string | RegExp, b: string): void }, run: Run) {
  const clients = keepAliveClients(run.url);
  for (let i = 1; i <= 4; i++) {
    fx.write("greet.ts", `export const greet = () => "hello ${i}";\n`);
    await run.until(`hello ${i}`);
  }
  fx.edit("main.ts", "greet()", `"route: " + greet()`);
  await run.until("route: hello 4");
  const { failures, ok, errors } = await clients.stop();
  expect(errors).toEqual([]);
  expect(failures).toBe(0);
  expect(ok).toBeGreaterThan(10);
  // The new code answers before its reload's line is read: wait for the last one.
  await run.output(/\[success\] .*main\.ts → /);
  expect(run.out).not.toMatch(/\[error\]|uncaught|bun\.Server/);
}

const express = (pkg: string) => ({
  "greet.ts": `export const greet = () => "hello 0";\n`,
  "main.ts": `import express from "${pkg}";
import { greet } from "./greet.ts";
const g = globalThis as any;
const app = express();
app.get("/", (_req: any, res: any) => { res.send(greet()); });
const server = app.listen(3000, () => { g.listened = (g.listened ?? 0) + 1; });
server.on("listening", () => { g.events = (g.events ?? 0) + 1; });
app.get("/info", (_req: any, res: any) => {
  res.json({ port: (server.address() as any).port, listening: server.listening, listened: g.listened, events: g.events });
});
`,
});

describe("node:http frameworks from npm", () => {
  for (const [name, pkg] of [["Express 5", "express"], ["Express 4", "express4"]] as const) {
    test(`${name}: route and helper edits take over the socket, keep-alive clients see no failure`, async () => {
      const { fx, run } = start(express(pkg));
      await run.until("hello 0");
      await editsWhilePolling(fx, run);
      // Every run of main.ts got its listen callback and 'listening' event; address() answers.
      const info = JSON.parse(await run.get("/info"));
      expect(info).toEqual({ port: run.port, listening: true, listened: 6, events: 6 });
    });
  }

  test("Fastify 5: await app.listen() in the entry (when import.meta.main, as apps check), edits served", async () => {
    const { fx, run } = start({
      "greet.ts": `export const greet = () => "hello 0";\n`,
      "main.ts": `import Fastify from "fastify";
import { greet } from "./greet.ts";
const app = Fastify();
app.get("/", async () => greet());
if (import.meta.main && import.meta.path === Bun.main) await app.listen({ port: 3000 });
`,
    });
    await run.until("hello 0");
    await editsWhilePolling(fx, run);
  });

  test("Koa 3: server.close() in a dispose hook frees the port for the next run", async () => {
    const { fx, run } = start({
      "greet.ts": `export const greet = () => "hello 0";\n`,
      "main.ts": `import Koa from "koa";
import { greet } from "./greet.ts";
const app = new Koa();
app.use((ctx) => { ctx.body = greet(); });
const server = app.listen(3000);
import.meta.hot?.dispose(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
`,
    });
    await run.until("hello 0");
    for (let i = 1; i <= 3; i++) {
      fx.write("greet.ts", `export const greet = () => "hello ${i}";\n`);
      await run.until(`hello ${i}`);
    }
    expect(run.out).not.toMatch(/\[error\]|in use/);
  });
});

describe("bare node:http", () => {
  test("a port in use at start: one line, exit 2, no stack trace", async () => {
    const port = freePort();
    const blocker = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("busy") });
    const fx = new Fixture({ "main.ts": `import http from "node:http";\nhttp.createServer((_q, r) => r.end("x")).listen(3000);\n` });
    try {
      const { code, out } = await runOnce(fx, ["main.ts", "--port", String(port), "--host", "127.0.0.1"]);
      expect(code).toBe(2);
      expect(out.trim().split("\n").at(-1)).toBe(`hmr-run: port ${port} is already in use (try --port ${port + 1})`);
      expect(out).not.toMatch(/script|ServeError|\n\s+at /);
    } finally {
      blocker.stop(true);
      fx.cleanup();
    }
  });

  test("a server that closes and listens again from a callback is taken over on the next run", async () => {
    const { fx, run } = start({
      "v.ts": `export const v = "a";\n`,
      "main.ts": `import http from "node:http";\nimport { v } from "./v.ts";\nconst s = http.createServer((_q, r) => r.end("v=" + v));\ns.listen(3000, () => s.close(() => s.listen(3000)));\n`,
    });
    await run.until("v=a");
    fx.write("v.ts", `export const v = "b";\n`);
    await run.until("v=b");
    fx.write("v.ts", `export const v = "c";\n`);
    await run.until("v=c");
    expect(run.out).not.toMatch(/\[error\]|in use/);
  });
});

describe("node:http apps as the entry's export", () => {
  test("export default of an Express app or a Koa app is served on --port and reloaded", async () => {
    const { fx, run } = start({
      "greet.ts": `export const greet = () => "hello 0";\n`,
      "main.ts": `import express from "express";\nimport { greet } from "./greet.ts";\nconst app = express();\napp.get("/", (_req, res) => { res.send(greet()); });\nexport default app;\n`,
    });
    await run.until("hello 0");
    fx.write("greet.ts", `export const greet = () => "hello 1";\n`);
    await run.until("hello 1");
    fx.write("main.ts", `import Koa from "koa";\nimport { greet } from "./greet.ts";\nconst app = new Koa();\napp.use((ctx) => { ctx.body = "koa " + greet(); });\nexport default app;\n`);
    await run.until("koa hello 1");
    expect(run.out).not.toMatch(/\[error\]|script/);
  });
});

describe("several servers in one app", () => {
  test("an entry that listens and exports the same app is served once, on --port", async () => {
    const { run } = start({
      "main.ts": `import express from "express";\nconst app = express();\napp.get("/", (_req, res) => { res.send("once"); });\napp.listen(3000);\nexport default app;\n`,
    });
    await run.until("once");
    await run.output(/: serving \S+\n/);
    expect(run.out.match(/: serving (.*)/)![1]).toBe(`http://127.0.0.1:${run.port}/`);
  });

  test("a ws side server keeps its port, the default export gets --port; a taken port fails the reload", async () => {
    const wsPort = freePort();
    const { fx, run } = start({
      "reply.ts": `export const reply = (m: string) => "a:" + m;\n`,
      "main.ts": `import { WebSocketServer } from "ws";
import { reply } from "./reply.ts";
const wss = new WebSocketServer({ port: ${wsPort} });
wss.on("connection", (ws) => ws.on("message", (m) => ws.send(reply(String(m)))));
export default { fetch: () => new Response(reply("http")) };
`,
    });
    await run.until("a:http");
    await run.output("Ctrl+C stops");
    expect(run.out).toContain(`:${run.port}/`);
    expect(run.out).toContain(`:${wsPort}/`);
    const ask = async (msg: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/`);
      const answer = new Promise<string>((resolve, reject) => {
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error("websocket failed"));
      });
      await new Promise((r) => (ws.onopen = r));
      ws.send(msg);
      const out = await answer;
      ws.close();
      return out;
    };
    expect(await ask("x")).toBe("a:x");
    fx.write("reply.ts", `export const reply = (m: string) => "b:" + m;\n`);
    await run.until("b:http");
    // The new code serves a moment before its line is printed: wait for it before marking.
    await run.output(/reply\.ts → .*re-ran/);
    expect(await ask("y")).toBe("b:y");

    // The side server asks for a port that is taken: the reload fails, the old code serves.
    const mark = run.mark();
    fx.edit("main.ts", `port: ${wsPort}`, `port: ${run.port}, host: "127.0.0.1"`);
    const line = await run.reloaded(mark);
    expect(line).toContain("[error]");
    expect(line).toContain(`port ${run.port} is already in use`);
    expect(line).not.toContain("[success]");
    expect(await ask("z")).toBe("b:z");
  });
});

describe("Bun.listen and workers", () => {
  test("Bun.listen: the listener stays, new connections get the new handlers", async () => {
    const tcpPort = freePort();
    const { fx, run } = start({
      "reply.ts": `export const reply = (s: string) => "a:" + s;\n`,
      "main.ts": `import { reply } from "./reply.ts";
Bun.listen({ hostname: "127.0.0.1", port: ${tcpPort}, socket: { data(s, d) { s.write(reply(d.toString())); } } });
`,
    });
    await run.output(`serving tcp://127.0.0.1:${tcpPort}`);
    const ask = (msg: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect({ host: "127.0.0.1", port: tcpPort }, () => sock.write(msg));
        sock.on("data", (d) => (resolve(d.toString()), sock.end()));
        sock.on("error", reject);
      });
    expect(await ask("x")).toBe("a:x");
    for (const p of ["b", "c"]) {
      const mark = run.mark();
      fx.write("reply.ts", `export const reply = (s: string) => "${p}:" + s;\n`);
      expect(await run.reloaded(mark)).toContain("[success]");
      expect(await ask("y")).toBe(`${p}:y`);
    }
  });

  test("an edit of a module only workers load restarts them; the main thread does not re-run", async () => {
    const { fx, run } = start({
      "calc.ts": `export const calc = (n: number) => n + 1;\n`,
      "worker.ts": `import { calc } from "./calc.ts";\nself.onmessage = (e: MessageEvent) => postMessage(calc(e.data));\n`,
      "nworker.ts": `import { parentPort } from "node:worker_threads";\nimport { calc } from "./calc.ts";\nparentPort!.on("message", (n) => parentPort!.postMessage(calc(n) * 100));\n`,
      "main.ts": `${counter("main")}import { Worker as NodeWorker } from "node:worker_threads";
const w = new Worker(new URL("./worker.ts", import.meta.url));
const nw = new NodeWorker(new URL("./nworker.ts", import.meta.url));
let exits = 0;
nw.on("exit", () => exits++);
// A once listener fires once, restarts or not.
let once = 0;
w.addEventListener("message", () => once++, { once: true });
const ask = (n: number) => new Promise((r) => { w.addEventListener("message", (e) => r(e.data), { once: true }); w.postMessage(n); });
const askNode = (n: number) => new Promise((r) => { nw.once("message", r); nw.postMessage(n); });
export default { fetch: async () => new Response(\`\${await ask(1)} \${await askNode(1)} runs=\${${runCounts}} exits=\${exits} once=\${once}\`) };
`,
    });
    await run.until(/^2 200 /);
    const mark = run.mark();
    fx.write("calc.ts", `export const calc = (n: number) => n + 10;\n`);
    await run.until(`11 1100 runs={"main":1} exits=0 once=1`);
    // A syntax error leaves the old workers running and says so.
    fx.write("calc.ts", `export const calc = (n: number) => n + ;\n`);
    expect(await run.reloaded(mark)).toMatch(/\[error\].*calc\.ts:1/);
    expect(await run.get()).toBe(`11 1100 runs={"main":1} exits=0 once=1`);
    fx.write("calc.ts", `export const calc = (n: number) => n + 5;\n`);
    await run.until(`6 600 runs={"main":1} exits=0 once=1`);
    expect(run.out).toContain("restarted in");
  });

  for (const [shape, files] of Object.entries(loggers)) {
    test(`${shape} of a module that re-runs is left running: code from before the edit still logs through it`, async () => {
      const { fx, run } = start(files);
      const logged = () => fx.read("requests.log");
      await run.until("ok v1");
      expect(await run.get("/?id=before")).toBe("ok v1");
      await untilContains(logged, "a before\n");
      for (const v of ["v2", "v3"]) {
        fx.edit("log.ts", /version = "v\d"/, `version = "${v}"`);
        await run.until(`ok ${v}`);
        // The container's logger is log.ts's first run: it writes to that run's worker.
        expect(await run.get(`/?id=after-${v}`)).toBe(`ok ${v}`);
        await untilContains(logged, `a after-${v}\n`);
      }
      if (files["sink.ts"]) {
        // The worker's own code changed: every thread of it restarts behind its object,
        // those left running for old code too.
        const mark = run.mark();
        fx.edit("sink.ts", `"a "`, `"b "`);
        await run.output("restarted in", mark);
        expect(await run.get("/?id=new-sink")).toBe("ok v3");
        await untilContains(logged, "b new-sink\n");
      }
      expect(run.out).not.toMatch(/worker has exited|uncaught|\[error\]/);
    });
  }
});

/** A websocket client that records what it receives and how it was closed; waits poll with a deadline. */
class WsClient {
  readonly messages: string[] = [];
  closed: { code: number; reason: string } | undefined;
  private ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.onmessage = (e) => void this.messages.push(String(e.data));
    this.ws.onclose = (e) => void (this.closed = { code: e.code, reason: e.reason });
  }

  /** Waits until `ok()` holds; fails saying `what` it waited for. */
  async until<T>(what: string, ok: () => T | undefined, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = ok();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}; got ${JSON.stringify(this.messages)}, closed: ${JSON.stringify(this.closed)}`);
      await Bun.sleep(10);
    }
  }

  /** The first message (the server's greeting). */
  greeting(): Promise<string> {
    return this.until("a greeting", () => this.messages[0]);
  }

  close(): void {
    this.ws.close();
  }
}

const closedLine = /closed (\d+) websocket connections? of the replaced server \(code 1012, service restart\)/g;

describe("websocket connections of a replaced node:http server", () => {
  test("ws on an http server: open clients get close 1012 and reconnect to the new code; a server that was not replaced keeps its clients", async () => {
    const sidePort = freePort();
    const { fx, run } = start({
      // Loaded once, after main.ts listened (the first server gets --port): an edit of main.ts
      // re-runs main.ts alone, so this server is never replaced.
      "side.ts": `import http from "node:http";
import { WebSocketServer } from "ws";
const side = http.createServer();
new WebSocketServer({ server: side }).on("connection", (ws) => ws.send("side"));
side.listen(${sidePort}, "127.0.0.1");
`,
      "main.ts": `import http from "node:http";
import { WebSocketServer } from "ws";
const version = "v1";
const server = http.createServer((_q, r) => r.end("http " + version));
const wss = new WebSocketServer({ server });
wss.on("connection", (ws) => ws.send("hello " + version));
server.listen(3000);
await import("./side.ts");
`,
    });
    await run.until("http v1");
    const wsUrl = run.url.replace("http", "ws") + "/";
    const a = new WsClient(wsUrl);
    const side = new WsClient(`ws://127.0.0.1:${sidePort}/`);
    expect(await a.greeting()).toBe("hello v1");
    expect(await side.greeting()).toBe("side");

    const mark = run.mark();
    fx.edit("main.ts", `"v1"`, `"v2"`);
    const closed = await a.until("close 1012", () => a.closed);
    expect(closed).toEqual({ code: 1012, reason: "hmr-run: reloaded" });
    await run.output(closedLine, mark);
    expect(run.out.slice(mark).match(closedLine)).toEqual(["closed 1 websocket connection of the replaced server (code 1012, service restart)"]);
    // A client reconnecting, as Socket.IO and reconnecting ws clients do, gets the new code.
    const b = new WsClient(wsUrl);
    expect(await b.greeting()).toBe("hello v2");

    // The next edit closes the one client of v2, not the already closed one again.
    const mark2 = run.mark();
    fx.edit("main.ts", `"v2"`, `"v3"`);
    expect(await b.until("close 1012", () => b.closed)).toEqual({ code: 1012, reason: "hmr-run: reloaded" });
    await run.output(closedLine, mark2);
    expect(run.out.slice(mark2).match(closedLine)).toEqual(["closed 1 websocket connection of the replaced server (code 1012, service restart)"]);
    expect(await new WsClient(wsUrl).greeting()).toBe("hello v3");
    // The side server's module never re-ran: its client is still open.
    expect(side.closed).toBeUndefined();
    side.close();
    expect(run.out).not.toMatch(/\[error\]|uncaught/);
  });

  test("a hand-written upgrade handler: its open websocket gets a raw 1012 close frame, a handshake it never answered is cut", async () => {
    const { fx, run } = start({
      "main.ts": `import http from "node:http";
import { createHash } from "node:crypto";
const version = "v1";
const server = http.createServer((_q, r) => r.end("http " + version));
// The handshake and one text frame, by hand: no websocket library holds this socket.
server.on("upgrade", (req, socket) => {
  if (req.url === "/hold") return; // Never answered: the client waits for its handshake.
  const accept = createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  const text = Buffer.from("hello " + version);
  socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
});
server.listen(3000);
`,
    });
    await run.until("http v1");
    const wsUrl = run.url.replace("http", "ws");
    const a = new WsClient(wsUrl + "/");
    expect(await a.greeting()).toBe("hello v1");
    const held = new WsClient(wsUrl + "/hold");

    const mark = run.mark();
    fx.edit("main.ts", `"v1"`, `"v2"`);
    expect(await a.until("close 1012", () => a.closed)).toEqual({ code: 1012, reason: "hmr-run: reloaded" });
    const out = await run.output("cut 1 websocket handshake the replaced server had not answered", mark);
    expect(out).toContain("closed 1 websocket connection of the replaced server (code 1012, service restart): clients reconnect to the new code; cut 1");
    // Cut before its handshake: the client sees a failed connection (1006) and may try again.
    expect((await held.until("the held client closed", () => held.closed)).code).toBe(1006);
    expect(await new WsClient(wsUrl + "/").greeting()).toBe("hello v2");
    expect(run.out.match(closedLine)?.length).toBe(1);
  });
});
