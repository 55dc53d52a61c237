/**
 * Saves that made the log lie, through the real CLI on fixture apps: after each, the
 * log says what is served, and `[success]` comes only with the new code serving.
 */
import { describe, expect, test } from "bun:test";
import { scenarios } from "./support/scenario.ts";
import { firstEvent } from "./support/refresh-events.ts";

const { start } = scenarios();

/** The `[success]` lines of a piece of output. */
const successes = (text: string) => text.split("\n").filter((l) => l.startsWith("[success]"));

describe("an app that replaces a builtin hmr-run relies on", () => {
  test("Array.prototype.includes replaced by a save: every later save serves its new code, and the line names the builtin", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = "v1";\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    await run.until("v1");
    let m = run.mark();
    fx.write("dep.ts", `Array.prototype.includes = () => false;\nexport const V = "v2";\n`);
    await run.until("v2");
    await run.output(/\[success\] \[hmr-run\] dep\.ts → 2 modules re-ran/, m);
    expect(run.out.slice(m)).toContain("replaced Array.prototype.includes, which hmr-run relies on");
    m = run.mark();
    fx.write("dep.ts", `export const V = "v3";\n`);
    await run.until("v3");
    await run.output("dep.ts → 2 modules re-ran", m);
    // The patch is gone from the code but stays in the process: said once, not again.
    fx.edit("main.ts", "new Response(V)", `new Response(V + "!")`);
    await run.until("v3!");
    expect(run.out.split("replaced Array.prototype.includes").length).toBe(2);
  });

  test("Array.prototype.includes replaced by the entry at start: it serves, as under bun", async () => {
    const { run } = start({
      "main.ts": `Array.prototype.includes = () => false;\nexport default { fetch: () => new Response("hello") };\n`,
    });
    await run.until("hello");
    await run.output("serving http://");
    expect(run.out).not.toContain("running as a script");
  });

  test("a replaced builtin that misleads the reload's walk makes the reload a failure that says so, never a success", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = "v1";\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    await run.until("v1");
    const m = run.mark();
    // Every Set answers "no": the graph's walk no longer finds that main.ts must run again.
    fx.write("dep.ts", `Set.prototype.has = () => false;\nexport const V = "v2";\n`);
    const out = await run.output(/reload failed after dep\.ts changed/, m);
    expect(out).toContain("main.ts did not run again, though dep.ts, which it imports, did with new exports");
    expect(out).toContain("hmr-run could not verify the reload: the app replaced Set.prototype.has");
    expect(await run.get()).toBe("v1");
    expect(successes(run.out.slice(m))).toEqual([]);
  });
});

describe("a module a runtime plugin makes from a data file", () => {
  const app = (fsImport: string, read: string) => ({
    "bunfig.toml": `preload = ["./plugin.ts"]\n`,
    "plugin.ts":
      `${fsImport}\n` +
      `Bun.plugin({\n  name: "virtual-config",\n  setup(b) {\n` +
      `    b.module("virtual:config", () => ({ exports: JSON.parse(${read}("data.json", "utf8")), loader: "object" }));\n` +
      `  },\n});\n`,
    "data.json": `{ "v": "d1" }`,
    "main.ts": `import { v } from "virtual:config";\nexport default { fetch: () => new Response(String(v)) };\n`,
  });

  test("an edit of the file its factory read runs its importers again, and they serve the new value", async () => {
    const { fx, run } = start(app(`import fs from "node:fs";`, "fs.readFileSync"), ["main.ts", "--log-level", "debug"]);
    await run.until("d1");
    let m = run.mark();
    fx.write("data.json", `{ "v": "d2" }`);
    await run.until("d2");
    const out = await run.output("main.ts re-ran because it imports virtual:config", m);
    expect(successes(out)).toEqual([expect.stringContaining("data.json → 1 module re-ran")]);
    // The plugin's own file is not what depends on the data: it does not run again.
    expect(out).not.toContain("plugin.ts");
    m = run.mark();
    fx.write("data.json", `{ "v": "d3" }`);
    await run.until("d3");
    await run.output("data.json → 1 module re-ran", m);
  });

  test("a preload that took node:fs's read functions before hmr-run started is named: its reads cannot be followed", async () => {
    const { run } = start(app(`import { readFileSync } from "node:fs";`, "readFileSync"));
    await run.until("d1");
    await run.output("plugin.ts registers a runtime plugin and imports node:fs by name before hmr-run starts");
  });
});

describe("a save that takes away an export its importer still uses", () => {
  test("a dropped export, a comment-only file and an emptied file are refused before any dispose, at the import's file:line", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = "v1";\n`,
      "main.ts":
        `import { onDispose } from "hmr-run";\nimport { V } from "./dep.ts";\n` +
        `onDispose(() => console.log("main.ts disposed"));\nexport default { fetch: () => new Response(V) };\n`,
    });
    await run.until("v1");
    for (const text of [`const V = "v2";\n`, `// V is gone\n`, ``]) {
      const m = run.mark();
      fx.write("dep.ts", text);
      const out = await run.output("reload failed", m);
      expect(out).toContain("nothing was disposed, the previous code keeps running (main.ts:2:10)");
      expect(out).toContain("export named 'V' not found in './dep.ts', imported by main.ts");
      expect(out).toContain(`> 2 | import { V } from "./dep.ts";`);
    }
    expect(run.stdout).not.toContain("main.ts disposed");
    expect(await run.get()).toBe("v1");
    fx.write("dep.ts", `export const V = "v2";\n`);
    await run.until("v2");
  });
});

describe("an app that mutes its output", () => {
  test("muting process.stdout.write, process.stderr.write and console at the top level hides none of hmr-run's lines", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = "v1";\n`,
      "main.ts":
        `import { persist } from "hmr-run";\n` +
        `process.stdout.write = (() => true) as any;\nprocess.stderr.write = (() => true) as any;\n` +
        `for (const k of ["log", "info", "warn", "error", "debug"] as const) (console as any)[k] = () => {};\n` +
        `import { V } from "./dep.ts";\n` +
        `persist("pool", () => "pool1", () => { throw new Error("the pool would not close"); });\n` +
        `export default { fetch: (req: Request) => {\n` +
        `  if (new URL(req.url).pathname === "/boom") setTimeout(() => { throw new Error("late boom"); }, 1);\n` +
        `  return new Response(V);\n} };\n`,
    });
    await run.until("v1");
    let m = run.mark();
    fx.write("dep.ts", `export const V = "v2";\n`);
    await run.until("v2");
    await run.output("[success] [hmr-run] dep.ts → 2 modules re-ran", m);
    m = run.mark();
    fx.write("dep.ts", `export const V = "v3";\nthrow new Error("broken dep");\n`);
    const failed = await run.output("rolled back", m);
    expect(failed).toContain("(dep.ts:2:11): broken dep");
    expect(failed).toContain(`> 2 | throw new Error("broken dep");`);
    m = run.mark();
    expect(await run.get("/boom")).toBe("v2");
    await run.output(/uncaught exception in the app \(main\.ts:\d+:\d+\): late boom/, m);
    fx.write("dep.ts", `export const V = "v3";\n`);
    await run.until("v3");
    // A persisted value whose factory changed is disposed; its dispose throws.
    m = run.mark();
    fx.edit("main.ts", `() => "pool1"`, `() => "pool2"`);
    await run.output(/hmr-run: disposing persisted "pool" failed \(main\.ts:6:\d+\): the pool would not close/, m);
  });
});

describe("a thrown value whose every read throws", () => {
  test("is named by the module that threw, the line says the rollback happened, and --refresh pages get the error", async () => {
    const { fx, run } = start(
      {
        "dep.ts": `export const V = "v1";\n`,
        "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
      },
      ["main.ts", "--refresh"],
    );
    await run.until("v1");
    const m = run.mark();
    const trap = `() => { throw new Error("trap"); }`;
    fx.write("dep.ts", `export const V = "v2";\nthrow new Proxy({}, { get: ${trap}, has: ${trap}, getPrototypeOf: ${trap}, ownKeys: ${trap} });\n`);
    const out = await run.output("rolled back", m);
    expect(out).toMatch(/reload failed after dep\.ts changed; rolled back in [\d.]+ ms: the previous code of 2 modules runs and serves again \(dep\.ts\): a Proxy that throws when read \(trap\)/);
    expect(out).not.toContain("hmr-run failed while reloading");
    expect(await run.get()).toBe("v1");
    const event = await firstEvent(run.url);
    expect(event.error).toEqual({ message: "a Proxy that throws when read (trap)", file: "dep.ts" });
    fx.write("dep.ts", `export const V = "v3";\n`);
    await run.until("v3");
  });
});
