import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { batch, derived, effect, signal, untrack } from "../src/reactive/index.ts";
import { Registry, installRuntime } from "../src/runtime/registry.ts";

describe("reactive: signal", () => {
  test("get, set, update and peek", () => {
    const n = signal(1);
    expect(n.get()).toBe(1);
    n.set(2);
    n.update((v) => v * 10);
    expect(n.peek()).toBe(20);
  });

  test("set notifies only when the value changed (NaN equals NaN)", () => {
    const n = signal(Number.NaN);
    const seen: number[] = [];
    effect(() => void seen.push(n.get()));
    n.set(Number.NaN);
    n.set(3);
    n.set(3);
    expect(seen).toEqual([Number.NaN, 3]);
  });

  test("equals decides what counts as a change", () => {
    const point = signal({ x: 1 }, { equals: (a, b) => a.x === b.x });
    const seen: number[] = [];
    effect(() => void seen.push(point.get().x));
    point.set({ x: 1 });
    point.set({ x: 2 });
    expect(seen).toEqual([1, 2]);
  });

  test("peek inside an effect does not subscribe", () => {
    const a = signal(1);
    const b = signal(1);
    let runs = 0;
    effect(() => {
      runs++;
      a.get();
      b.peek();
    });
    b.set(2);
    expect(runs).toBe(1);
    a.set(2);
    expect(runs).toBe(2);
  });
});

describe("reactive: derived", () => {
  test("is lazy and cached", () => {
    const n = signal(2);
    let computed = 0;
    const double = derived(() => {
      computed++;
      return n.get() * 2;
    });
    expect(computed).toBe(0);
    expect(double.get()).toBe(4);
    expect(double.get()).toBe(4);
    expect(computed).toBe(1);
    n.set(3);
    n.set(4);
    expect(computed).toBe(1);
    expect(double.peek()).toBe(8);
    expect(computed).toBe(2);
  });

  test("notifies dependents only when its value changed", () => {
    const n = signal(1);
    const parity = derived(() => n.get() % 2);
    const seen: number[] = [];
    effect(() => void seen.push(parity.get()));
    n.set(3);
    n.set(5);
    n.set(6);
    expect(seen).toEqual([1, 0]);
  });

  test("equals keeps a structurally equal result from notifying", () => {
    const n = signal(1);
    const boxed = derived(() => ({ big: n.get() > 10 }), { equals: (a, b) => a.big === b.big });
    const seen: boolean[] = [];
    effect(() => void seen.push(boxed.get().big));
    n.set(2);
    n.set(20);
    n.set(30);
    expect(seen).toEqual([false, true]);
  });

  test("a diamond recomputes its bottom once per change", () => {
    const a = signal(1);
    const b = derived(() => a.get() + 1);
    const c = derived(() => a.get() * 2);
    let bottom = 0;
    const d = derived(() => {
      bottom++;
      return b.get() + c.get();
    });
    const seen: number[] = [];
    effect(() => void seen.push(d.get()));
    a.set(2);
    expect(seen).toEqual([4, 7]);
    expect(bottom).toBe(2);
  });
});

describe("reactive: effect, batch, untrack", () => {
  test("cleanup runs before each re-run and on dispose, and dispose stops it", () => {
    const n = signal(0);
    const log: string[] = [];
    const stop = effect(() => {
      const v = n.get();
      log.push(`run ${v}`);
      return () => log.push(`clean ${v}`);
    });
    n.set(1);
    stop();
    n.set(2);
    expect(log).toEqual(["run 0", "clean 0", "run 1", "clean 1"]);
  });

  test("only a returned function is a cleanup: promises and other values are ignored", async () => {
    const n = signal(0);
    const seen: number[] = [];
    effect(async () => {
      seen.push(n.get());
    });
    // Plain JS may return anything; the types only allow a cleanup.
    effect((() => seen.push(n.get() * 10)) as () => void);
    n.set(1);
    expect(seen).toEqual([0, 0, 1, 10]);
  });

  test("an inner effect is disposed when its parent re-runs", () => {
    const outer = signal(0);
    const inner = signal(0);
    let innerRuns = 0;
    effect(() => {
      outer.get();
      effect(() => {
        inner.get();
        innerRuns++;
      });
    });
    outer.set(1);
    outer.set(2);
    innerRuns = 0;
    inner.set(1);
    expect(innerRuns).toBe(1);
  });

  test("batch runs effects once after several writes and returns the result", () => {
    const a = signal(1);
    const b = signal(1);
    const seen: number[] = [];
    effect(() => void seen.push(a.get() + b.get()));
    const out = batch(() => {
      a.set(2);
      b.set(3);
      expect(a.get() + b.get()).toBe(5);
      return "done";
    });
    expect(out).toBe("done");
    expect(seen).toEqual([2, 5]);
  });

  test("untrack reads without subscribing", () => {
    const a = signal(1);
    const b = signal(1);
    let runs = 0;
    effect(() => {
      runs++;
      a.get();
      untrack(() => b.get());
    });
    b.set(2);
    expect(runs).toBe(1);
  });
});

describe("reactive: outside hmr-run", () => {
  test("a module's top-level signals and effects are plain: re-importing makes new ones and disposes nothing", async () => {
    const KEY = Symbol.for("hmr-run.runtime");
    const saved = (globalThis as any)[KEY];
    delete (globalThis as any)[KEY];
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "hmr-run-plain-")));
    try {
      const path = join(dir, "plain.ts");
      const reactive = JSON.stringify(join(import.meta.dir, "..", "src", "reactive", "index.ts"));
      writeFileSync(path, `import { signal, effect } from ${reactive};\nexport const s = signal(0);\nexport const runs: number[] = [];\neffect(() => void runs.push(s.get()));\n`);
      const first = await import(path);
      first.s.set(1);
      delete require.cache[path];
      const second = await import(path);
      expect(second.s).not.toBe(first.s);
      expect(second.s.get()).toBe(0);
      first.s.set(2);
      expect(first.runs).toEqual([0, 1, 2]);
    } finally {
      if (saved !== undefined) (globalThis as any)[KEY] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The reload-aware parts, in-process: a Registry that manages files in a temp folder,
 * and re-runs done as the reloader does them (dispose hooks, evict, import again).
 */
describe("reactive: ownership by modules", () => {
  let dir = "";
  let rt: Registry;
  const KEY = Symbol.for("hmr-run.runtime");

  // Test files share one process: put back whatever runtime was installed before.
  let previous: unknown;

  beforeAll(() => {
    previous = (globalThis as any)[KEY];
    dir = realpathSync(mkdtempSync(join(tmpdir(), "hmr-run-reactive-")));
    rt = new Registry((p) => p.startsWith(dir + "/"), {
      resolve: (spec, from) => Bun.resolveSync(spec, from.slice(0, from.lastIndexOf("/"))),
      current: () => undefined,
      invalidate: () => {},
      watchFile: () => {},
    });
    installRuntime(rt);
  });

  afterAll(() => {
    if (previous === undefined) delete (globalThis as any)[KEY];
    else (globalThis as any)[KEY] = previous;
    rmSync(dir, { recursive: true, force: true });
  });

  const REACTIVE = join(import.meta.dir, "..", "src", "reactive", "index.ts");
  let n = 0;
  /** Writes a module that imports hmr-run/reactive and the test's shared log. */
  function write(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `import { signal, derived, effect } from ${JSON.stringify(REACTIVE)};\nconst log = (globalThis as any).reactiveLog;\n${body}`);
    return path;
  }
  async function load(path: string): Promise<any> {
    return import(path);
  }
  async function rerun(path: string): Promise<any> {
    const ctx = rt.retire(path);
    for (const fn of ctx?.disposers ?? []) await fn(ctx!.data);
    delete require.cache[path];
    return import(path);
  }
  const log = (): string[] => ((globalThis as any).reactiveLog ??= []);

  test("a top-level signal keeps identity and value; a changed initial value replaces the value once", async () => {
    log().length = 0;
    const path = write(`keep${n++}.ts`, `export const count = signal(0);\nexport const other = signal("a");\n`);
    const first = await load(path);
    first.count.set(7);
    const seen: number[] = [];
    effect(() => void seen.push(first.count.get()));
    const second = await rerun(path);
    expect(second.count).toBe(first.count);
    expect(second.count.get()).toBe(7);
    expect(seen).toEqual([7]);

    write(path.slice(dir.length + 1), `export const count = signal(100);\nexport const other = signal("a");\n`);
    const third = await rerun(path);
    expect(third.count).toBe(first.count);
    expect(third.other).toBe(first.other);
    expect(seen).toEqual([7, 100]);
  });

  test("initial values are compared by structure, so an unchanged object literal keeps the value", async () => {
    const path = write(`obj${n++}.ts`, `export const cfg = signal({ limit: 1, tags: ["a"] });\n`);
    const first = await load(path);
    first.cfg.set({ limit: 5, tags: [] });
    const second = await rerun(path);
    expect(second.cfg.get()).toEqual({ limit: 5, tags: [] });
  });

  test("a signal with a key survives a new signal created above it", async () => {
    const name = `keyed${n++}.ts`;
    const path = write(name, `export const hits = signal(0, { key: "hits" });\n`);
    const first = await load(path);
    first.hits.set(3);
    write(name, `export const fresh = signal("new");\nexport const hits = signal(0, { key: "hits" });\n`);
    const second = await rerun(path);
    expect(second.hits).toBe(first.hits);
    expect(second.hits.get()).toBe(3);
    expect(second.fresh.get()).toBe("new");
  });

  test("an execution that throws half-way does not lose the signals it did not reach", async () => {
    const name = `throws${n++}.ts`;
    const body = `export const first = signal(1);\nexport const second = signal(2);\n`;
    const path = write(name, body);
    const before = await load(path);
    before.second.set(20);
    write(name, `export const first = signal(1);\nthrow new Error("half-way");\nexport const second = signal(2);\n`);
    await expect(rerun(path)).rejects.toThrow("half-way");
    write(name, body);
    const after = await rerun(path);
    expect(after.second).toBe(before.second);
    expect(after.second.get()).toBe(20);
  });

  test("20 re-runs leave exactly one live top-level effect", async () => {
    log().length = 0;
    const source = write(`source${n++}.ts`, `export const tick = signal(0);\n`);
    const { tick } = await load(source);
    const path = write(
      `effect${n++}.ts`,
      `import { tick } from ${JSON.stringify(source)};\neffect(() => { log.push("run " + tick.get()); return () => log.push("clean"); });\n`,
    );
    await load(path);
    for (let i = 0; i < 20; i++) await rerun(path);
    expect(log().filter((l) => l.startsWith("run")).length).toBe(21);
    expect(log().filter((l) => l === "clean").length).toBe(20);
    log().length = 0;
    tick.set(1);
    expect(log()).toEqual(["clean", "run 1"]);
  });

  test("a top-level derived value is disposed before its module re-runs", async () => {
    log().length = 0;
    const source = write(`dsource${n++}.ts`, `export const base = signal(1);\n`);
    const { base } = await load(source);
    const path = write(
      `derived${n++}.ts`,
      `import { base } from ${JSON.stringify(source)};\nexport const twice = derived(() => { log.push("compute"); return base.get() * 2; });\n`,
    );
    const first = await load(path);
    expect(first.twice.get()).toBe(2);
    const second = await rerun(path);
    base.set(5);
    expect(first.twice.get()).toBe(2);
    expect(second.twice.get()).toBe(10);
    expect(log()).toEqual(["compute", "compute"]);
  });

  test("signals and effects made later, outside the top level, are not owned", async () => {
    log().length = 0;
    const path = write(
      `later${n++}.ts`,
      `export function make() {\n  const s = signal(0);\n  effect(() => { log.push("later " + s.get()); });\n  return s;\n}\n`,
    );
    const first = await load(path);
    const a = first.make();
    const b = first.make();
    expect(a).not.toBe(b);
    await rerun(path);
    a.set(1);
    expect(log()).toEqual(["later 0", "later 0", "later 1"]);
  });
});
