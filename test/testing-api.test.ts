// `hmr-run/testing` drives an app in this very process: start it on a free port, call
// it with fetch, edit its files, await the reload and check which modules ran again.
import { afterEach, describe, expect, test } from "bun:test";
import { startApp, type TestApp } from "hmr-run/testing";
import { Fixture } from "./support/fixture.ts";
import { expectUntouched } from "./support/untouched.ts";

const fixtures: Fixture[] = [];
let app: TestApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  for (const f of fixtures.splice(0)) f.cleanup();
  // A stopped app leaves the process as it found it.
  expectUntouched();
});

function fixture(files: Record<string, string>): Fixture {
  const fx = new Fixture(files);
  fixtures.push(fx);
  return fx;
}

const text = async (a: TestApp, path = "/") => (await a.fetch(path)).text();

// Each module counts its executions on globalThis, keyed by fixture folder.
const count = (name: string) => `((globalThis as any)[import.meta.dir + "${name}"] ??= []).push(1);\n`;
const runsOf = (fx: Fixture, name: string) => ((globalThis as any)[fx.dir + name] ?? []).length;

const app3 = {
  "stable.ts": count("stable") + `export const STABLE = "s";\n`,
  "text.ts": count("text") + `export const TEXT = "one";\n`,
  "main.ts":
    count("main") +
    `import { STABLE } from "./stable.ts";\nimport { TEXT } from "./text.ts";\n` +
    `export default { fetch: (req: Request) => new Response(TEXT + ":" + STABLE + ":" + new URL(req.url).pathname) };\n`,
};

describe("hmr-run/testing", () => {
  test("serves on a free port, reloads an edit and reports exactly what re-ran", async () => {
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"));
    expect(app.url.hostname).toBe("127.0.0.1");
    expect(Number(app.url.port)).toBeGreaterThan(0);
    expect(await text(app, "/x")).toBe("one:s:/x");

    const r = await app.edit("text.ts", `"one"`, `"two"`);
    expect(r.kind).toBe("ok");
    expect(r.executed).toEqual(["text.ts", "main.ts"]);
    expect(await text(app, "/y")).toBe("two:s:/y");
    expect([runsOf(fx, "stable"), runsOf(fx, "text"), runsOf(fx, "main")]).toEqual([1, 2, 2]);
  });

  test("a save that changes nothing runs nothing", async () => {
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"));
    const r = await app.write("text.ts", fx.read("text.ts").replace(`"one";`, `"one"; // a comment`));
    expect(r.kind).toBe("skipped");
    expect(r.executed).toEqual([]);
    expect(runsOf(fx, "text")).toBe(1);
  });

  test("a syntax error is a failed reload, the old code keeps serving, a fix recovers", async () => {
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"), { logLevel: "silent" });
    const bad = await app.write("text.ts", `export const TEXT = "two" +;\n`);
    expect(bad.kind).toBe("failed");
    expect(String(bad.error)).toContain("Unexpected");
    expect(await text(app)).toBe("one:s:/");
    const fixed = await app.write("text.ts", `export const TEXT = "fixed";\n`);
    expect(fixed.kind).toBe("ok");
    expect(await text(app)).toBe("fixed:s:/");
  });

  test("dispose hooks run on reload and on stop; persisted state survives reloads", async () => {
    const fx = fixture({
      "db.ts":
        `import { persist, onDispose } from "hmr-run";\n` +
        `export const pool = persist("pool", () => ({ id: Math.random(), queries: 0 }));\n` +
        `onDispose(() => { ((globalThis as any).disposed ??= []).push("db"); });\n` +
        `export const VERSION = 1;\n`,
      "main.ts":
        `import { pool, VERSION } from "./db.ts";\n` +
        `export default { fetch: () => Response.json({ id: pool.id, queries: ++pool.queries, v: VERSION }) };\n`,
    });
    (globalThis as any).disposed = [];
    app = await startApp(fx.path("main.ts"));
    const first = (await (await app.fetch("/")).json()) as { id: number };
    const r = await app.edit("db.ts", "VERSION = 1", "VERSION = 2");
    expect(r.executed).toEqual(["db.ts", "main.ts"]);
    expect((globalThis as any).disposed).toEqual(["db"]);
    const second = await (await app.fetch("/")).json();
    expect(second).toEqual({ id: first.id, queries: 2, v: 2 });
    const url = app.url;
    await app.stop();
    expect((globalThis as any).disposed).toEqual(["db", "db"]);
    await expect(fetch(url)).rejects.toThrow();
  });

  test("the same app started again runs afresh", async () => {
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"));
    await app.edit("text.ts", `"one"`, `"two"`);
    await app.stop();
    app = await startApp(fx.path("main.ts"));
    expect(await text(app)).toBe("two:s:/");
    expect([runsOf(fx, "stable"), runsOf(fx, "text"), runsOf(fx, "main")]).toEqual([2, 3, 3]);
    // The new app's loader sees the modules: an edit still reloads just its chain.
    const r = await app.edit("text.ts", `"two"`, `"three"`);
    expect(r.executed).toEqual(["text.ts", "main.ts"]);
    expect(await text(app)).toBe("three:s:/");
  });

  test("with watch: true, edits made by other means reload and nextReload() resolves", async () => {
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"), { watch: true });
    const next = app.nextReload();
    fx.edit("text.ts", `"one"`, `"outside"`);
    const r = await next;
    expect(r.executed).toEqual(["text.ts", "main.ts"]);
    expect(await text(app)).toBe("outside:s:/");
  });

  test("an Elysia app that listens on its own port is served on a free port instead", async () => {
    const fx = fixture({
      "routes.ts": `export const greeting = () => "hello";\n`,
      "main.ts":
        `import { Elysia } from "elysia";\nimport { greeting } from "./routes.ts";\n` +
        `new Elysia().get("/", () => greeting()).listen(3000);\n`,
    });
    app = await startApp(fx.path("main.ts"));
    expect(app.url.port).not.toBe("3000");
    expect(await text(app)).toBe("hello");
    await app.write("routes.ts", `export const greeting = () => "hi";\n`);
    expect(await text(app)).toBe("hi");
  });

  test("an entry that fails to start throws with the reason; one app runs at a time", async () => {
    const broken = fixture({ "main.ts": `export default { fetch: () => new Response("x") +;\n` });
    await expect(startApp(broken.path("main.ts"), { logLevel: "silent" })).rejects.toThrow(/main\.ts failed to start: .*Unexpected/);
    const fx = fixture(app3);
    app = await startApp(fx.path("main.ts"));
    await expect(startApp(fx.path("main.ts"))).rejects.toThrow(/still running; stop\(\) it/);
  });
});

describe("hmr-run/testing leaves nothing behind", () => {
  test("apps started one after another leave no process listeners, Bun.serve or Bun.listen patched", async () => {
    const fx = fixture({ "main.ts": `export default { fetch: () => new Response("x") };\n` });
    const before = [process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")];
    const { serve, listen } = Bun;
    for (let i = 0; i < 3; i++) {
      const a = await startApp(fx.path("main.ts"));
      await a.stop();
    }
    expect([process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")]).toEqual(before);
    expect([Bun.serve, Bun.listen]).toEqual([serve, listen]);
  });
});
