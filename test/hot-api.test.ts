/**
 * The HMR API as user code sees it: `import.meta.hot`, the plain helpers, and files read
 * while a module loads. The API's scenarios run in this process under hmr-run/testing
 * (the same decision core and reloader as the CLI, without a second process: nothing
 * here is about the CLI); files read while loading, and watchFile, run under the real
 * CLI; the same fixtures then run under plain `bun`.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startApp, type TestApp } from "hmr-run/testing";
import { Fixture, Run, ROOT, freePort } from "./support/fixture.ts";
import { expectUntouched } from "./support/untouched.ts";

const runs: Run[] = [];
const fixtures: Fixture[] = [];
let app: TestApp | undefined;
beforeEach(() => {
  // The fixtures keep their state on globalThis, which apps started in this process share.
  (globalThis as { hot?: unknown }).hot = {};
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await Promise.all(runs.splice(0).map((r) => r.stop()));
  for (const f of fixtures.splice(0)) f.cleanup();
  expectUntouched();
});

/** Runs `files` under hmr-run in this process. */
async function inProcess(files: Record<string, string>, options: { disposeTimeoutMs?: number } = {}): Promise<{ a: TestApp; fx: Fixture }> {
  const fx = new Fixture(files);
  fixtures.push(fx);
  app = await startApp(fx.path("main.ts"), { logLevel: "silent", ...options });
  return { a: app, fx };
}

/** The app's JSON answer. */
const json = async (a: TestApp, path = "/"): Promise<any> => (await a.fetch(path)).json();

/** Polls until the app's JSON answer satisfies `ok` (state that timers change); fails after 10 s. */
async function untilAnswer(a: TestApp, ok: (v: any) => boolean): Promise<any> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = await json(a);
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`no answer satisfied the condition; last: ${JSON.stringify(v)}`);
    await Bun.sleep(10);
  }
}

function start(files: Record<string, string>) {
  const fx = new Fixture(files);
  fixtures.push(fx);
  const run = new Run(fx, ["main.ts"]);
  runs.push(run);
  return { fx, run };
}

/** Polls until the JSON answer satisfies `ok`; returns it. */
async function untilJson<T = any>(run: Run, ok: (v: T) => boolean, path = "/"): Promise<T> {
  const body = await run.until((b) => {
    try {
      return ok(JSON.parse(b));
    } catch {
      return false;
    }
  }, path);
  return JSON.parse(body);
}

// Every module may count its executions on globalThis so a test can see what ran again
// (under one key, reset before each test: apps in this process share globalThis).
const G = `const g = ((globalThis as any).hot ??= {});\n`;
const count = (name: string) => `(g.runs ??= {})["${name}"] = (g.runs["${name}"] ?? 0) + 1;\n`;
const serveJson = (expr: string) => `export default { fetch: () => Response.json(${expr}) };\n`;

/** The fixture apps; each also runs under plain `bun` in the last test. */
const apps = {
  interval: {
    "ticker.ts": G +
      `const gen = (g.gen = (g.gen ?? 0) + 1);\n` +
      `const id = setInterval(() => { (g.ticks ??= {})[gen] = (g.ticks[gen] ?? 0) + 1; }, 2);\n` +
      `import.meta.hot?.dispose(() => clearInterval(id));\n` +
      `export const VERSION = 0;\n`,
    "poller.ts": G + `import { onDispose } from "hmr-run";\n` +
      `const gen = (g.pgen = (g.pgen ?? 0) + 1);\n` +
      `const id = setInterval(() => { (g.pticks ??= {})[gen] = (g.pticks[gen] ?? 0) + 1; }, 2);\n` +
      `onDispose(() => clearInterval(id));\n` +
      `export const VERSION = 0;\n`,
    "main.ts": G + `import { VERSION } from "./ticker.ts";\nimport { VERSION as P } from "./poller.ts";\n` +
      `export default { fetch(req: Request) {\n` +
      `  if (new URL(req.url).pathname === "/reset") { g.ticks = {}; g.pticks = {}; return new Response("reset"); }\n` +
      `  return Response.json({ version: VERSION, p: P, gen: g.gen, pgen: g.pgen, ticks: g.ticks ?? {}, pticks: g.pticks ?? {} });\n` +
      `} };\n`,
  },
  data: {
    "counter.ts": `export const COUNT = import.meta.hot ? (import.meta.hot.data.count = (import.meta.hot.data.count ?? 0) + 1) : 1;\n` +
      `import.meta.hot?.dispose((data) => { data.disposed = (data.disposed ?? 0) + 1; });\n` +
      `export const DISPOSED = import.meta.hot?.data.disposed ?? 0;\n` +
      `export const LABEL = "a0";\n`,
    "main.ts": `import { COUNT, DISPOSED, LABEL } from "./counter.ts";\n` + serveJson(`{ count: COUNT, disposed: DISPOSED, label: LABEL }`),
  },
  selfAccept: {
    "widget.ts": G + count("widget") +
      `g.live = "w0";\n` +
      `import.meta.hot?.accept((mod) => { g.accepted = mod?.W; });\n` +
      `export const W = "w0";\n`,
    "mid.ts": G + count("mid") + `export { W } from "./widget.ts";\n`,
    "main.ts": G + count("main") + `import { W } from "./mid.ts";\n` +
      serveJson(`{ live: g.live, bound: W, accepted: g.accepted ?? null, runs: g.runs }`),
  },
  acceptDep: {
    "dep.ts": G + count("dep") + `export const V = "d0";\n`,
    "main.ts": G + count("main") + `import { V } from "./dep.ts";\n` +
      `let current = V;\n` +
      `import.meta.hot?.accept("./dep.ts", (mod) => { current = mod?.V; });\n` +
      serveJson(`{ bound: V, current, runs: g.runs }`),
  },
  persist: {
    "db.ts": G + `import { persist } from "hmr-run";\nimport { writeFileSync } from "node:fs";\n` +
      `export const db = persist("db", () => {\n` +
      `  g.opened = (g.opened ?? 0) + 1;\n` +
      `  return { id: g.opened, pool: 4, closed: false };\n` +
      `}, (old) => { old.closed = true; (g.closed ??= []).push(old.id); writeFileSync(import.meta.dir + "/closed.txt", String(old.id)); });\n` +
      `export const LABEL = "l0";\n`,
    "main.ts": G + `import { db, LABEL } from "./db.ts";\n` +
      serveJson(`{ id: db.id, pool: db.pool, label: LABEL, opened: g.opened, closed: g.closed ?? [] }`),
  },
  throwingDispose: {
    "dep.ts": G + `import.meta.hot?.dispose(() => { throw new Error("dispose exploded"); });\n` +
      `import.meta.hot?.dispose(() => { g.secondDisposed = (g.secondDisposed ?? 0) + 1; });\n` +
      `export const V = "t0";\n`,
    "main.ts": G + `import { V } from "./dep.ts";\n` + serveJson(`{ v: V, second: g.secondDisposed ?? 0 }`),
  },
  stuckDispose: {
    // Only the first execution's hook hangs, so that stopping the app later does not wait.
    "dep.ts": G + `import.meta.hot?.dispose(() => (V === "s0" ? new Promise(() => {}) : undefined));\n` +
      `import.meta.hot?.dispose(() => { g.afterStuck = (g.afterStuck ?? 0) + 1; });\n` +
      `export const V = "s0";\n`,
    "main.ts": G + `import { V } from "./dep.ts";\n` + serveJson(`{ v: V, after: g.afterStuck ?? 0 }`),
  },
  reads: {
    "views/page.html": `<h1>{name}</h1>`,
    "views/style.css": `h1 { color: red }`,
    "views/config.json": `{ "greeting": "hello" }`,
    "views/query.sql": `select 1`,
    "views.ts": G + count("views") +
      `import { readFileSync } from "node:fs";\nimport fs from "fs";\nimport { readFile } from "node:fs/promises";\n` +
      `const page = readFileSync("views/page.html", "utf8");\n` +
      `const css = await Bun.file(new URL("./views/style.css", import.meta.url)).text();\n` +
      `const config = JSON.parse(await readFile("./views/config.json", "utf8"));\n` +
      `const sql = fs.readFileSync(import.meta.dir + "/views/query.sql", "utf8");\n` +
      `export const render = (name: string) => [page.replace("{name}", name), css, config.greeting, sql].join(" | ");\n`,
    "stable.ts": G + count("stable") + `export const STABLE = "s";\n`,
    "main.ts": G + count("main") + `import { render } from "./views.ts";\nimport { STABLE } from "./stable.ts";\n` +
      serveJson(`{ html: render("ada"), stable: STABLE, runs: g.runs }`),
  },
  watchFile: {
    "later.txt": `l0`,
    "main.ts": G + count("main") + `import { readFileSync } from "node:fs";\nimport { watchFile } from "hmr-run";\n` +
      `const cache = new Map<string, string>();\n` +
      `export default { fetch() {\n` +
      `  // Read on first request only: without watchFile nothing would ever re-read it.\n` +
      `  if (!cache.has("later")) { watchFile("./later.txt"); cache.set("later", readFileSync("./later.txt", "utf8")); }\n` +
      `  return Response.json({ later: cache.get("later"), runs: g.runs });\n` +
      `} };\n`,
  },
  hooks: {
    "hooks.ts": G + `import { onBeforeReload, onAfterReload } from "hmr-run";\n` +
      `g.log ??= [];\n` +
      `onBeforeReload(() => { g.log.push("before:" + H); });\n` +
      `onAfterReload(async () => { await Bun.sleep(1); g.log.push("after:" + H); });\n` +
      `export const H = "h0";\n`,
    "other.ts": `export const O = "o0";\n`,
    "main.ts": G + `import { H } from "./hooks.ts";\nimport { O } from "./other.ts";\n` + serveJson(`{ h: H, o: O, log: g.log }`),
  },
  events: {
    "events.ts": G + `import { basename } from "node:path";\n` +
      `g.events ??= [];\n` +
      `const tag = "e0";\n` +
      `const ignored = () => g.events.push("ignored");\n` +
      `import.meta.hot?.on("hmr:beforeUpdate", (e) => g.events.push(tag + " before " + e.files.map((f) => basename(f)).join()));\n` +
      `import.meta.hot?.on("vite:afterUpdate", (e) => g.events.push(tag + " after " + e.executed.map((f) => basename(f)).join()));\n` +
      `import.meta.hot?.on("bun:error", (e) => g.events.push(tag + " error " + String((e.error as Error)?.message ?? e.error).slice(0, 40)));\n` +
      `import.meta.hot?.on("hmr:afterUpdate", ignored);\n` +
      `import.meta.hot?.off("hmr:afterUpdate", ignored);\n` +
      `export const E = 1;\n`,
    "leaf.ts": `export const L = "x0";\n`,
    "main.ts": G + `import { E } from "./events.ts";\nimport { L } from "./leaf.ts";\n` + serveJson(`{ e: E, l: L, events: g.events }`),
  },
  prune: {
    "gone.ts": G + `import.meta.hot?.prune((data) => { (g.pruned ??= []).push("gone:" + data.n); });\n` +
      `if (import.meta.hot) import.meta.hot.data.n = 7;\n` +
      `export const GONE = "here";\n`,
    "main.ts": G + `import { GONE } from "./gone.ts";\n` + serveJson(`{ gone: GONE, pruned: g.pruned ?? [] }`),
  },
  decline: {
    "stable.ts": G + count("stable") + `export const S = "s";\n`,
    "gate.ts": G + count("gate") + `import.meta.hot?.decline();\nexport { LEAF } from "./leaf.ts";\n`,
    "leaf.ts": `export const LEAF = "f0";\n`,
    "main.ts": G + count("main") + `import { S } from "./stable.ts";\nimport { LEAF } from "./gate.ts";\n` +
      serveJson(`{ s: S, leaf: LEAF, runs: g.runs }`),
  },
  invalidate: {
    "shape.ts": G + count("shape") +
      `export const FIELDS = ["a"];\n` +
      `import.meta.hot?.accept((mod) => { if (mod?.FIELDS.length !== FIELDS.length) import.meta.hot?.invalidate("fields changed"); });\n`,
    "main.ts": G + count("main") + `import { FIELDS } from "./shape.ts";\n` +
      `import.meta.hot?.on("hmr:invalidate", (e) => { g.invalidated = e.message; });\n` +
      serveJson(`{ fields: FIELDS, invalidated: g.invalidated ?? null, runs: g.runs }`),
  },
} satisfies Record<string, Record<string, string>>;

describe("import.meta.hot: dispose and data", () => {
  test("an interval with a dispose hook leaves exactly one interval after 20 reloads", async () => {
    const { a } = await inProcess(apps.interval);
    expect((await json(a)).version).toBe(0);
    for (let i = 1; i <= 20; i++) {
      await a.edit("ticker.ts", /VERSION = \d+/, `VERSION = ${i}`);
      await a.edit("poller.ts", /VERSION = \d+/, `VERSION = ${i}`);
      expect(await json(a)).toMatchObject({ version: i, p: i });
    }
    expect(await (await a.fetch("/reset")).text()).toBe("reset");
    // Leaked intervals tick as often as the live one: let the live one tick 20 times, then look.
    const v = await untilAnswer(a, (v) => (v.ticks[v.gen] ?? 0) >= 20 && (v.pticks[v.pgen] ?? 0) >= 20);
    expect(v.gen).toBe(21);
    expect(Object.keys(v.ticks)).toEqual(["21"]);
    expect(Object.keys(v.pticks)).toEqual(["21"]);
  });

  test("data carries a counter across reloads and dispose receives it", async () => {
    const { a } = await inProcess(apps.data);
    expect(await json(a)).toEqual({ count: 1, disposed: 0, label: "a0" });
    for (let i = 1; i <= 5; i++) {
      await a.edit("counter.ts", /"a\d+"/, `"a${i}"`);
      expect(await json(a)).toEqual({ count: i + 1, disposed: i, label: `a${i}` });
    }
  });

  test("a dispose callback that throws is reported and does not block the reload or later hooks", async () => {
    const { a } = await inProcess(apps.throwingDispose);
    expect((await json(a)).v).toBe("t0");
    const from = a.logs.length;
    expect((await a.edit("dep.ts", `"t0"`, `"t1"`)).kind).toBe("ok");
    expect(await json(a)).toEqual({ v: "t1", second: 1 });
    const said = a.logs.slice(from).join("\n");
    expect(said).toMatch(/a dispose hook of \S*dep\.ts failed/);
    expect(said).toContain("dispose exploded");
  });

  test("a dispose that never resolves is cut off by the time limit and reported", async () => {
    const { a } = await inProcess(apps.stuckDispose, { disposeTimeoutMs: 300 });
    expect((await json(a)).v).toBe("s0");
    const from = a.logs.length;
    expect((await a.edit("dep.ts", `V = "s0"`, `V = "s1"`)).kind).toBe("ok");
    expect(await json(a)).toEqual({ v: "s1", after: 1 });
    expect(a.logs.slice(from).join("\n")).toMatch(/a dispose hook of \S*dep\.ts failed.*did not finish within 300 ms/);
  });
});

describe("import.meta.hot: accept, decline, invalidate, prune", () => {
  test("a self-accepting module runs again alone: its importers keep their old bindings", async () => {
    const { a, fx } = await inProcess(apps.selfAccept);
    expect((await json(a)).live).toBe("w0");
    fx.edit("widget.ts", `g.live = "w0"`, `g.live = "w1"`);
    await a.edit("widget.ts", `W = "w0"`, `W = "w1"`);
    // The callback registered by the old execution got the new module; nothing above re-ran.
    expect(await json(a)).toEqual({ live: "w1", bound: "w0", accepted: "w1", runs: { widget: 2, mid: 1, main: 1 } });
  });

  test("accept(dep, cb) hands the importer the new module instead of running it again", async () => {
    const { a } = await inProcess(apps.acceptDep);
    expect((await json(a)).current).toBe("d0");
    for (const next of ["d1", "d2"]) {
      await a.edit("dep.ts", /"d\d"/, `"${next}"`);
      expect(await json(a)).toMatchObject({ current: next, bound: "d0", runs: { main: 1 } });
    }
  });

  test("invalidate() from an accept callback re-runs the importers and says why", async () => {
    const { a } = await inProcess(apps.invalidate);
    expect((await json(a)).fields).toEqual(["a"]);
    // Same shape: the module takes its own update.
    await a.edit("shape.ts", `["a"]`, `["b"]`);
    expect((await json(a)).runs).toEqual({ shape: 2, main: 1 });
    const from = a.logs.length;
    await a.edit("shape.ts", `["b"]`, `["b", "c"]`);
    const v = await json(a);
    expect(v.fields).toEqual(["b", "c"]);
    expect(v.runs.main).toBe(2);
    expect(v.invalidated).toBe("fields changed");
    expect(a.logs.slice(from).join("\n")).toMatch(/shape\.ts invalidated itself: fields changed/);
  });

  test("decline() turns an edit below the module into a reload of every module", async () => {
    const { a } = await inProcess(apps.decline);
    expect((await json(a)).leaf).toBe("f0");
    await a.edit("leaf.ts", `"f0"`, `"f1"`);
    expect(await json(a)).toMatchObject({ leaf: "f1", runs: { stable: 2, gate: 2, main: 2 } });
  });

  test("prune() runs with data when no module imports the module any more", async () => {
    const { a } = await inProcess(apps.prune);
    expect((await json(a)).gone).toBe("here");
    await a.write("main.ts", G + serveJson(`{ gone: "removed", pruned: g.pruned ?? [] }`));
    expect(await json(a)).toEqual({ gone: "removed", pruned: ["gone:7"] });
  });
});

describe("events and reload hooks", () => {
  test("on()/off() see before, after and error events once each, also after their module re-runs", async () => {
    const { a } = await inProcess(apps.events);
    expect((await json(a)).events).toEqual([]);
    await a.edit("leaf.ts", `"x0"`, `"x1"`);
    expect((await a.write("leaf.ts", `export const L = "x2" +;\n`)).kind).toBe("failed");
    expect((await a.write("leaf.ts", `export const L = "x3";\n`)).kind).toBe("ok");
    await a.edit("events.ts", `"e0"`, `"e1"`);
    const v = await json(a);
    expect(v.l).toBe("x3");
    expect(v.events).toEqual([
      "e0 before leaf.ts",
      "e0 after leaf.ts,main.ts",
      expect.stringMatching(/^e0 error /),
      "e0 before leaf.ts",
      "e0 after leaf.ts,main.ts",
      // The old execution hears `before`; only the new one hears `after`.
      "e0 before events.ts",
      "e1 after events.ts",
    ]);
  });

  test("onBeforeReload/onAfterReload are replaced, not duplicated, when their module re-runs", async () => {
    const { a } = await inProcess(apps.hooks);
    expect((await json(a)).log).toEqual([]);
    for (let i = 1; i <= 3; i++) {
      await a.edit("hooks.ts", /"h\d"/, `"h${i}"`);
      expect((await json(a)).log.length).toBe(i * 2);
    }
    await a.edit("other.ts", `"o0"`, `"o1"`);
    const v = await json(a);
    expect(v.o).toBe("o1");
    expect(v.log).toEqual(["before:h0", "after:h1", "before:h1", "after:h2", "before:h2", "after:h3", "before:h3", "after:h3"]);
  });
});

describe("state kept across reloads", () => {
  test("persist keeps one object across 20 reloads and rebuilds when its factory changes", async () => {
    const { a, fx } = await inProcess(apps.persist);
    expect((await json(a)).label).toBe("l0");
    for (let i = 1; i <= 20; i++) {
      await a.edit("db.ts", /"l\d+"/, `"l${i}"`);
      expect(await json(a)).toEqual({ id: 1, pool: 4, label: `l${i}`, opened: 1, closed: [] });
    }
    await a.edit("db.ts", `pool: 4`, `pool: 8`);
    expect(await json(a)).toEqual({ id: 2, pool: 8, label: "l20", opened: 2, closed: [1] });
    // Stopping the app closes the live value too (dispose hooks run on stop).
    await a.stop();
    app = undefined;
    expect(fx.read("closed.txt")).toBe("2");
  });
});

describe("files read while a module loads", () => {
  test("templates and data read at top level with Bun.file and node:fs are tracked like imports", async () => {
    const { fx, run } = start(apps.reads);
    await untilJson(run, (v) => v.html === "<h1>ada</h1> | h1 { color: red } | hello | select 1");
    fx.write("views/page.html", `<h2>{name}</h2>`);
    await untilJson(run, (v) => v.html.startsWith("<h2>ada</h2> |"));
    fx.write("views/style.css", `h1 { color: blue }`);
    await untilJson(run, (v) => v.html.includes("blue"));
    fx.write("views/config.json", `{ "greeting": "hi" }`);
    await untilJson(run, (v) => v.html.includes("| hi |"));
    fx.write("views/query.sql", `select 2`);
    const v = await untilJson(run, (v) => v.html.endsWith("select 2"));
    expect(v.html).toBe("<h2>ada</h2> | h1 { color: blue } | hi | select 2");
    // Each edit re-ran the reader and its importer, never the module that read nothing.
    expect(v.runs).toEqual({ views: 5, stable: 1, main: 5 });
  });

  test("watchFile() re-runs a module that reads a file later, in a request", async () => {
    const { fx, run } = start(apps.watchFile);
    await untilJson(run, (v) => v.later === "l0");
    fx.write("later.txt", "l1");
    expect(await untilJson(run, (v) => v.later === "l1")).toEqual({ later: "l1", runs: { main: 2 } });
    fx.write("later.txt", "l2");
    await untilJson(run, (v) => v.later === "l2");
  });
});

describe("outside hmr-run", () => {
  test("the same fixtures run under plain bun: import.meta.hot is undefined and helpers do nothing", async () => {
    // One bun per fixture, all at once: each is a separate process on its own port.
    await Promise.all(
      Object.entries(apps).map(async ([name, files]) => {
        const fx = new Fixture(files);
        fixtures.push(fx);
        const port = freePort();
        const proc = Bun.spawn([process.execPath, "main.ts"], {
          cwd: fx.dir,
          env: { ...process.env, PORT: String(port), NO_COLOR: "1" },
          stdout: "pipe",
          stderr: "pipe",
        });
        try {
          const body = await poll(`http://127.0.0.1:${port}/`, proc, name);
          expect(() => JSON.parse(body), name).not.toThrow();
        } finally {
          proc.kill();
          await proc.exited;
        }
        const err = await new Response(proc.stderr).text();
        expect(err, name).not.toMatch(/error/i);
      }),
    );
    const fx = new Fixture({
      "main.ts": `import { isHot, persist } from "hmr-run";\n` +
        `export default { fetch: () => Response.json({ hot: typeof import.meta.hot, isHot: isHot(), p: persist("k", () => 42) }) };\n`,
    });
    fixtures.push(fx);
    const port = freePort();
    const proc = Bun.spawn([process.execPath, "main.ts"], { cwd: fx.dir, env: { ...process.env, PORT: String(port) }, stderr: "pipe" });
    try {
      expect(JSON.parse(await poll(`http://127.0.0.1:${port}/`, proc, "probe"))).toEqual({ hot: "undefined", isHot: false, p: 42 });
    } finally {
      proc.kill();
      await proc.exited;
    }
  });
});

describe("types", () => {
  test("import.meta.hot?.dispose(...) type-checks with hmr-run in tsconfig types", async () => {
    const fx = new Fixture({
      "package.json": `{ "type": "module" }\n`,
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          target: "ESNext",
          module: "Preserve",
          moduleResolution: "bundler",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          types: ["bun", "hmr-run"],
        },
        include: ["*.ts"],
      }),
      "dep.ts": `export const N = 1;\n`,
      "main.ts": `import { persist, onDispose, watchFile, type ImportMetaHot } from "hmr-run";\n` +
        `import { N } from "./dep.ts";\n` +
        `import.meta.hot?.dispose((data) => { data.n = N; });\n` +
        `import.meta.hot?.accept();\n` +
        `import.meta.hot?.accept("./dep.ts", (mod) => mod?.N);\n` +
        `import.meta.hot?.accept(["./dep.ts"], (mods) => mods[0]?.N);\n` +
        `import.meta.hot?.prune(() => {});\n` +
        `import.meta.hot?.invalidate("why");\n` +
        `import.meta.hot?.decline();\n` +
        `import.meta.hot?.on("hmr:afterUpdate", (e) => e.executed.length);\n` +
        `import.meta.hot?.on("vite:beforeUpdate", (e) => e.files.length);\n` +
        `const hot: ImportMetaHot | undefined = import.meta.hot;\n` +
        `const db: { id: number } = persist("db", () => ({ id: 1 }));\n` +
        `onDispose(() => {});\nwatchFile("./x.txt");\n` +
        `// @ts-expect-error: dispose takes a function\n` +
        `import.meta.hot?.dispose(42);\n` +
        `// @ts-expect-error: undefined under plain bun, so it needs ?.\n` +
        `import.meta.hot.data;\n` +
        `// @ts-expect-error: the afterUpdate payload has no such field\n` +
        `import.meta.hot?.on("hmr:afterUpdate", (e) => e.nope);\n` +
        `export { hot, db };\n`,
    });
    fixtures.push(fx);
    const proc = Bun.spawn([process.execPath, join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", fx.dir], {
      cwd: fx.dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(out + err).toBe("");
    expect(code).toBe(0);
  });
});

/** GETs `url` until it answers, or fails with what the process printed. */
async function poll(url: string, proc: { exitCode: number | null }, name: string, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${name}: bun exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      return await res.text();
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error(`${name}: no answer at ${url} within ${ms} ms`);
}
