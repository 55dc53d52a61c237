// The reloader against plain objects (test/support/fake-world.ts): which modules run
// again, in which order, and what a failure brings back. No Bun registry, no files.
import { describe, expect, test } from "bun:test";
import { reload, type ReloadResult } from "../src/reloader.ts";
import { FakeWorld, type FakeModule } from "./support/fake-world.ts";

async function started(modules: Record<string, FakeModule>): Promise<FakeWorld> {
  const w = new FakeWorld(modules);
  const r = await reload(w.world, { files: new Set([w.entry]), initial: true });
  expect(r.kind).toBe("ok");
  w.ran.length = 0;
  return w;
}
const save = (w: FakeWorld, ...files: string[]) => reload(w.world, { files: new Set(files) });
const kind = (r: ReloadResult) => r.kind;
/** main.ts serves what `a.ts` exports. */
const servesA = { source: "m1", deps: ["a.ts"], body: (s: string, api: any) => ({ v: `${s}:${api.get("a.ts").v}` }) };

describe("reload() with plain objects", () => {
  test("a leaf edit runs the leaf, then its importer, and serves the new entry", async () => {
    const w = await started({ "a.ts": { source: "a1" }, "b.ts": { source: "b1" }, "main.ts": { ...servesA, deps: ["a.ts", "b.ts"] } });
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(kind(r)).toBe("ok");
    expect(w.ran).toEqual(["a.ts@a2", "main.ts@m1"]);
    expect(w.serving).toBe("m1:a2");
  });

  test("identical exports stop the climb", async () => {
    const same = { v: "constant" };
    const w = await started({ "a.ts": { source: "a1", body: () => same }, "main.ts": servesA });
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind === "ok" && r.stoppedAt).toEqual(["a.ts"]);
    expect(w.ran).toEqual(["a.ts@a2"]);
  });

  test("a self-accepting module takes its own update; its importer does not run", async () => {
    const got: unknown[] = [];
    const body = (s: string, api: any) => {
      api.hot.accept((ns: any) => got.push(ns?.v));
      return { v: s };
    };
    const w = await started({ "a.ts": { source: "a1", body }, "main.ts": servesA });
    w.edit("a.ts", "a2");
    await save(w, "a.ts");
    expect(w.ran).toEqual(["a.ts@a2"]);
    expect(got).toEqual(["a2"]);
  });

  test("an importer accepting a dependency gets its new module instead of running", async () => {
    const got: unknown[] = [];
    const main = { ...servesA, body: (s: string, api: any) => (api.hot.accept("a.ts", (ns: any) => got.push(ns?.v)), { v: s }) };
    const w = await started({ "a.ts": { source: "a1" }, "main.ts": main });
    w.edit("a.ts", "a2");
    await save(w, "a.ts");
    expect(w.ran).toEqual(["a.ts@a2"]);
    expect(got).toEqual(["a2"]);
  });

  test("a declined module reloads every module, and says why", async () => {
    const body = (s: string, api: any) => (api.hot.decline(), { v: s });
    const w = await started({ "a.ts": { source: "a1", body }, "b.ts": { source: "b1" }, "main.ts": { ...servesA, deps: ["a.ts", "b.ts"] } });
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind === "ok" && r.full).toContain("a.ts declines");
    expect(w.ran.sort()).toEqual(["a.ts@a2", "b.ts@b1", "main.ts@m1"]);
  });

  test("a module reached only through import() is evicted, not run", async () => {
    const w = await started({ "lazy.ts": { source: "l1" }, "main.ts": { source: "m1", deps: [["lazy.ts", "dynamic"]] } });
    await w.world.modules.load("lazy.ts");
    w.ran.length = 0;
    w.edit("lazy.ts", "l2");
    const r = await save(w, "lazy.ts");
    expect(r.kind === "ok" && r.evicted).toEqual(["lazy.ts"]);
    expect(w.ran).toEqual([]);
    expect((await w.world.modules.load("lazy.ts")).v).toBe("l2");
  });

  test("a module no importer needs any more is pruned: dispose, then prune", async () => {
    const order: string[] = [];
    const body = (s: string, api: any) => {
      api.hot.dispose(() => void order.push("dispose"));
      api.hot.prune(() => void order.push("prune"));
      return { v: s };
    };
    const w = await started({ "old.ts": { source: "o1", body }, "main.ts": { source: "m1", deps: ["old.ts"] } });
    w.edit("main.ts", "m2", []);
    await save(w, "main.ts");
    expect(order).toEqual(["dispose", "prune"]);
    expect(w.graph.has("old.ts")).toBe(false);
  });

  test("a cycle runs in the order it first ran, whichever member changed", async () => {
    // base.ts runs first (child.ts needs it at top level); main imports child.ts first.
    const base = { source: "b1", deps: ["child.ts"], body: (s: string) => ({ v: s }) };
    const child = { source: "c1", deps: ["base.ts"], body: (s: string, api: any) => ({ v: `${s}<${api.get("base.ts").v}` }) };
    const main = { source: "m1", deps: ["child.ts", "base.ts"], body: (s: string, api: any) => ({ v: api.get("child.ts").v }) };
    const w = await started({ "base.ts": base, "child.ts": child, "main.ts": main });
    for (const [file, source] of [["child.ts", "c2"], ["base.ts", "b2"]] as const) {
      w.edit(file, source);
      expect(kind(await save(w, file))).toBe("ok");
    }
    expect(w.serving).toBe("c2<b2");
  });

  test("a throw in the middle of a cycle rolls back every disposed module to its last good source", async () => {
    const disposed: string[] = [];
    const body = (s: string, api: any) => {
      if (s.startsWith("throw")) throw new Error("boom");
      api.hot.dispose(() => void disposed.push(s));
      return { v: s };
    };
    const w = await started({
      "x.ts": { source: "x1", deps: ["y.ts"], body },
      "y.ts": { source: "y1", deps: ["x.ts"], body },
      "main.ts": { source: "m1", deps: ["x.ts"], body: (s: string, api: any) => ({ v: `${s}:${api.get("x.ts").v}` }) },
    });
    w.edit("y.ts", "throw");
    const r = await save(w, "y.ts");
    expect(r.kind).toBe("rolled-back");
    expect(r.kind === "rolled-back" && r.phase).toBe("run");
    // Both members were disposed; both run their old source again, then main.
    expect(disposed.sort()).toEqual(["x1", "y1"]);
    expect(w.ran.filter((l) => !l.includes("throw"))).toEqual(["y.ts@y1", "x.ts@x1", "main.ts@m1"]);
    expect(w.serving).toBe("m1:x1");
  });

  test("an entry that cannot be served rolls back (phase serve)", async () => {
    const main = { source: "m1", body: (s: string) => (s === "m2" ? { unservable: true } : { v: s }) };
    const w = await started({ "main.ts": main });
    w.edit("main.ts", "m2");
    const r = await save(w, "main.ts");
    expect(r.kind === "rolled-back" && r.phase).toBe("serve");
    expect(w.serving).toBe("m1");
  });

  test("a throw from a module that did not run again is retried as a reload of every module", async () => {
    const seen = new Set<string>();
    const registry = { source: "r1", body: () => ({ register: (n: string) => {
      if (seen.has(n)) throw Object.assign(new Error(`duplicated: ${n}`), { position: { file: "registry.ts", line: 1, column: 0 } });
      seen.add(n);
    } }) };
    const ctl = { source: "c1", deps: ["registry.ts"], body: (s: string, api: any) => ((api.get("registry.ts").register as any)("/api"), { v: s }) };
    const w = await started({ "registry.ts": { ...registry, body: () => (seen.clear(), registry.body()) }, "ctl.ts": ctl, "main.ts": { source: "m1", deps: ["registry.ts", "ctl.ts"] } });
    w.edit("ctl.ts", "c2");
    const r = await save(w, "ctl.ts");
    expect(r.kind).toBe("ok");
    expect(r.kind === "ok" && r.full).toContain("registry.ts threw and had not run again");
  });
});

describe("reload() when nothing known imports a module", () => {
  test("a module that ran but has no known importer reloads every module, and says why", async () => {
    // Loaded by a library after an await: no module of the app on the stack, no edge.
    const w = await started({ "orphan.ts": { source: "o1" }, "main.ts": { source: "m1" } });
    await w.world.modules.load("orphan.ts");
    w.ran.length = 0;
    w.edit("orphan.ts", "o2");
    const r = await save(w, "orphan.ts");
    expect(r.kind === "ok" && r.full).toBe("hmr-run does not know which module imports orphan.ts");
    expect(w.ran.sort()).toEqual(["main.ts@m1", "orphan.ts@o2"]);
  });
});

describe("reload() of many modules", () => {
  // a.ts is imported by 14 modules, which main.ts imports: 15 modules above the edit.
  const wide = (extra: Record<string, FakeModule> = {}) => {
    const mods: Record<string, FakeModule> = { "a.ts": { source: "a1" } };
    const names = Array.from({ length: 14 }, (_, i) => `m${i}.ts`);
    for (const m of names) mods[m] = { source: "x1", deps: ["a.ts"], body: (s, api) => ({ v: `${s}:${api.get("a.ts").v}` }) };
    mods["main.ts"] = { source: "m1", deps: names, body: (s, api) => ({ v: names.map((n) => api.get(n).v).join(",") }) };
    return { ...mods, ...extra };
  };

  test("past the changed module they run in one import of the top, each once, dependencies first", async () => {
    const w = await started(wide());
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("ok");
    expect(w.ran[0]).toBe("a.ts@a2");
    expect(w.ran.at(-1)).toBe("main.ts@m1");
    expect(new Set(w.ran).size).toBe(16);
    expect(r.kind === "ok" && r.executed.length).toBe(16);
    expect(w.serving).toBe(Array.from({ length: 14 }, () => "x1:a2").join(","));
  });

  test("a module among them that accepts its dependency keeps the walk one module at a time", async () => {
    const accepted: unknown[] = [];
    const w = await started(
      wide({
        "m3.ts": {
          source: "x1",
          deps: ["a.ts"],
          body: (s, api) => {
            api.hot.accept("a.ts", (mods) => accepted.push(mods));
            return { v: `${s}:${api.get("a.ts").v}` };
          },
        },
      }),
    );
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("ok");
    expect(w.ran).not.toContain("m3.ts@x1");
    expect(accepted.length).toBe(1);
  });

  test("one of them throwing rolls all of them back", async () => {
    const w = await started(wide({ "m5.ts": { source: "x1", deps: ["a.ts"], body: (s, api) => {
      if (api.get("a.ts").v === "a2") throw new Error("no a2");
      return { v: `${s}:${api.get("a.ts").v}` };
    } } }));
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("rolled-back");
    expect(w.serving).toBe(Array.from({ length: 14 }, () => "x1:a1").join(","));
  });
});

describe("reload() of many modules that import the entry back", () => {
  // As in Elysia apps whose routes import the app's logger from the entry: one cycle
  // holds main.ts and the 14 modules above the edit.
  const cyclic = () => {
    const mods: Record<string, FakeModule> = { "a.ts": { source: "a1" } };
    const names = Array.from({ length: 14 }, (_, i) => `m${i}.ts`);
    for (const m of names) mods[m] = { source: "x1", deps: ["a.ts", "main.ts"], body: (s, api) => ({ v: `${s}:${api.get("a.ts").v}` }) };
    mods["main.ts"] = { source: "m1", deps: names, body: (_s, api) => ({ v: names.map((n) => api.get(n).v).join(",") }) };
    return mods;
  };

  test("the one import enters the cycle at the entry: it runs again and serves the new code", async () => {
    const w = await started(cyclic());
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("ok");
    expect(w.ran.at(-1)).toBe("main.ts@m1");
    expect(new Set(w.ran).size).toBe(16);
    expect(r.kind === "ok" && r.ranAlone).toBeUndefined();
    expect(w.serving).toBe(Array.from({ length: 14 }, () => "x1:a2").join(","));
  });

  test("a module the one import did not run runs on its own, and the result says so", async () => {
    const w = await started(cyclic());
    // The graph still has main.ts importing m13.ts; the code main.ts runs no longer does.
    w.modules["main.ts"] = { ...w.modules["main.ts"]!, deps: w.modules["main.ts"]!.deps!.slice(0, 13), body: () => ({ v: "m2" }) };
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("ok");
    expect(r.kind === "ok" && r.ranAlone).toEqual(["m13.ts"]);
    expect(w.ran).toContain("m13.ts@x1");
  });

  test("a module whose import gives back its instance from before the reload is not reported as run", async () => {
    const w = await started(cyclic());
    const stale = w.world.modules.namespaceOf("m13.ts")!;
    const { load, namespaceOf, evict } = w.world.modules;
    // What Bun does with a module its registry kept out of require.cache's reach: evicted,
    // it is never in the cache again, and importing it gives back the old instance.
    let evicted = false;
    w.world.modules.evict = (p) => ((evicted ||= p === "m13.ts"), evict(p));
    w.world.modules.load = (p) => (p === "m13.ts" ? Promise.resolve(stale) : load(p));
    w.world.modules.namespaceOf = (p) => (p === "m13.ts" && evicted ? undefined : namespaceOf(p));
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).not.toBe("ok");
    expect(r.kind !== "ok" && r.kind !== "skipped" && String(r.error)).toContain("m13.ts did not run again");
  });
});
