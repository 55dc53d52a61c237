/**
 * Servers other than the entry's export, through the real CLI: node:http frameworks from
 * npm (Express 4 and 5, Fastify, Koa), the `ws` package next to a default export.
 */
import { describe, expect, test } from "bun:test";
import { Fixture, freePort, runOnce, type Run } from "./support/fixture.ts";
import { connect } from "node:net";
import { counter, runCounts, scenarios } from "./support/scenario.ts";

const { start } = scenarios();

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
  expect(run.out).toContain("[success]");
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
    await run.output("serving");
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
    await run.output(`serving`);
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
});
