// The check before anything is disposed: what it refuses never runs a dispose hook, and
// a file it refused never blocks saves of other files. In-process through hmr-run/testing.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestApp } from "hmr-run/testing";
import { inProcessApps } from "./support/in-process.ts";
import { namedImports, exportNames } from "../src/check/imports.ts";
import { badDataFile } from "../src/check/data.ts";
import { beforeRunning, locate, messageOf, report, where as whereOf } from "../src/errors.ts";

const { start, text } = inProcessApps();
const disposals = (a: TestApp) => ((globalThis as any)[a.root + "disposed"] ?? []) as string[];
/** Source that records its module's dispose hook runs. */
const disposed = (name: string) => `import.meta.hot?.dispose(() => { ((globalThis as any)[import.meta.dir + "disposed"] ??= []).push("${name}"); });\n`;
const where = (r: { error?: unknown }, a: TestApp) => {
  const loc = locate(r.error, (f) => f.startsWith(a.root));
  return loc && `${loc.file.slice(a.root.length + 1)}:${loc.line}`;
};

describe("the check refuses before any dispose", () => {
  test("a renamed export still imported by an unchanged module: refused at the import, nothing disposed", async () => {
    const a = await start({
      "greet.ts": disposed("greet") + `export const greeting = "hi";\n`,
      "main.ts": disposed("main") + `import {\n  greeting,\n} from "./greet.ts";\nexport default { fetch: () => new Response(greeting) };\n`,
    });
    const r = await a.edit("greet.ts", "export const greeting", "export const salutation");
    expect(r.kind).toBe("failed");
    expect(r.result.kind === "failed" && r.result.phase).toBe("check");
    expect(messageOf(r.error)).toContain("'greeting' not found");
    expect(where(r, a)).toBe("main.ts:3");
    expect(report(r.error, (f) => f.startsWith(a.root)).frame).toContain("greeting,");
    expect(disposals(a)).toEqual([]);
    expect(await text()).toBe("hi");
    // Fixing the importer applies both files.
    const fixed = await a.write("main.ts", `import { salutation } from "./greet.ts";\nexport default { fetch: () => new Response(salutation + "!") };\n`);
    expect(fixed.kind).toBe("ok");
    expect(await text()).toBe("hi!");
  });

  test("a save that changes only a comment runs nothing; one that changes an unused local runs (a debugger shows that value)", async () => {
    const a = await start({
      "route.ts": `// v1\nexport function answer() {\n  const label = "v1";\n  return "ok";\n}\n`,
      "main.ts": `import { answer } from "./route.ts";\nexport default { fetch: () => new Response(answer()) };\n`,
    });
    expect((await a.edit("route.ts", "// v1", "// v2")).kind).toBe("skipped");
    expect((await a.edit("route.ts", `"v1"`, `"v2"`)).kind).toBe("ok");
  });

  test("an export taken away without a rename (no `export`, comment-only, emptied) is refused at the import, nothing disposed", async () => {
    const a = await start({
      "greet.ts": disposed("greet") + `export const greeting = "hi";\n`,
      "main.ts": disposed("main") + `import { greeting } from "./greet.ts";\nexport default { fetch: () => new Response(greeting) };\n`,
    });
    for (const text of [`const greeting = "hello";\n`, `// greeting moved elsewhere\n`]) {
      const r = await a.write("greet.ts", text);
      expect(r.kind === "failed" && r.result.kind === "failed" && r.result.phase).toBe("check");
      expect(messageOf(r.error)).toContain("export named 'greeting' not found in './greet.ts'");
      expect(messageOf(r.error)).toEndWith("main.ts (it exports: nothing by name)");
      expect(where(r, a)).toBe("main.ts:2");
    }
    expect(disposals(a)).toEqual([]);
    expect(await text()).toBe("hi");
  });

  test("a changed module importing a name its (unchanged) target lacks is refused", async () => {
    const a = await start({
      "lib.ts": `export const one = 1;\n`,
      "main.ts": `import { one } from "./lib.ts";\nexport default { fetch: () => new Response(String(one)) };\n`,
    });
    const r = await a.write("main.ts", `import { one, two } from "./lib.ts";\nexport default { fetch: () => new Response(String(one + two)) };\n`);
    expect(r.kind).toBe("failed");
    expect(messageOf(r.error)).toContain("'two' not found");
    expect(messageOf(r.error)).toContain("it exports: one");
    expect(where(r, a)).toBe("main.ts:1");
  });

  test("malformed JSON, JSONC and TOML imports are refused with their line", async () => {
    const a = await start({
      "a.json": `{ "v": "j" }\n`,
      "b.jsonc": `{ // c\n "v": "c", }\n`,
      "c.toml": `v = "t"\n`,
      "main.ts": disposed("main") + `import a from "./a.json";\nimport b from "./b.jsonc";\nimport c from "./c.toml";\nexport default { fetch: () => new Response(a.v + b.v + c.v) };\n`,
    });
    expect(await text()).toBe("jct");
    for (const [file, bad, line] of [["a.json", `{\n  "v": "j2",\n}\n`, 3], ["b.jsonc", `{\n "v": "c2"\n "w": 1 }\n`, 3], ["c.toml", `v = "t2"\nw = = 1\n`, 2]] as const) {
      const r = await a.write(file, bad);
      expect(r.kind).toBe("failed");
      expect(where(r, a)).toBe(`${file}:${line}`);
    }
    expect(disposals(a)).toEqual([]);
    expect(await text()).toBe("jct");
  });

  test("a forced reload (r) with a broken file on disk is refused before any dispose", async () => {
    const a = await start({
      "dep.ts": disposed("dep") + `export const V = "v1";\n`,
      "main.ts": disposed("main") + `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    a.app.graph; // the graph is built in the background; a reload indexes what is left
    await Bun.write(a.path("dep.ts"), `export const V = "v2" +;\n`);
    const r = await a.reloadAll();
    expect(r.kind).toBe("failed");
    expect(r.result.kind === "failed" && r.result.phase).toBe("check");
    expect(disposals(a)).toEqual([]);
    expect(await text()).toBe("v1");
  });
});

describe("the retry set cannot trap", () => {
  test("a refused file does not block saves of other files, and reverting it clears it", async () => {
    const a = await start({
      "a.ts": `export const A = "a1";\n`,
      "b.ts": `export const B = "b1";\n`,
      "main.ts": `import { A } from "./a.ts";\nimport { B } from "./b.ts";\nexport default { fetch: () => new Response(A + B) };\n`,
    });
    const good = a.path("a.ts");
    const original = await Bun.file(good).text();
    expect((await a.write("a.ts", `export const A = "a2" +;\n`)).kind).toBe("failed");
    // Another file: it reloads, the refused one is not checked again.
    const other = await a.edit("b.ts", `"b1"`, `"b2"`);
    expect(other.kind).toBe("ok");
    expect(await text()).toBe("a1b2");
    // Reverting the refused file: nothing to do, and nothing left to retry.
    expect((await a.write("a.ts", original)).kind).toBe("skipped");
    expect((await a.edit("b.ts", `"b2"`, `"b3"`)).kind).toBe("ok");
    expect(await text()).toBe("a1b3");
  });

  test("a file the app writes next to its code does not re-check (and re-log) a refused file", async () => {
    const a = await start({ "a.ts": `export const A = "a1";\n`, "main.ts": `import { A } from "./a.ts";\nexport default { fetch: () => new Response(A) };\n` });
    expect((await a.write("a.ts", `export const A = "a2" +;\n`)).kind).toBe("failed");
    const seen = a.results.length;
    for (let i = 0; i < 3; i++) {
      await Bun.write(a.path("app.log"), `line ${i}\n`);
      // Not part of the app: no reload runs, and none is told.
      await a.changed(["app.log"]).catch(() => undefined);
    }
    expect(a.results.length).toBe(seen);
  });

  test("a module that throws, then is reverted, leaves nothing to retry", async () => {
    const a = await start({
      "a.ts": `export const A = "a1";\n`,
      "b.ts": `export const B = "b1";\n`,
      "main.ts": `import { A } from "./a.ts";\nimport { B } from "./b.ts";\nexport default { fetch: () => new Response(A + B) };\n`,
    });
    const original = await Bun.file(a.path("a.ts")).text();
    expect((await a.write("a.ts", `throw new Error("no");\nexport const A = "a2";\n`)).kind).toBe("rolled-back");
    expect(await text()).toBe("a1b1");
    expect((await a.write("a.ts", original)).kind).toBe("skipped");
    expect((await a.edit("b.ts", `"b1"`, `"b2"`)).kind).toBe("ok");
    expect(await text()).toBe("a1b2");
  });
});

describe("pieces of the check", () => {
  test("namedImports reads Bun's output: braces, aliases, defaults, re-exports", () => {
    const code = `import { a, b as c } from "./x";\nimport {\n  m,\n  n as o\n} from "./v";\nimport D, * as NS from "./y";\nexport { e as f, default as g } from "./z";\nexport * from "./w";\nimport "./side";\n`;
    expect(namedImports(code)).toEqual([
      { spec: "./x", name: "a" },
      { spec: "./x", name: "b" },
      { spec: "./v", name: "m" },
      { spec: "./v", name: "n" },
      { spec: "./y", name: "default" },
      { spec: "./z", name: "e" },
      { spec: "./z", name: "default" },
    ]);
  });

  test("exportNames is unknown with export * or CommonJS", () => {
    expect([...exportNames(`export const a = 1;\nexport default 2;\n`)!].sort()).toEqual(["a", "default"]);
    expect(exportNames(`export * from "./x";\nexport const a = 1;\n`)).toBeUndefined();
    expect(exportNames(`module.exports = { a: 1 };\n`)).toBeUndefined();
    expect(exportNames(`exports.a = 1;\n`)).toBeUndefined();
    expect(exportNames(`const a = require("./a");\n`)).toBeUndefined();
  });

  test("exportNames of a module with no export statement and nothing of CommonJS is empty: Bun links it as a module that exports nothing", () => {
    expect(exportNames(`const V = 1;\n`)).toEqual(new Set());
    expect(exportNames(``)).toEqual(new Set());
    expect(exportNames(`// only a comment\n`)).toEqual(new Set());
  });

  test("a thrown Proxy whose every read throws is reported, named by the module that was loading", () => {
    const trap = () => {
      throw new Error("trap");
    };
    const hostile = new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    expect(messageOf(hostile)).toBe("a Proxy that throws when read (trap)");
    const r = report(hostile, (f) => f.startsWith("/app/"), "/app/dep.ts");
    expect(r).toEqual({ message: "a Proxy that throws when read (trap)", location: { file: "/app/dep.ts" }, frame: undefined });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ message: r.message, location: { file: "/app/dep.ts" } });
    expect(whereOf({ file: join(process.cwd(), "dep.ts") })).toBe("dep.ts");
    // A location the error gives wins over the module that was loading; none outside the app is taken.
    expect(report(new Error("x"), (f) => f.startsWith("/app/"), "/elsewhere/a.ts").location).toBeUndefined();
  });

  test("data files that parse pass; YAML is checked when Bun has a parser for it", () => {
    expect(badDataFile("/p/a.json", `{"a": [1, 2]}`)).toBeUndefined();
    expect(badDataFile("/p/a.jsonc", `{ /* c */ "a": 1, }`)).toBeUndefined();
    expect(badDataFile("/p/a.toml", `[t]\na = 1\n`)).toBeUndefined();
    expect(badDataFile("/p/a.txt", `{`)).toBeUndefined();
  });

  test("errors are read defensively, and frames come only from the user's files", () => {
    const hostile = { get message(): string { throw new Error("no"); }, get stack(): string { throw new Error("no"); } };
    expect(messageOf(hostile)).toBeString();
    expect(() => report(hostile, () => true)).not.toThrow();
    const passwd = { message: "x", position: { file: "/etc/passwd", line: 1, column: 0 } };
    expect(report(passwd, (f) => f.startsWith("/tmp/app/")).frame).toBeUndefined();
  });

  test("parse and resolve errors are told apart from errors thrown by running code", async () => {
    const broken = "data:text/javascript,export const x = 1 +;";
    const parse = await import(broken).catch((e: unknown) => e);
    expect(beforeRunning(parse)).toBe(true);
    expect(beforeRunning({ name: "ResolveMessage", message: "Cannot find module" })).toBe(true);
    expect(beforeRunning(new AggregateError([{ name: "BuildMessage" }, { name: "BuildMessage" }]))).toBe(true);
    expect(beforeRunning(new AggregateError([{ name: "BuildMessage" }, new Error("ran")]))).toBe(false);
    expect(beforeRunning(new Error("missing creds"))).toBe(false);
    expect(beforeRunning(Object.create(null))).toBe(false);
  });
});

describe("barrels", () => {
  test("an export renamed behind `export *` is refused at the import from the barrel", async () => {
    const a = await start({
      "lib/greet.ts": `export const greeting = "hi";\n`,
      "lib/index.ts": `export * from "./greet.ts";\nexport const version = 1;\n`,
      "main.ts": `import { greeting } from "./lib/index.ts";\nexport default { fetch: () => new Response(greeting) };\n`,
    });
    const r = await a.edit("lib/greet.ts", "export const greeting", "export const salutation");
    expect(r.kind).toBe("failed");
    expect(where(r, a)).toBe("main.ts:1");
    expect(await text()).toBe("hi");
  });
});

describe("the rest of a write", () => {
  const files = {
    "a.ts": `export const A0 = "0";\n`,
    "main.ts": `import { A0 } from "./a.ts";\nexport default { fetch: () => new Response(A0) };\n`,
  };
  // a.ts alone breaks main.ts's import: a check of it alone fails.
  const firstPart = (a: TestApp) => writeFileSync(join(a.root, "a.ts"), `export const A1 = "1";\n`);
  const secondPart = (a: TestApp) => writeFileSync(join(a.root, "main.ts"), `import { A1 } from "./a.ts";\nexport default { fetch: () => new Response(A1) };\n`);

  test("two dependent files saved together are one reload, and no failure is told", async () => {
    const a = await start(files);
    const before = a.results.length;
    firstPart(a);
    secondPart(a);
    await Promise.all([a.changed(["a.ts"]), a.changed(["main.ts"])]);
    expect(a.results.slice(before).map((r) => r.kind)).toEqual(["ok"]);
    expect(await text()).toBe("1");
  });

  test("when the second part comes after the failure was told, the failure stands and the second part recovers", async () => {
    const a = await start(files);
    const before = a.results.length;
    firstPart(a);
    expect((await a.changed(["a.ts"])).kind).toBe("failed");
    secondPart(a);
    expect((await a.changed(["main.ts"])).kind).toBe("ok");
    expect(a.results.slice(before).map((r) => r.kind)).toEqual(["failed", "ok"]);
    expect(await text()).toBe("1");
  });
});
