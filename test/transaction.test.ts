// A reload is a transaction: a module that throws while running brings back the last
// good code of everything the reload disposed, and cycles re-run in the order Bun ran them.
// In-process through hmr-run/testing: the CLI adds nothing to these.
import { afterEach, describe, expect, test } from "bun:test";
import { startApp, type TestApp } from "hmr-run/testing";
import { Fixture } from "./support/fixture.ts";

const fixtures: Fixture[] = [];
let app: TestApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  for (const f of fixtures.splice(0)) f.cleanup();
});

async function start(files: Record<string, string>) {
  const fx = new Fixture(files, { nodeModules: false });
  fixtures.push(fx);
  app = await startApp(fx.path("main.ts"), { logLevel: "silent" });
  return app;
}
const text = async (path = "/") => (await app!.fetch(path)).text();

describe("rollback", () => {
  test("a module that closes its database on dispose, then throws, serves its old code again and it works", async () => {
    const a = await start({
      "db.ts":
        `import { Database } from "bun:sqlite";\n` +
        `const db = new Database(":memory:");\n` +
        `db.run("create table t (v text)"); db.run("insert into t values ('one')");\n` +
        `import.meta.hot?.dispose(() => db.close());\n` +
        `export const read = () => (db.query("select v from t").get() as { v: string }).v;\n`,
      "main.ts": `import { read } from "./db.ts";\nexport default { fetch: () => new Response(read()) };\n`,
    });
    expect(await text()).toBe("one");
    const bad = await a.edit("db.ts", `export const read`, `throw new Error("boom");\nexport const read`);
    expect(bad.kind).toBe("rolled-back");
    expect(String(bad.error)).toContain("boom");
    if (bad.result.kind === "rolled-back") expect(bad.result.restored.map((p) => p.slice(a.root.length + 1))).toEqual(["db.ts", "main.ts"]);
    expect(await text()).toBe("one");
    // Removing the throw brings back the text that runs now: nothing to do.
    const fixed = await a.edit("db.ts", `throw new Error("boom");\n`, ``);
    expect(fixed.kind).toBe("skipped");
    expect(await text()).toBe("one");
  });

  test("an entry that no longer exports a handler rolls back to the old one, whose modules still work", async () => {
    const a = await start({
      "dep.ts": `let n = 0;\nimport.meta.hot?.dispose(() => { n = -1000; });\nexport const next = () => ++n;\n`,
      "main.ts": `import { next } from "./dep.ts";\nexport default { fetch: () => new Response(String(next())) };\n`,
    });
    expect(await text()).toBe("1");
    const bad = await a.write("main.ts", `import { next } from "./dep.ts";\nexport default 42;\n`);
    expect(bad.kind).toBe("rolled-back");
    expect(bad.result.kind === "rolled-back" && bad.result.phase).toBe("serve");
    expect(await text()).toBe("2");
  });
});

describe("cycles", () => {
  test("a two-file cycle reloads when either member changes", async () => {
    const a = await start({
      "a.ts": `import { b } from "./b.ts";\nexport const a = "a1";\nexport const both = () => a + b;\n`,
      "b.ts": `import { both } from "./a.ts";\nexport const b = "b1";\nexport const call = () => both();\n`,
      "main.ts": `import { call } from "./b.ts";\nimport "./a.ts";\nexport default { fetch: () => new Response(call()) };\n`,
    });
    expect(await text()).toBe("a1b1");
    expect((await a.edit("a.ts", `"a1"`, `"a2"`)).kind).toBe("ok");
    expect(await text()).toBe("a2b1");
    expect((await a.edit("b.ts", `"b1"`, `"b2"`)).kind).toBe("ok");
    expect(await text()).toBe("a2b2");
  });

  test("a class hierarchy across a cycle re-runs in the order Bun first ran it", async () => {
    // base.ts must run before child.ts (class Child extends Base at top level); an order
    // picked from whichever file changed runs child.ts first: "Cannot access 'Base'".
    const a = await start({
      "base.ts": `import { Child } from "./child.ts";\nexport class Base { name() { return "base1"; } }\nexport const make = () => new Child();\n`,
      "child.ts": `import { Base } from "./base.ts";\nexport class Child extends Base { override name() { return "child1:" + super.name(); } }\n`,
      "main.ts": `import "./child.ts";\nimport { make } from "./base.ts";\nexport default { fetch: () => new Response(make().name()) };\n`,
    });
    expect(await text()).toBe("child1:base1");
    expect((await a.edit("child.ts", `"child1:"`, `"child2:"`)).kind).toBe("ok");
    expect(await text()).toBe("child2:base1");
    expect((await a.edit("base.ts", `"base1"`, `"base2"`)).kind).toBe("ok");
    expect(await text()).toBe("child2:base2");
  });
});

describe("the reload queue", () => {
  test("a reload with nothing to do does not wedge the queue", async () => {
    const a = await start({ "main.ts": `export default { fetch: () => new Response("v1") };\n` });
    await a.app.changed([]);
    const r = await a.edit("main.ts", `"v1"`, `"v2"`);
    expect(r.kind).toBe("ok");
    expect(await text()).toBe("v2");
  });
});
