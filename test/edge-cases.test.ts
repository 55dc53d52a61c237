/**
 * Edge cases, most found by running apps nobody here wrote. What is about reloading runs in
 * this process under hmr-run/testing (`inProcess`); what only the CLI shows (a start
 * waiting for a fix, flags, the banner, a second user) runs the real CLI (`start`).
 */
import { describe, expect, test } from "bun:test";
import { scenarios, counter, runCounts } from "./support/scenario.ts";
import { inProcessScenarios, text } from "./support/in-process.ts";
import { freePort } from "./support/fixture.ts";
import { chmodSync, readFileSync, renameSync, utimesSync } from "node:fs";
import { unreadable } from "../src/save-check.ts";

const { start } = scenarios();
const { start: inProcess } = inProcessScenarios();

describe("edge cases: the reload queue and the save check", () => {
  test("a module that throws a value with no toString is reported and the queue keeps going", async () => {
    const { a } = await inProcess({
      "dep.ts": `export const V = "ok1";\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    expect(await text(a)).toBe("ok1");
    const from = a.logs.length;
    expect((await a.write("dep.ts", `export const V = "bad";\nthrow Object.create(null);\n`)).kind).toBe("rolled-back");
    expect(a.logs.slice(from).join("\n")).toMatch(/reload failed|failed while reloading/);
    expect(await text(a)).toBe("ok1");
    expect((await a.write("dep.ts", `export const V = "ok2";\n`)).kind).toBe("ok");
    expect(await text(a)).toBe("ok2");
  });

  test("a broken file and a good one saved together: fixing the broken one applies both", async () => {
    const { a, fx } = await inProcess({
      "a.ts": `export const A = "a1";\n`,
      "b.ts": `export const B = "b1";\n`,
      "main.ts": `import { A } from "./a.ts";\nimport { B } from "./b.ts";\nexport default { fetch: () => new Response(A + " " + B) };\n`,
    });
    expect(await text(a)).toBe("a1 b1");
    fx.write("a.ts", `export const A = "a2" +;\n`);
    fx.write("b.ts", `export const B = "b2";\n`);
    expect((await a.changed(["a.ts", "b.ts"])).kind).toBe("failed");
    expect(await text(a)).toBe("a1 b1");
    await a.write("a.ts", `export const A = "a2";\n`);
    expect(await text(a)).toBe("a2 b2");
  });

  test("an edit inside `if (import.meta.hot) { ... }` is applied", async () => {
    const { a } = await inProcess({
      "main.ts": `let label = "plain";\nif (import.meta.hot) { label = "hot1"; }\nexport default { fetch: () => new Response(label) };\n`,
    });
    expect(await text(a)).toBe("hot1");
    await a.edit("main.ts", `"hot1"`, `"hot2"`);
    expect(await text(a)).toBe("hot2");
  });

  test("after a broken start is fixed, data files and top-level reads are tracked", async () => {
    const { fx, run } = start({
      "cfg.json": `{ "v": "j1" }`,
      "t.txt": "t1",
      "main.ts": `import cfg from "./cfg.json";\nconst t = await Bun.file(import.meta.dir + "/t.txt").text();\nexport default { fetch: () => new Response(cfg.v + t) } +;\n`,
    });
    await run.output("waiting for a fix");
    fx.edit("main.ts", ` +;\n`, `;\n`);
    await run.until("j1t1");
    fx.write("cfg.json", `{ "v": "j2" }`);
    await run.until("j2t1");
    fx.write("t.txt", "t2");
    await run.until("j2t2");
  });

  test("a module no longer imported leaves the app: editing it reloads nothing", async () => {
    const { a } = await inProcess({
      "old.ts": `export const O = "o";\n`,
      "main.ts": `import { O } from "./old.ts";\nexport default { fetch: () => new Response("with " + O) };\n`,
    });
    expect(await text(a)).toBe("with o");
    await a.write("main.ts", `export default { fetch: () => new Response("without") };\n`);
    expect(await text(a)).toBe("without");
    await expect(a.write("old.ts", `export const O = "o2";\n`)).rejects.toThrow(/no reload ran/);
    expect(await text(a)).toBe("without");
  });
});

describe("edge cases: import.meta.hot", () => {
  test("an entry that invalidates itself does not loop", async () => {
    const { a } = await inProcess({
      "main.ts": counter("main") +
        `import.meta.hot?.accept(() => import.meta.hot?.invalidate("again"));\nexport default { fetch: () => new Response("n" + ${runCounts}) };\n`,
    });
    expect(await text(a)).toBe(`n{"main":1}`);
    await a.edit("main.ts", `"n"`, `"m"`);
    expect(a.logs.join("\n")).toContain("no module imports it");
    // Still answering, and still at two runs: no loop.
    expect(await text(a)).toBe(`m{"main":2}`);
  });

  test("a decline above a self-accepting module is not reached by its updates", async () => {
    const { a } = await inProcess({
      "leaf.ts": counter("leaf") + `export const L = "l1";\nimport.meta.hot?.accept();\n`,
      "main.ts": counter("main") + `import "./leaf.ts";\nimport.meta.hot?.decline();\n` +
        `export default { fetch: () => new Response(${runCounts}) };\n`,
    });
    expect(await text(a)).toBe(`{"leaf":1,"main":1}`);
    await a.edit("leaf.ts", `"l1"`, `"l2"`);
    expect(await text(a)).toBe(`{"leaf":2,"main":1}`);
  });
});

describe("edge cases: a BOM and a shebang before the code", () => {
  const BOM = "\uFEFF";
  const SHEBANG = "#!/usr/bin/env bun\n";
  const hotApp = (head: string, label: string) =>
    head + `let label = "plain";\nif (import.meta.hot) label = "${label}";\nexport default { fetch: () => new Response(label) };\n`;

  test("an entry using import.meta.hot starts, serves and reloads after a BOM, a shebang or both", async () => {
    for (const head of [BOM + SHEBANG, BOM, SHEBANG]) {
      const { a } = await inProcess({ "main.ts": hotApp(head, "hot1") });
      expect(await text(a)).toBe("hot1");
      await a.edit("main.ts", `"hot1"`, `"hot2"`);
      expect(await text(a)).toBe("hot2");
      await a.stop();
    }
  });

  test("the real CLI runs such an entry as bun does: serves, reloads, and points an error at its line", async () => {
    const { fx, run } = start({ "main.ts": hotApp(BOM + SHEBANG, "hot1") });
    await run.until("hot1");
    fx.edit("main.ts", `"hot1"`, `"hot2"`);
    await run.until("hot2");
    await run.output(/main\.ts → 1 module re-ran/);
    const m = run.mark();
    fx.edit("main.ts", `label = "hot2";`, `label = "hot2" +;`);
    await run.output(/reload failed.*\(main\.ts:3:\d+\)/, m);
    expect(await run.get()).toBe("hot2");
  });

  test("errors in such an entry point at their own line", async () => {
    const { a } = await inProcess({ "main.ts": hotApp(BOM + SHEBANG, "hot1") });
    expect(await text(a)).toBe("hot1");
    let from = a.logs.length;
    expect((await a.edit("main.ts", `label = "hot1";`, `label = "hot1" +;`)).kind).toBe("failed");
    expect(a.logs.slice(from).join("\n")).toMatch(/reload failed.*\(\S*main\.ts:3:\d+\)/);
    expect(a.logs.slice(from).join("\n")).toContain(`> 3 | if (import.meta.hot) label = "hot1" +;`);
    from = a.logs.length;
    expect((await a.edit("main.ts", `label = "hot1" +;`, `label = "hot1";\nthrow new Error("line four");`)).kind).toBe("rolled-back");
    expect(a.logs.slice(from).join("\n")).toMatch(/reload failed.*\(\S*main\.ts:4:\d+\).*line four/);
    expect(await text(a)).toBe("hot1");
  });

  test("without import.meta.hot, its imports are known and its edits are checked as Bun parses them", async () => {
    for (const head of [BOM + SHEBANG, SHEBANG]) {
      const { a } = await inProcess({
        "dep.ts": `export const V = "d1";\n`,
        "main.ts": head + `import { V } from "./dep.ts";\nexport default { fetch: () => new Response("a " + V) };\n`,
      });
      expect(await text(a)).toBe("a d1");
      expect((await a.edit("main.ts", `"a "`, `"b "`)).kind).toBe("ok");
      expect(await text(a)).toBe("b d1");
      // Only dep.ts and main.ts re-run: a full reload would mean the graph missed the import.
      expect((await a.write("dep.ts", `export const V = "d2";\n`)).executed).toEqual(["dep.ts", "main.ts"]);
      expect(await text(a)).toBe("b d2");
      await a.stop();
    }
  });

  test("a missing import on the first line after a BOM points at its column", async () => {
    const { a } = await inProcess({
      "lib.ts": `export const x = 1;\n`,
      "main.ts": BOM + `import { x } from "./lib.ts";\nexport default { fetch: () => new Response(String(x)) };\n`,
    });
    expect(await text(a)).toBe("1");
    const from = a.logs.length;
    expect((await a.edit("main.ts", `{ x } from "./lib.ts"`, `{ x } from "./lub.ts"`)).kind).not.toBe("ok");
    expect(a.logs.slice(from).join("\n")).toMatch(/\(\S*main\.ts:1:19\): Cannot find module '\.\/lub\.ts'/);
  });
});

describe("edge cases: a module that cannot be read", () => {
  // Root reads mode-000 files (CAP_DAC_OVERRIDE): as root, the test runs again in a bun
  // without that capability, where chmod 000 denies reads as it does for other users.
  const DAC_CAPS = "-dac_override,-dac_read_search";
  const asRoot = process.getuid?.() === 0 && !process.env.HMR_RUN_TEST_WITHOUT_DAC;
  const setpriv = Bun.which("setpriv");
  const CHMOD_TEST = "an imported module made unreadable is refused as such, not taken as deleted";

  test.skipIf(asRoot && !setpriv)(CHMOD_TEST, async () => {
    if (asRoot) {
      const inner = Bun.spawn(
        [setpriv!, `--bounding-set=${DAC_CAPS}`, `--inh-caps=${DAC_CAPS}`, process.execPath, "test", "--timeout", "20000", import.meta.path, "-t", CHMOD_TEST],
        { env: { ...process.env, HMR_RUN_TEST_WITHOUT_DAC: "1" }, stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, code] = await Promise.all([new Response(inner.stdout).text(), new Response(inner.stderr).text(), inner.exited]);
      expect({ code, ran: /\b1 pass\b/.test(err) }, out + err).toEqual({ code: 0, ran: true });
      return;
    }
    const { fx, run } = start({
      "dep.ts": `export const V = "d1";\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n`,
    });
    await run.until("d1");
    const dep = fx.path("dep.ts");
    const m = run.mark();
    chmodSync(dep, 0o000);
    expect(() => readFileSync(dep), "this process can still read a mode-000 file").toThrow(/EACCES|EPERM/);
    utimesSync(dep, new Date(), new Date());
    await run.output(/permission denied reading dep\.ts \(chmod\?\)/, m);
    expect(run.out.slice(m)).not.toContain("deleted");
    expect(await run.get()).toBe("d1");
    chmodSync(dep, 0o644);
    fx.write("dep.ts", `export const V = "d2";\n`);
    await run.until("d2");
  });

  test("each read error says what it is", () => {
    const fail = (code: string) => unreadable("/app/dep.ts", Object.assign(new Error(code), { code })).message;
    expect(fail("EACCES")).toMatch(/^permission denied reading .*dep\.ts \(chmod\?\)$/);
    expect(fail("EPERM")).toMatch(/^permission denied reading .*dep\.ts \(chmod\?\)$/);
    expect(fail("EIO")).toMatch(/^cannot read .*dep\.ts \(EIO\)$/);
  });
});

describe("edge cases: servers", () => {
  test("routes removed from the export stop being served", async () => {
    const { a } = await inProcess({
      "main.ts": `export default { routes: { "/hi": () => new Response("route v1") }, fetch: () => new Response("fallback") };\n`,
    });
    expect(await text(a, "/hi")).toBe("route v1");
    await a.write("main.ts", `export default { fetch: () => new Response("fallback2") };\n`);
    expect(await text(a, "/hi")).toBe("fallback2");
  });

  test("two Bun.serve() calls in one module are two servers, both reloaded", async () => {
    const p1 = freePort();
    const p2 = freePort();
    const { a } = await inProcess({
      "text.ts": `export const T = "v1";\n`,
      "main.ts": `import { T } from "./text.ts";\nBun.serve({ port: ${p1}, hostname: "127.0.0.1", fetch: () => new Response("one " + T) });\n` +
        `Bun.serve({ port: ${p2}, hostname: "127.0.0.1", fetch: () => new Response("two " + T) });\n`,
    });
    const at = (port: number) => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => "(down)");
    // The first server is the app's main one: hmr-run/testing serves it on a port of its own.
    expect([await text(a), await at(p2)]).toEqual(["one v1", "two v1"]);
    expect((await a.write("text.ts", `export const T = "v2";\n`)).kind).toBe("ok");
    expect([await text(a), await at(p2)]).toEqual(["one v2", "two v2"]);
  });

  test("a server started once a promise settles keeps running across reloads", async () => {
    const { a } = await inProcess({
      "text.ts": `export const T = "late1";\n`,
      "main.ts": `import { T } from "./text.ts";\nconst ready = Promise.resolve();\n` +
        `ready.then(() => { Bun.serve({ fetch: () => new Response(T) }); });\n`,
    });
    expect(await text(a)).toBe("late1");
    for (const v of ["late2", "late3"]) {
      await a.write("text.ts", `export const T = "${v}";\n`);
      expect(await text(a)).toBe(v);
    }
    // Past the grace period for servers that are not asked for again: still serving.
    await Bun.sleep(1200);
    expect(await text(a)).toBe("late3");
    expect(a.logs.join("\n")).not.toContain("no longer starts a server");
  });

  test("a server started after an await (NestJS's bootstrap(), Fastify's start()): the banner says where it serves, never 'script'", async () => {
    const { run } = start({
      "main.ts": `async function bootstrap() {\n  await Bun.sleep(300);\n  Bun.serve({ fetch: () => new Response("booted") });\n}\nbootstrap();\n`,
    });
    await run.until("booted");
    const banner = await run.output(/hmr-run \S+ on Bun \S+: .*/);
    expect(banner).toMatch(/: serving http:\/\/127\.0\.0\.1:\d+\//);
    expect(run.out).not.toContain("script");
    expect(run.out).not.toContain("started a server");
  });

  test("--reload-include with a file watches that file", async () => {
    const { fx, run } = start(
      { "main.ts": `export default { fetch: () => new Response("f1") };\n` },
      ["main.ts", "--reload-include", "main.ts"],
    );
    await run.until("f1");
    fx.edit("main.ts", `"f1"`, `"f2"`);
    await run.until("f2");
  });
});

describe("edge cases: found by running new apps", () => {
  test("renaming a module, then updating its import, recovers (and the other order too)", async () => {
    const { a, fx } = await inProcess({
      "a.ts": `export const msg = "from a";\n`,
      "main.ts": `import { msg } from "./a.ts";\nexport default { fetch: () => new Response(msg) };\n`,
    });
    expect(await text(a)).toBe("from a");
    // Each step is told as the watcher tells it: a save at a time.
    renameSync(fx.path("a.ts"), fx.path("b.ts"));
    await a.changed(["a.ts", "b.ts"]);
    await a.edit("main.ts", "./a.ts", "./b.ts");
    await a.edit("b.ts", "from a", "from b");
    expect(await text(a)).toBe("from b");
    await a.edit("main.ts", "./b.ts", "./c.ts");
    renameSync(fx.path("b.ts"), fx.path("c.ts"));
    await a.changed(["b.ts", "c.ts"]);
    await a.edit("c.ts", "from b", "from c");
    expect(await text(a)).toBe("from c");
  });

  test("a deleted module reached only by import() is not served from the cache", async () => {
    const { a } = await inProcess({
      "lazy.ts": `export const v = "lazy1";\n`,
      "main.ts": `export default { fetch: async () => { try { return new Response((await import("./lazy.ts")).v); } catch { return new Response("gone"); } } };\n`,
    });
    expect(await text(a)).toBe("lazy1");
    await a.remove("lazy.ts");
    expect(await text(a)).toBe("gone");
    await a.write("lazy.ts", `export const v = "lazy2";\n`);
    expect(await text(a)).toBe("lazy2");
  });

  test("moving a server to a port that is taken keeps the old one serving", async () => {
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("someone else") });
    try {
      // The port comes from $PORT, so the app's own port setting is not overridden by --port.
      const { fx, run } = start({ "main.ts": `export default { fetch: () => new Response("app v1") };\n` }, ["main.ts", "--host", "127.0.0.1"], {
        PORT: String(freePort()),
      });
      await run.until("app v1");
      const m = run.mark();
      fx.write("main.ts", `export default { port: ${taken.port}, hostname: "127.0.0.1", fetch: () => new Response("app v2") };\n`);
      await run.output(`port ${taken.port} is already in use`, m);
      expect(await run.get()).toBe("app v1");
    } finally {
      taken.stop(true);
    }
  });

  test("--env-file loads only the files given, as Bun's flag does (not .env.local)", async () => {
    const { run } = start(
      {
        ".env": "GREETING=Hello\n",
        ".env.local": "GREETING=Howdy\nONLY_LOCAL=yes\n",
        "main.ts": `export default { fetch: () => new Response(process.env.GREETING + ":" + process.env.ONLY_LOCAL) };\n`,
      },
      ["main.ts", "--env-file", ".env"],
    );
    await run.until("Hello:undefined");
  });

  // The shape of an Elysia app (JarneDel/Research-Elysia-HTMX): the entry reaches a module
  // that throws without its env, and a module it never got to imports the entry back.
  const unrunCycle = {
    "creds.ts": `if (!process.env.CREDS) throw new Error("missing creds");\nexport const creds = process.env.CREDS;\n`,
    "late.ts": `import { label } from "./main.ts";\nexport const late = () => label;\n`,
    "routes.ts": `import { creds } from "./creds.ts";\nimport { late } from "./late.ts";\nexport const body = () => late() + ":" + creds;\n`,
    "main.ts": `import { body } from "./routes.ts";\nexport const label = "v1";\nexport default { fetch: () => new Response(body()) };\n`,
  };

  test("a start that failed in a module cycle recovers when the source is fixed", async () => {
    const { fx, run } = start(unrunCycle);
    await run.output("waiting for a fix");
    fx.edit("creds.ts", `throw new Error("missing creds")`, `console.warn("no creds")`);
    await run.until("v1:undefined");
    fx.edit("main.ts", `"v1"`, `"v2"`);
    await run.until("v2:undefined");
  });

  test("a start that failed in a module cycle recovers when the env file is fixed", async () => {
    const { fx, run } = start({ ...unrunCycle, ".env": "OTHER=1\n" });
    await run.output("waiting for a fix");
    fx.write(".env", "OTHER=1\nCREDS=c1\n");
    await run.until("v1:c1");
  });

  test("a missing import is reported at its line with a code frame", async () => {
    const { a } = await inProcess({
      "lib.ts": `export const x = 1;\n`,
      "main.ts": `import { x } from "./lib.ts";\nexport default { fetch: () => new Response(String(x)) };\n`,
    });
    expect(await text(a)).toBe("1");
    const from = a.logs.length;
    await a.write("main.ts", `import { x } from "./lib.ts";\nimport { y } from "./lub.ts";\nexport default { fetch: () => new Response(String(x + y)) };\n`);
    const said = a.logs.slice(from).join("\n");
    expect(said).toMatch(/main\.ts:2:\d+\): Cannot find module '\.\/lub\.ts'/);
    expect(said).toContain(`> 2 | import { y } from "./lub.ts";`);
  });
});
