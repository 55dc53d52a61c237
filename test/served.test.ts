// `[success]` means the new code is served: modules loaded by computed import() reload
// through their importer, a module nobody is known to import reloads everything, a stale
// registry is retried as a full reload, and an app's writes to its own inputs do not loop.
import { describe, expect, test } from "bun:test";
import { inProcessApps } from "./support/in-process.ts";
import { scenarios } from "./support/scenario.ts";

const { start, text } = inProcessApps();

describe("computed import()", () => {
  test("a route imported in a request by a computed path: an edit is served by the next request", async () => {
    const a = await start({
      "routes/hello.ts": `export const body = "h1";\n`,
      "main.ts": `const dir = import.meta.dir + "/routes/";\nexport default { fetch: async (req: Request) => new Response((await import(dir + new URL(req.url).pathname.slice(1) + ".ts")).body) };\n`,
    });
    const get = async () => (await a.fetch("/hello")).text();
    expect(await get()).toBe("h1");
    const r = await a.edit("routes/hello.ts", `"h1"`, `"h2"`);
    expect(r.kind).toBe("ok");
    expect(r.result.kind === "ok" && r.result.full).toBeUndefined();
    expect(await get()).toBe("h2");
  });

  test("a registry that sees a name twice is retried as a reload of every module, and says so", async () => {
    const a = await start({
      "registry.ts": `const seen = new Map<string, string>();\nexport function register(path: string, body: string) {\n  if (seen.has(path)) throw new Error("Controller basePath duplicated: " + path);\n  seen.set(path, body);\n}\nexport const all = () => [...seen.values()].join(",");\n`,
      "sse.ts": `import { register } from "./registry.ts";\nregister("/api/sse", "s1");\n`,
      "main.ts": `import { all } from "./registry.ts";\nimport "./sse.ts";\nexport default { fetch: () => new Response(all()) };\n`,
    });
    expect(await text()).toBe("s1");
    const r = await a.edit("sse.ts", `"s1"`, `"s2"`);
    expect(r.kind).toBe("ok");
    expect(r.result.kind === "ok" && r.result.full).toContain("registry.ts threw and had not run again");
    expect(await text()).toBe("s2");
  });
});

const { start: startCli } = scenarios();

describe("through the CLI", () => {
  test("an app that writes a file it reads while it loads does not reload itself in a loop", async () => {
    const { fx, run } = startCli({
      "count.json": `{ "n": 0 }\n`,
      "other.ts": `export const tag = "o1";\n`,
      "main.ts":
        `import { readFileSync, writeFileSync } from "node:fs";\nimport { tag } from "./other.ts";\n` +
        `const file = import.meta.dir + "/count.json";\n` +
        `const n = JSON.parse(readFileSync(file, "utf8")).n + 1;\n` +
        `writeFileSync(file, JSON.stringify({ n }));\n` +
        `export default { fetch: () => new Response("v1 " + tag) };\n`,
    });
    await run.until("v1 o1");
    await run.output("that write does not reload it");
    // Real edits still reload, each once; the write each run makes is never a reload of its own.
    const m = run.mark();
    fx.edit("main.ts", `"v1 "`, `"v2 "`);
    await run.until("v2 o1");
    fx.edit("other.ts", `"o1"`, `"o2"`);
    await run.until("v2 o2");
    await run.output("other.ts → 2 modules re-ran", m);
    const lines = run.out.slice(m).split("\n").filter((l) => l.includes("re-ran"));
    expect(lines.map((l) => l.replace(/^\[\w+\] \[hmr-run\] /, "").split(" →")[0]), run.out).toEqual(["main.ts", "other.ts"]);
    expect(run.out.match(/that write does not reload it/g)).toHaveLength(1);
  });
});

describe("hmr-run's own machinery", () => {
  test("an app that installs fake timers or defines Object.prototype.then does not wedge reloads", async () => {
    const { fx, run } = startCli({
      "fake.ts":
        `// Fake timers, as a test helper would install them: no unref, never fire.\n` +
        `(globalThis as any).setTimeout = () => 0;\n(globalThis as any).clearTimeout = () => {};\n` +
        `(globalThis as any).setImmediate = () => 0;\n` +
        `Object.defineProperty(Object.prototype, "then", { value: function () {}, configurable: true, writable: true });\n`,
      "dep.ts": `export const V = "v1";\n`,
      "main.ts": `import "./fake.ts";\nimport { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    await run.until("v1");
    await run.output("defines Object.prototype.then");
    fx.edit("dep.ts", `"v1"`, `"v2"`);
    await run.until("v2");
    fx.edit("dep.ts", `"v2"`, `"v3"`);
    await run.until("v3");
  });
});

describe("env files", () => {
  test("a comment-only edit reloads nothing; a reload that fails names the env file", async () => {
    const { fx, run } = startCli(
      {
        ".env.dev": "# settings\nGREETING=hi\n",
        "dep.ts": `export const D = "d";\n`,
        "main.ts": `import { D } from "./dep.ts";\nif (process.env.GREETING === "boom") throw new Error("bad greeting");\nexport default { fetch: () => new Response(process.env.GREETING + D) };\n`,
      },
      ["main.ts", "--env-file", ".env.dev"],
    );
    await run.until("hid");
    let m = run.mark();
    fx.write(".env.dev", "# settings, reworded\nGREETING=hi\n");
    await run.output("changed no variable: nothing to reload", m);
    expect(run.out.slice(m)).not.toContain("re-ran");
    m = run.mark();
    fx.write(".env.dev", "GREETING=boom\n");
    const line = (await run.output(/reload failed after .*/, m)).split("\n").find((l) => l.includes("reload failed"))!;
    expect(line).toContain("reload failed after .env.dev changed");
    expect(line).not.toContain("dep.ts");
    // The server keeps answering (the variable itself is the new one: env files are not rolled back).
    expect((await fetch(run.url)).status).toBe(200);
  });
});
