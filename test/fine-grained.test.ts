import { describe, expect, test } from "bun:test";
import type { Run } from "./support/fixture.ts";
import { scenarios, counter } from "./support/scenario.ts";

const { start } = scenarios();

const json = async (run: Run, path: string) => JSON.parse(await run.get(path));

describe("fine-grained reloads with hmr-run/reactive (real CLI)", () => {
  const greetingApp = {
    "b.ts": counter("b") + `import { signal } from "hmr-run/reactive";\nexport const greeting = signal("one");\n`,
    "a.ts":
      counter("a") +
      `import { effect } from "hmr-run/reactive";\nimport { greeting } from "./b.ts";\n` +
      `const seen: string[] = ((globalThis as any).seen ??= []);\neffect(() => { seen.push(greeting.get()); });\n`,
    "main.ts":
      counter("main") +
      `import "./a.ts";\nconst g = globalThis as any;\n` +
      `export default { fetch: () => Response.json({ runs: g.runs, seen: g.seen }) };\n`,
  };

  test("editing a signal's initial value re-runs the effect that reads it, not the module holding the effect", async () => {
    const { fx, run } = start(greetingApp);
    await run.until((b) => b.includes(`"seen":["one"]`));
    const m = run.mark();
    fx.edit("b.ts", `signal("one")`, `signal("two")`);
    await run.until((b) => b.includes(`"seen":["one","two"]`));
    expect(await json(run, "/")).toEqual({ runs: { b: 2, a: 1, main: 1 }, seen: ["one", "two"] });
    const log = await run.reloaded(m);
    expect(log).toMatch(/b\.ts → 1 module re-ran in [\d.]+ ms, stopped at b\.ts \(exports unchanged\)/);
  });

  test("editing a comment, a type or a type-only import re-executes nothing", async () => {
    const { fx, run } = start(greetingApp, ["main.ts", "--log-level", "debug"]);
    await run.until((b) => b.includes(`"seen":["one"]`));
    let m = run.mark();
    fx.edit("b.ts", `export const greeting`, `// The greeting every response starts with.\nexport const greeting`);
    await run.output("nothing the app runs changed", m);
    m = run.mark();
    fx.edit("b.ts", `signal("one")`, `signal<string>("one")`);
    await run.output("nothing the app runs changed", m);
    m = run.mark();
    fx.edit("a.ts", `const seen: string[]`, `const seen: Array<string>`);
    await run.output("nothing the app runs changed", m);
    m = run.mark();
    fx.edit("a.ts", `import { effect }`, `import type { Signal } from "hmr-run/reactive";\nimport { effect }`);
    await run.output("nothing the app runs changed", m);
    expect(await json(run, "/")).toEqual({ runs: { b: 1, a: 1, main: 1 }, seen: ["one"] });
    expect(run.out).not.toContain("re-ran in");
  });

  test("a counter signal incremented by requests keeps its value across 10 edits of its module", async () => {
    const { fx, run } = start({
      "counter.ts":
        counter("counter") + `import { signal } from "hmr-run/reactive";\nexport const hits = signal(0);\nexport const version = 0;\n`,
      "main.ts":
        `import { hits, version } from "./counter.ts";\n` +
        `export default {\n  fetch(req: Request) {\n    if (new URL(req.url).pathname === "/hit") hits.update((n) => n + 1);\n` +
        `    return new Response(version + ":" + hits.get() + ":" + (globalThis as any).runs.counter);\n  },\n};\n`,
    });
    await run.until("0:0:1", "/read");
    for (let i = 0; i < 3; i++) await run.get("/hit");
    for (let v = 1; v <= 10; v++) {
      fx.edit("counter.ts", `version = ${v - 1};`, `version = ${v};`);
      await run.until(`${v}:${2 + v}:${v + 1}`, "/read");
      expect(await run.get("/hit")).toBe(`${v}:${3 + v}:${v + 1}`);
    }
    expect(await run.get("/read")).toBe("10:13:11");
  });

  test("20 reloads of a module with a top-level effect leave exactly one live effect", async () => {
    const { fx, run } = start({
      "source.ts": `import { signal } from "hmr-run/reactive";\nexport const tick = signal(0);\n`,
      "watcher.ts":
        `import { effect } from "hmr-run/reactive";\nimport { tick } from "./source.ts";\nconst g = globalThis as any;\n` +
        `export const edition = 0;\n` +
        `effect(() => {\n  g.lastTick = tick.get();\n  g.live = (g.live ?? 0) + 1;\n  g.effectRuns = (g.effectRuns ?? 0) + 1;\n  return () => void g.live--;\n});\n`,
      "main.ts":
        `import { tick } from "./source.ts";\nimport { edition } from "./watcher.ts";\nconst g = globalThis as any;\n` +
        `export default {\n  fetch(req: Request) {\n    if (new URL(req.url).pathname === "/tick") tick.update((n) => n + 1);\n` +
        `    return Response.json({ edition, live: g.live, effectRuns: g.effectRuns, lastTick: g.lastTick });\n  },\n};\n`,
    });
    await run.until((b) => b.includes(`"edition":0`), "/state");
    for (let v = 1; v <= 20; v++) {
      fx.edit("watcher.ts", `edition = ${v - 1};`, `edition = ${v};`);
      await run.until((b) => b.includes(`"edition":${v},`), "/state");
    }
    const before = await json(run, "/state");
    expect(before).toEqual({ edition: 20, live: 1, effectRuns: 21, lastTick: 0 });
    const after = await json(run, "/tick");
    expect(after).toEqual({ edition: 20, live: 1, effectRuns: 22, lastTick: 1 });
  });
});
