/**
 * What belongs to the module graph and how each kind of module reloads. Nothing here is
 * about the CLI: the scenarios run in this process under hmr-run/testing.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { counter, runCounts } from "./support/scenario.ts";
import { inProcessScenarios, text } from "./support/in-process.ts";
import { Fixture } from "./support/fixture.ts";

const { start, again } = inProcessScenarios();

describe("loading: what belongs to the graph", () => {
  test("JSON, TOML and text imports are graph nodes: editing one re-runs its importer", async () => {
    const { a } = await start({
      "data.json": `{ "name": "alpha" }`,
      "conf.toml": `level = 1\n`,
      "note.txt": `hello`,
      "main.ts": `import data from "./data.json";\nimport conf from "./conf.toml";\nimport note from "./note.txt" with { type: "text" };\n` +
        `export default { fetch: () => new Response(data.name + ":" + conf.level + ":" + note) };\n`,
    });
    expect(await text(a)).toBe("alpha:1:hello");
    expect((await a.write("data.json", `{ "name": "beta" }`)).executed).toContain("main.ts");
    expect(await text(a)).toBe("beta:1:hello");
    await a.write("conf.toml", `level = 2\n`);
    expect(await text(a)).toBe("beta:2:hello");
    await a.write("note.txt", `bye`);
    expect(await text(a)).toBe("beta:2:bye");
  });

  test("a dynamic import() target is evicted, not re-run, and the next import() gets new code", async () => {
    const { a } = await start({
      "lazy.ts": counter("lazy") + `export const v = "one";\n`,
      "main.ts": counter("main") +
        `export default { fetch: async () => { const m = await import("./lazy.ts"); return new Response(m.v + ":" + ${runCounts}); } };\n`,
    });
    expect(await text(a)).toBe(`one:{"main":1,"lazy":1}`);
    const r = await a.write("lazy.ts", counter("lazy") + `export const v = "two";\n`);
    expect(r.kind).toBe("ok");
    expect(r.executed).toEqual([]);
    // main did not run again; lazy runs again only when import() asks for it.
    expect(await text(a)).toBe(`two:{"main":1,"lazy":2}`);
  });

  test("tsconfig paths aliases resolve as Bun resolves them", async () => {
    const { a } = await start({
      "tsconfig.json": JSON.stringify({ compilerOptions: { baseUrl: ".", paths: { "@lib/*": ["src/lib/*"] } } }),
      "src/lib/name.ts": `export const name = "aliased";\n`,
      "main.ts": `import { name } from "@lib/name";\nexport default { fetch: () => new Response(name) };\n`,
    });
    expect(await text(a)).toBe("aliased");
    await a.write("src/lib/name.ts", `export const name = "re-aliased";\n`);
    expect(await text(a)).toBe("re-aliased");
  });

  test("a workspace package linked into node_modules is a project file (monorepo)", async () => {
    const fx = new Fixture({
      "packages/shared/package.json": JSON.stringify({ name: "shared", type: "module", exports: "./index.ts" }),
      "packages/shared/index.ts": `export const shared = "ws1";\n`,
      "apps/api/main.ts": `import { shared } from "shared";\nexport default { fetch: () => new Response(shared) };\n`,
    });
    try {
      mkdirSync(fx.path("apps/api/node_modules"), { recursive: true });
      symlinkSync(fx.path("packages/shared"), fx.path("apps/api/node_modules/shared"));
      const a = await again(fx, "apps/api/main.ts");
      expect(await text(a)).toBe("ws1");
      expect((await a.write("packages/shared/index.ts", `export const shared = "ws2";\n`)).kind).toBe("ok");
      expect(await text(a)).toBe("ws2");
      await a.stop();
    } finally {
      fx.cleanup();
    }
  });

  test("CommonJS files (.js with module.exports, .cjs with require) load and reload", async () => {
    const { a } = await start({
      "lib.js": `module.exports = { word: "c1" };\n`,
      "mid.cjs": `const lib = require("./lib.js");\nmodule.exports = { shout: () => lib.word.toUpperCase() };\n`,
      "main.ts": `import lib, { word } from "./lib.js";\nimport mid from "./mid.cjs";\n` +
        `export default { fetch: () => new Response(lib.word + ":" + word + ":" + mid.shout()) };\n`,
    });
    expect(await text(a)).toBe("c1:c1:C1");
    await a.write("lib.js", `module.exports = { word: "c2" };\n`);
    expect(await text(a)).toBe("c2:c2:C2");
  });

  test("a circular import chain reloads as one unit", async () => {
    const { a } = await start({
      "a.ts": `import { b } from "./b.ts";\nexport const a = () => "a1+" + b();\n`,
      "b.ts": `import { a } from "./a.ts";\nexport const b = () => "b1";\nexport const viaA = () => a();\n`,
      "main.ts": `import { viaA } from "./b.ts";\nexport default { fetch: () => new Response(viaA()) };\n`,
    });
    expect(await text(a)).toBe("a1+b1");
    await a.write("a.ts", `import { b } from "./b.ts";\nexport const a = () => "a2+" + b();\n`);
    expect(await text(a)).toBe("a2+b1");
    await a.write("b.ts", `import { a } from "./a.ts";\nexport const b = () => "b2";\nexport const viaA = () => a();\n`);
    expect(await text(a)).toBe("a2+b2");
  });

  test("a named export is served with main.ts:app, and a default-exported function too", async () => {
    const { a, fx } = await start(
      { "main.ts": `export const app = { fetch: () => new Response("named") };\nexport default (req: Request) => new Response("fn");\n` },
      "main.ts",
      { exportName: "app" },
    );
    expect(await text(a)).toBe("named");
    await a.edit("main.ts", `"named"`, `"named2"`);
    expect(await text(a)).toBe("named2");
    await a.stop();
    expect(await text(await again(fx))).toBe("fn");
  });

  test("a Hono app exported as default is served and reloads", async () => {
    const { a } = await start({
      "routes.ts": `export const msg = "hono1";\n`,
      "main.ts": `import { Hono } from "hono";\nimport { msg } from "./routes.ts";\nconst app = new Hono();\napp.get("/", (c) => c.text(msg));\nexport default app;\n`,
    });
    expect(await text(a)).toBe("hono1");
    await a.write("routes.ts", `export const msg = "hono2";\n`);
    expect(await text(a)).toBe("hono2");
  });

  test("an entry that calls Bun.serve() itself keeps its server across reloads", async () => {
    const { a } = await start({
      "handler.ts": `export const text = "own1";\n`,
      "main.ts": `import { text } from "./handler.ts";\nBun.serve({ fetch: () => new Response(text) });\n`,
    });
    const url = String(a.url);
    expect(await text(a)).toBe("own1");
    for (const v of ["own2", "own3"]) {
      expect((await a.write("handler.ts", `export const text = "${v}";\n`)).kind).toBe("ok");
      expect(await text(a)).toBe(v);
    }
    expect(String(a.url)).toBe(url);
    expect(a.logs.join("\n")).not.toMatch(/EADDRINUSE|in use/);
  });
});
