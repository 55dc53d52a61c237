import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { scenarios, counter, runCounts } from "./support/scenario.ts";

const { start, again } = scenarios();


describe("loading: what belongs to the graph", () => {
  test("JSON, TOML and text imports are graph nodes: editing one re-runs its importer", async () => {
    const { fx, run } = start({
      "data.json": `{ "name": "alpha" }`,
      "conf.toml": `level = 1\n`,
      "note.txt": `hello`,
      "main.ts": `import data from "./data.json";\nimport conf from "./conf.toml";\nimport note from "./note.txt" with { type: "text" };\n` +
        `export default { fetch: () => new Response(data.name + ":" + conf.level + ":" + note) };\n`,
    });
    await run.until("alpha:1:hello");
    fx.write("data.json", `{ "name": "beta" }`);
    await run.until("beta:1:hello");
    fx.write("conf.toml", `level = 2\n`);
    await run.until("beta:2:hello");
    fx.write("note.txt", `bye`);
    await run.until("beta:2:bye");
  });

  test("a dynamic import() target is evicted, not re-run, and the next import() gets new code", async () => {
    const { fx, run } = start({
      "lazy.ts": counter("lazy") + `export const v = "one";\n`,
      "main.ts": counter("main") +
        `export default { fetch: async () => { const m = await import("./lazy.ts"); return new Response(m.v + ":" + ${runCounts}); } };\n`,
    });
    await run.until(`one:{"main":1,"lazy":1}`);
    const m = run.mark();
    fx.write("lazy.ts", counter("lazy") + `export const v = "two";\n`);
    await run.reloaded(m);
    // main did not run again; lazy runs again only when import() asks for it.
    await run.until(`two:{"main":1,"lazy":2}`);
  });

  test("tsconfig paths aliases resolve as Bun resolves them", async () => {
    const { fx, run } = start({
      "tsconfig.json": JSON.stringify({ compilerOptions: { baseUrl: ".", paths: { "@lib/*": ["src/lib/*"] } } }),
      "src/lib/name.ts": `export const name = "aliased";\n`,
      "main.ts": `import { name } from "@lib/name";\nexport default { fetch: () => new Response(name) };\n`,
    });
    await run.until("aliased");
    fx.write("src/lib/name.ts", `export const name = "re-aliased";\n`);
    await run.until("re-aliased");
  });

  test("a workspace package linked into node_modules is a project file (monorepo)", async () => {
    const { fx, run } = start({
      "packages/shared/package.json": JSON.stringify({ name: "shared", type: "module", exports: "./index.ts" }),
      "packages/shared/index.ts": `export const shared = "ws1";\n`,
      "apps/api/main.ts": `import { shared } from "shared";\nexport default { fetch: () => new Response(shared) };\n`,
    }, ["apps/api/main.ts"]);
    mkdirSync(fx.path("apps/api/node_modules"), { recursive: true });
    symlinkSync(fx.path("packages/shared"), fx.path("apps/api/node_modules/shared"));
    await run.until("ws1");
    fx.write("packages/shared/index.ts", `export const shared = "ws2";\n`);
    await run.until("ws2");
  });

  test("CommonJS files (.js with module.exports, .cjs with require) load and reload", async () => {
    const { fx, run } = start({
      "lib.js": `module.exports = { word: "c1" };\n`,
      "mid.cjs": `const lib = require("./lib.js");\nmodule.exports = { shout: () => lib.word.toUpperCase() };\n`,
      "main.ts": `import lib, { word } from "./lib.js";\nimport mid from "./mid.cjs";\n` +
        `export default { fetch: () => new Response(lib.word + ":" + word + ":" + mid.shout()) };\n`,
    });
    await run.until("c1:c1:C1");
    fx.write("lib.js", `module.exports = { word: "c2" };\n`);
    await run.until("c2:c2:C2");
  });

  test("a circular import chain reloads as one unit", async () => {
    const { fx, run } = start({
      "a.ts": `import { b } from "./b.ts";\nexport const a = () => "a1+" + b();\n`,
      "b.ts": `import { a } from "./a.ts";\nexport const b = () => "b1";\nexport const viaA = () => a();\n`,
      "main.ts": `import { viaA } from "./b.ts";\nexport default { fetch: () => new Response(viaA()) };\n`,
    });
    await run.until("a1+b1");
    fx.write("a.ts", `import { b } from "./b.ts";\nexport const a = () => "a2+" + b();\n`);
    await run.until("a2+b1");
    fx.write("b.ts", `import { a } from "./a.ts";\nexport const b = () => "b2";\nexport const viaA = () => a();\n`);
    await run.until("a2+b2");
  });

  test("a named export is served with main.ts:app, and a default-exported function too", async () => {
    const { fx, run } = start({
      "main.ts": `export const app = { fetch: () => new Response("named") };\nexport default (req: Request) => new Response("fn");\n`,
    }, ["main.ts:app"]);
    await run.until("named");
    fx.edit("main.ts", `"named"`, `"named2"`);
    await run.until("named2");
    const other = again(fx, ["main.ts"]);
    await other.until("fn");
  });

  test("a Hono app exported as default is served and reloads", async () => {
    const { fx, run } = start({
      "routes.ts": `export const msg = "hono1";\n`,
      "main.ts": `import { Hono } from "hono";\nimport { msg } from "./routes.ts";\nconst app = new Hono();\napp.get("/", (c) => c.text(msg));\nexport default app;\n`,
    });
    await run.until("hono1");
    fx.write("routes.ts", `export const msg = "hono2";\n`);
    await run.until("hono2");
  });

  test("an entry that calls Bun.serve() itself keeps its server across reloads", async () => {
    const { fx, run } = start({
      "handler.ts": `export const text = "own1";\n`,
      "main.ts": `import { text } from "./handler.ts";\nBun.serve({ fetch: () => new Response(text) });\n`,
    });
    await run.until("own1");
    for (const v of ["own2", "own3"]) {
      fx.write("handler.ts", `export const text = "${v}";\n`);
      await run.until(v);
    }
    expect(run.out).not.toMatch(/EADDRINUSE|in use/);
  });
});
