/**
 * Every example in examples/ runs under the real CLI, copied into a temp folder whose
 * node_modules links hmr-run as an installed package, and gets one real edit.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Fixture, Run, ROOT } from "./support/fixture.ts";

const runs: Run[] = [];
const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.stop()));
  for (const f of fixtures.splice(0)) f.cleanup();
});

/** Copies examples/<name> into a fresh fixture and starts `hmr-run main.ts` in it. */
function example(name: string, opts: { args?: string[]; env?: Record<string, string>; cwd?: string; links?: Record<string, string> } = {}) {
  const dir = join(ROOT, "examples", name);
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  const fx = new Fixture(files);
  fixtures.push(fx);
  for (const [link, target] of Object.entries(opts.links ?? {})) {
    mkdirSync(dirname(fx.path(link)), { recursive: true });
    symlinkSync(target, fx.path(link));
  }
  const run = new Run(fx, opts.args ?? ["main.ts"], { env: opts.env, cwd: opts.cwd });
  runs.push(run);
  return { fx, run };
}

/** A websocket client whose messages can be awaited one by one, with a deadline. */
class Socket {
  private ws: WebSocket;
  private inbox: string[] = [];
  private waiting: Array<() => void> = [];
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.onmessage = (e) => {
      this.inbox.push(String(e.data));
      for (const w of this.waiting.splice(0)) w();
    };
    this.opened = new Promise((ok, fail) => {
      this.ws.onopen = () => ok();
      this.ws.onerror = () => fail(new Error(`websocket ${url} failed to open`));
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `text` and returns the next message that arrives. */
  async ask(text: string, ms = 5000): Promise<string> {
    this.inbox = [];
    this.ws.send(text);
    const end = Date.now() + ms;
    while (!this.inbox.length) {
      if (Date.now() > end) throw new Error(`no websocket answer to "${text}" within ${ms} ms`);
      await Promise.race([new Promise<void>((r) => this.waiting.push(r)), Bun.sleep(50)]);
    }
    return this.inbox.shift()!;
  }

  close(): void {
    this.ws.close();
  }
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("examples run under hmr-run and reload on an edit", () => {
  test("elysia: routes, validation and a websocket; the slow database opens once", async () => {
    const { fx, run } = example("elysia", { env: { DB_WARMUP_MS: "300" } });
    await run.until("Hello from Elysia");
    const post = (title: string) =>
      fetch(run.url + "/todos", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title }) });
    expect((await post("keep me")).status).toBe(201);
    expect((await post("")).status).toBe(422);
    expect((await fetch(run.url + "/todos/abc")).status).toBe(422);
    expect((await fetch(run.url + "/")).headers.get("server-timing")).toMatch(/^app;dur=/);
    const ws = new Socket(run.url.replace("http", "ws") + "/chat");
    await ws.opened;
    expect(await ws.ask("hi")).toBe("you said: hi");

    const m = run.mark();
    fx.edit("routes/hello.ts", "Hello from Elysia", "Hello again");
    await run.until("Hello again");
    expect(await run.reloaded(m)).toMatch(/routes\/hello\.ts → 2 modules re-ran/);
    // The database module did not run again: same connection, same rows, one start-up.
    expect(await run.get("/todos")).toContain("keep me");
    // The app's line comes through stdout: answers and hmr-run's lines can be read before it.
    await run.output("database ready");
    expect(count(run.out, "database ready")).toBe(1);
    // The open websocket survived the reload and still answers.
    expect(ws.open).toBe(true);
    expect(await ws.ask("still there?")).toBe("you said: still there?");
    ws.close();
  });

  test("hono: a sub-app edit is served, a JSX page reloads, the import.meta.hot.data counter keeps counting", async () => {
    const { fx, run } = example("hono");
    await run.until("Hello from Hono (visit 1)");
    expect(await run.get("/api/quotes/1")).toContain("Grace Hopper");
    let m = run.mark();
    fx.edit("quotes.ts", "Grace Hopper", "Rear Admiral Grace Hopper");
    await run.until((b) => b.includes("Rear Admiral"), "/api/quotes/1");
    expect(await run.reloaded(m)).toMatch(/quotes\.ts → 4 modules re-ran/);
    // The JSX page, through the example's tsconfig.json (jsxImportSource: hono/jsx).
    expect(await run.get("/quotes")).toContain("<em>Rear Admiral Grace Hopper</em>");
    m = run.mark();
    fx.edit("pages.tsx", "<h1>Quotes</h1>", "<h1>Famous quotes</h1>");
    await run.until((b) => b.includes("<h1>Famous quotes</h1>"), "/quotes");
    expect(await run.reloaded(m)).toMatch(/pages\.tsx → 2 modules re-ran/);
    // main.ts ran again, visits.ts did not: the count carries on.
    expect(await run.get("/")).toBe("Hello from Hono (visit 2)");
    // Waits for the reload rather than polling "/": every poll would count a visit.
    m = run.mark();
    fx.edit("visits.ts", "return ++state.count;", "return (state.count += 10);");
    await run.reloaded(m);
    expect(await run.get("/")).toBe("Hello from Hono (visit 12)");
  });

  test("fs-router: a route file created, edited or deleted is served at once", async () => {
    const { fx, run } = example("fs-router");
    await run.until("About this app", "/about");
    fx.write("routes/contact.ts", `export default () => new Response("Write to us");\n`);
    await run.until("Write to us", "/contact");
    fx.edit("routes/contact.ts", "Write to us", "Call us");
    await run.until("Call us", "/contact");
    // The new handler answers before the reload's line is printed: that line is not the next one.
    await run.output(/routes\/contact\.ts → /);
    const m = run.mark();
    unlinkSync(fx.path("routes/about.ts"));
    await run.until((b) => b.startsWith("no route"), "/about");
    expect(await run.reloaded(m)).toMatch(/routes → 1 module re-ran/);
    expect(await run.get("/api/time")).toContain("now");
  });

  test("monorepo: run from apps/api, an edit of a workspace package is hot-reloaded", async () => {
    // The link `bun install` makes for "@acme/shared": "workspace:*".
    const { fx, run } = example("monorepo", { cwd: "apps/api", links: { "apps/api/node_modules/@acme/shared": "../../../../packages/shared" } });
    await run.until("Hello, Ada, from @acme/shared (request 1)", "/?name=Ada");
    // The banner follows the app's first answer: wait for it.
    await run.output(/watching \., \S*packages\/shared/);
    const m = run.mark();
    fx.edit("packages/shared/index.ts", "Hello, ", "Hi, ");
    expect(await run.reloaded(m)).toMatch(/packages\/shared\/index\.ts → 2 modules re-ran/);
    // counter.ts did not run again: the count goes on.
    expect(await run.get("/?name=Ada")).toBe("Hi, Ada, from @acme/shared (request 2)");
  });

  test("bun-serve: native routes are swapped in and stored data stays", async () => {
    const { fx, run } = example("bun-serve");
    await run.until("Hello from Bun.serve");
    const created = await fetch(run.url + "/api/users", { method: "POST", body: JSON.stringify({ name: "Grace" }) });
    expect(created.status).toBe(201);
    expect(await run.get("/api/users/2")).toBe(`{"id":2,"name":"Grace"}`);
    fx.edit("api/users.ts", `{ error: "no such user" }`, `{ error: "user not found" }`);
    await run.until(`{"error":"user not found"}`, "/api/users/9");
    expect(await run.get("/api/users/2")).toBe(`{"id":2,"name":"Grace"}`);
    expect(await run.get("/health")).toBe("ok");
  });

  test("listen: an app calling .listen() itself keeps one server across reloads", async () => {
    const { fx, run } = example("listen");
    await run.until("Hello from an app that listens by itself");
    const pid = await run.get("/pid");
    fx.edit("routes.ts", "Hello from an app that listens by itself", "Edited while listening");
    await run.until("Edited while listening");
    expect(await run.get("/pid")).toBe(pid);
    // The new code answers before its stdout line is read: wait for the second one.
    await run.output(/(listening on[^]*){2}/);
    expect(run.out).not.toContain("EADDRINUSE");
    expect(count(run.out, "listening on")).toBe(2);
  });

  test("reactive: signals keep their values, an edit stops at the state module, effects do not pile up", async () => {
    const { fx, run } = example("reactive");
    await run.until("Welcome to the reactive example: 1 visit");
    await run.until("Welcome to the reactive example: 3 visits");
    // The effect's line for the third visit may still be on its way: wait for it before marking.
    await run.output("[report] Welcome to the reactive example: 3 visits");
    const m = run.mark();
    fx.edit("state.ts", "Welcome to the reactive example", "Hello from signals");
    expect(await run.reloaded(m)).toMatch(/state\.ts → 1 module re-ran in [\d.]+ ms, stopped at state\.ts/);
    // The banner took its new initial value, the count stayed, and the effect printed once.
    await run.output("[report] Hello from signals: 3 visits", m);
    expect(count(run.out.slice(m), "[report]")).toBe(1);
    expect(await run.get()).toBe("Hello from signals: 4 visits");
    await run.output("[report] Hello from signals: 4 visits", m);

    const m2 = run.mark();
    fx.edit("report.ts", "console.log(`[report]", "console.log(`[stats]");
    await run.output("[stats] Hello from signals: 4 visits", m2);
    expect(await run.get()).toBe("Hello from signals: 5 visits");
    await run.output("[stats] Hello from signals: 5 visits", m2);
    // The old effect was disposed before report.ts ran again: no line in the old format.
    expect(run.out.slice(m2)).not.toContain("[report]");
  });

  test("script: the worker picks up the new handler, keeps its counter and stops the old timer", async () => {
    const { fx, run } = example("script", { env: { TICK_MS: "50" } });
    const before = await run.output(/job (\d+): handled by v1/);
    const lastV1 = Math.max(...[...before.matchAll(/job (\d+): handled by v1/g)].map((x) => Number(x[1])));
    const m = run.mark();
    fx.edit("handler.ts", "handled by v1", "handled by v2");
    await run.output(/job \d+: handled by v2/, m);
    const after = run.mark();
    // Three more ticks, all from the new code: the old timer was cleared by onDispose.
    await run.output(/(job \d+: handled by v2[^]*){3}/, after);
    const later = run.out.slice(after);
    expect(later).not.toContain("v1");
    const firstV2 = Number(/job (\d+): handled by v2/.exec(run.out.slice(m))![1]);
    expect(firstV2, run.out).toBeGreaterThan(lastV1);
  });
});
