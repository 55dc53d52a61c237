/**
 * Setups real Bun apps have, through the real CLI: the project's tsconfig (JSX runtime,
 * decorators), Bun plugins, file-system routers, workspaces and Bun's own env files.
 */
import { describe, expect, test } from "bun:test";
import { unlinkSync } from "node:fs";
import { scenarios, counter, runCounts, reloadLines } from "./support/scenario.ts";

const { start } = scenarios();

describe("the project's tsconfig", () => {
  test("Hono JSX pages reload, decorator metadata edits apply, type-only imports are not edges", async () => {
    const { fx, run } = start(
      {
        "tsconfig.base.json": `{\n  // as a Hono app with decorators sets it\n  "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "hono/jsx", "experimentalDecorators": true, "emitDecoratorMetadata": true, },\n}\n`,
        "tsconfig.json": `{ "extends": "./tsconfig.base.json" }\n`,
        // Imported by page.tsx only as a type: Bun never runs it.
        "models.ts": counter("models") + `export class Model { id = 1; }\n`,
        "page.tsx": `import { Model } from "./models.ts";\nexport const Page = (p: { m?: Model }) => <h1>Page one</h1>;\n`,
        "entity.ts":
          `const types: Record<string, string> = {};\n` +
          `(Reflect as any).metadata = (k: string, v: any) => (_t: unknown, key: string) => { if (k === "design:type") types[key] = v.name; };\n` +
          `const Field = (): PropertyDecorator => () => {};\n` +
          `export class Entity { @Field() title!: string; }\nexport const titleType = () => types.title;\n`,
        "main.tsx":
          `import { Hono } from "hono";\nimport { Page } from "./page.tsx";\nimport { titleType } from "./entity.ts";\n` +
          `const app = new Hono();\napp.get("/", (c) => c.html(<Page />));\n` +
          `app.get("/type", (c) => c.text(titleType() + " " + ${runCounts}));\nexport default app;\n`,
      },
      ["main.tsx"],
      { HMR_RUN_KEYS: "1" },
    );
    await run.until("<h1>Page one</h1>");
    let m = run.mark();
    fx.edit("page.tsx", "Page one", "Page two");
    await run.until("<h1>Page two</h1>");
    // page.tsx and main.tsx: models.ts is not part of what runs.
    expect(reloadLines(await run.reloaded(m))[0]).toMatch(/page\.tsx → 2 modules re-ran/);
    // Only the emitted metadata changes: not a no-op save.
    fx.edit("entity.ts", "title!: string", "title!: number");
    await run.until((b) => b.startsWith("Number "), "/type");
    // The new code answers before its reload's line is printed: wait for it before marking.
    await run.output("entity.ts → ");
    m = run.mark();
    run.proc.stdin.write("r\n");
    await run.proc.stdin.flush();
    await run.reloaded(m);
    expect(await run.get("/type")).toBe("Number undefined");
  });
});

describe("Bun plugins", () => {
  test("a bunfig.toml preload's virtual module is not missing; a file its loader reads is watched", async () => {
    const { fx, run } = start({
      "bunfig.toml": `preload = ["./plugins.ts"]\n`,
      "plugins.ts":
        `import { plugin } from "bun";\nplugin({\n  name: "app",\n  setup(build) {\n` +
        `    build.module("virtual:config", () => ({ exports: { greeting: "hi" }, loader: "object" }));\n` +
        `    build.onResolve({ filter: /\\.virtual$/ }, (args) => ({ path: args.path, namespace: "v" }));\n` +
        `    build.onLoad({ filter: /.*/, namespace: "v" }, () => ({ exports: { v: "virt" }, loader: "object" }));\n` +
        `    build.onLoad({ filter: /\\.tpl$/ }, async (args) => ({ exports: { default: (await Bun.file(args.path).text()).trim() }, loader: "object" }));\n` +
        `  },\n});\n`,
      "page.tpl": "tpl one\n",
      "routes.ts": `import { greeting } from "virtual:config";\nimport { v } from "./x.virtual";\nimport page from "./page.tpl";\nexport const text = () => [greeting, v, page, "r1"].join(" ");\n`,
      "main.ts": `import { text } from "./routes.ts";\nexport default { fetch: () => new Response(text()) };\n`,
    });
    await run.until("hi virt tpl one r1");
    fx.edit("routes.ts", "r1", "r2");
    await run.until("hi virt tpl one r2");
    fx.write("page.tpl", "tpl two\n");
    await run.until("hi virt tpl two r2");
    // What no plugin provides is still missing, before anything is disposed.
    const m = run.mark();
    fx.edit("routes.ts", `"virtual:config"`, `"virtual:nope"`);
    await run.output("Cannot find module 'virtual:nope' imported from routes.ts", m);
  });
});

describe("file-system routers", () => {
  test("readdirSync, fs.globSync and Bun.FileSystemRouter listings: a file created or removed re-runs the module that listed", async () => {
    const { fx, run } = start({
      "pages/a.txt": "A",
      "api/one.ts": `export const name = "one";\n`,
      "pages.ts": counter("pages") + `import { readdirSync } from "node:fs";\nexport const pages = () => readdirSync(import.meta.dir + "/pages").sort().join(",");\nexport const listed = pages();\n`,
      "api.ts":
        counter("api") +
        `import { globSync } from "node:fs";\nconst names: string[] = [];\n` +
        `for (const f of globSync("api/*.ts", { cwd: import.meta.dir })) names.push((await import(import.meta.dir + "/" + f)).name);\nexport const api = names.sort().join(",");\n`,
      "router.ts": counter("router") + `const r = new Bun.FileSystemRouter({ dir: import.meta.dir + "/api", style: "nextjs" });\nexport const routes = Object.keys(r.routes).sort().join(",");\n`,
      "main.ts": `import { listed } from "./pages.ts";\nimport { api } from "./api.ts";\nimport { routes } from "./router.ts";\nexport default { fetch: () => new Response(listed + " " + api + " " + routes + " " + ${runCounts}) };\n`,
    });
    await run.until(`a.txt one /one {"pages":1,"api":1,"router":1}`);
    fx.write("pages/b.txt", "B");
    await run.until(`a.txt,b.txt one /one {"pages":2,"api":1,"router":1}`);
    fx.write("api/two.ts", `export const name = "two";\n`);
    await run.until(`a.txt,b.txt one,two /one,/two {"pages":2,"api":2,"router":2}`);
    // An edit of a listed file is not a listing change; an import() of it still re-runs api.ts.
    fx.write("pages/b.txt", "B2");
    fx.edit("api/two.ts", `"two"`, `"deux"`);
    await run.until(`a.txt,b.txt deux,one /one,/two {"pages":2,"api":3,"router":2}`);
    unlinkSync(fx.path("pages/a.txt"));
    await run.until(`b.txt deux,one /one,/two {"pages":3,"api":3,"router":2}`);
  });
});

describe("Bun's env files", () => {
  const SHOW = `export default { fetch: () => Response.json(["WHO", "LOCAL_ONLY", "FROM_SHELL", "QUOTED"].map((k) => process.env[k] ?? null)) };\n`;

  test("without --env-file: .env, .env.development, .env.local in Bun's order; an edit reloads; the shell always wins", async () => {
    const { fx, run } = start(
      {
        ".env": `WHO=env\nFROM_SHELL=shell\nQUOTED="say \\"hi\\"" # Bun keeps the backslashes\nthis line is not KEY=value\n`,
        ".env.development": "WHO=development\n",
        ".env.local": "LOCAL_ONLY=local\n",
        "main.ts": SHOW,
      },
      ["main.ts"],
      // Set in the shell to the very value .env holds: still the shell's. (bun test sets
      // NODE_ENV=test, where Bun loads .env.test instead: a shell has no NODE_ENV.)
      { FROM_SHELL: "shell", NODE_ENV: "" },
    );
    await run.until(`["development","local","shell","say \\\\\\"hi\\\\\\""]`);
    // Written before the app serves, but read from stderr in its own time.
    await run.output(".env:4: not KEY=value; ignored, as Bun ignores it");
    let m = run.mark();
    fx.write(".env.local", "LOCAL_ONLY=edited\nWHO=local\n");
    await run.until(`["local","edited","shell","say \\\\\\"hi\\\\\\""]`);
    expect(await run.output("(full reload: .env.local changed", m)).toMatch(/\.env\.local → \d+ modules? re-ran in [\d.]+ ms \(full reload: \.env\.local changed (LOCAL_ONLY, WHO|WHO, LOCAL_ONLY)\)/);
    m = run.mark();
    fx.write(".env", "FROM_SHELL=file\n");
    await run.output("(full reload: .env changed QUOTED)", m);
    await run.until(`["local","edited","shell",null]`);
  });
});
