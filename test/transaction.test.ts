// A reload is a transaction: a module that throws while running brings back the last
// good code of everything the reload disposed, and cycles re-run in the order Bun ran them.
// In-process through hmr-run/testing: the CLI adds nothing to these.
import { describe, expect, test } from "bun:test";
import { inProcessApps } from "./support/in-process.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const { start, text } = inProcessApps();

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
    await a.changed([]).catch(() => undefined);
    const r = await a.edit("main.ts", `"v1"`, `"v2"`);
    expect(r.kind).toBe("ok");
    expect(await text()).toBe("v2");
  });
});

describe("many modules to run", () => {
  // 16 modules import shared.ts: past the changed module they run in one import.
  const wide = () => {
    const files: Record<string, string> = {
      "shared.ts": `export const S = "s1";\n`,
      "main.ts": "",
    };
    const names = Array.from({ length: 16 }, (_, i) => `m${i}`);
    for (const m of names) {
      files[`${m}.ts`] =
        `import { S } from "./shared.ts";\n(globalThis as any).ran = ((globalThis as any).ran ?? 0) + 1;\n` +
        `export const ${m} = () => S + ":${m}";\n`;
    }
    files["main.ts"] =
      names.map((m) => `import { ${m} } from "./${m}.ts";\n`).join("") +
      `export default { fetch: () => new Response([${names.join(", ")}].map((f) => f()).join(",")) };\n`;
    return files;
  };

  test("all of them run again, in one reload, and serve the new value", async () => {
    const a = await start(wide());
    expect(await text()).toStartWith("s1:m0,s1:m1");
    const before = (globalThis as any).ran;
    const r = await a.edit("shared.ts", `"s1"`, `"s2"`);
    expect(r.kind).toBe("ok");
    expect(r.executed.length).toBe(18);
    expect(r.executed[0]).toBe("shared.ts");
    expect((globalThis as any).ran - before).toBe(16);
    expect(await text()).toBe(Array.from({ length: 16 }, (_, i) => `s2:m${i}`).join(","));
  });

  test("one of them throwing rolls every one back to the code that worked", async () => {
    const a = await start(wide());
    await a.write("m7.ts", `import { S } from "./shared.ts";\nif (S === "s3") throw new Error("no s3");\nexport const m7 = () => S + ":m7";\n`);
    expect(await text()).toContain("s1:m7");
    const bad = await a.edit("shared.ts", `"s1"`, `"s3"`);
    expect(bad.kind).toBe("rolled-back");
    expect(String(bad.error)).toContain("no s3");
    expect(await text()).toBe(Array.from({ length: 16 }, (_, i) => `s1:m${i}`).join(","));
    expect((await a.edit("shared.ts", `"s3"`, `"s4"`)).kind).toBe("ok");
    expect(await text()).toContain("s4:m7");
  });
});

describe("modules Bun loads without the plugin", () => {
  test("a module that starts using import.meta.hot, and a new one that uses it, get their hot context", async () => {
    const a = await start({
      "leaf.ts": `export const L = "l1";\n`,
      "main.ts": `import { L } from "./leaf.ts";\n(globalThis as any).mainRuns = ((globalThis as any).mainRuns ?? 0) + 1;\nexport default { fetch: () => new Response(L) };\n`,
    });
    expect(await text()).toBe("l1");
    // Self-accepting from now on: main.ts does not run again for it.
    const r = await a.write("leaf.ts", `export const L = "l2";\nimport.meta.hot?.accept();\n`);
    expect(r.kind).toBe("ok");
    expect(r.executed).toEqual(["leaf.ts", "main.ts"]);
    const runs = (globalThis as any).mainRuns;
    expect((await a.write("leaf.ts", `export const L = "l3";\nimport.meta.hot?.accept();\n`)).executed).toEqual(["leaf.ts"]);
    expect((globalThis as any).mainRuns).toBe(runs);
    // A file created while the app runs, imported by the next save.
    // Not imported yet: its save reloads nothing (and says nothing), but it is seen.
    writeFileSync(join(a.root, "fresh.ts"), `export const hot = import.meta.hot ? "hot" : "plain";\n`);
    await a.changed(["fresh.ts"]).catch(() => undefined);
    await a.write("main.ts", `import { hot } from "./fresh.ts";\nexport default { fetch: () => new Response(hot) };\n`);
    expect(await text()).toBe("hot");
  });

  test("a save that changes only a comment right after start runs nothing; a revert after a rollback neither", async () => {
    const a = await start({
      "dep.ts": `export const D = "d1";\n`,
      "main.ts": `import { D } from "./dep.ts";\nexport default { fetch: () => new Response(D) };\n`,
    });
    expect((await a.write("dep.ts", `// a note\nexport const D = "d1";\n`)).kind).toBe("skipped");
    const bad = await a.write("dep.ts", `throw new Error("nope");\nexport const D = "d2";\n`);
    expect(bad.kind).toBe("rolled-back");
    expect(await text()).toBe("d1");
    expect((await a.write("dep.ts", `// a note\nexport const D = "d1";\n`)).kind).toBe("skipped");
  });
});

describe("many modules that import the entry back", () => {
  // The shape of an Elysia app whose routes import the entry's logger: main.ts calls
  // Bun.serve and imports 13 routes, each of which imports lib.ts and main.ts.
  const cyclic = () => {
    const names = Array.from({ length: 13 }, (_, i) => `r${i}`);
    const files: Record<string, string> = { "lib.ts": `export const V = "v1";\n` };
    for (const r of names) {
      files[`${r}.ts`] = `import { V } from "./lib.ts";\nimport { tag } from "./main.ts";\nexport const ${r} = () => tag(V + ":${r}");\n`;
    }
    files["main.ts"] =
      names.map((r) => `import { ${r} } from "./${r}.ts";\n`).join("") +
      `export const tag = (s: string) => s;\n(globalThis as any).listened = ((globalThis as any).listened ?? 0) + 1;\n` +
      `Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response([${names.join(", ")}].map((f) => f()).join(",")) });\n`;
    return files;
  };
  const all = (v: string) => Array.from({ length: 13 }, (_, i) => `${v}:r${i}`).join(",");

  test("after a throw and its fix, the entry runs again and serves the new code", async () => {
    const a = await start(cyclic());
    expect(await text()).toBe(all("v1"));
    await a.write("lib.ts", `export const V = "v2";\nthrow new Error("broken lib");\n`);
    expect(await text()).toBe(all("v1"));
    const listened = (globalThis as any).listened;
    const fixed = await a.write("lib.ts", `export const V = "v3";\n`);
    expect(fixed.kind).toBe("ok");
    expect(fixed.kind === "ok" && fixed.executed).toContain("main.ts");
    expect((globalThis as any).listened).toBe(listened + 1);
    expect(await text()).toBe(all("v3"));
  });
});
