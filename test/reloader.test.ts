// The reloader against plain objects (test/support/fake-world.ts): which modules run
// again, in which order, and what a failure brings back. No Bun registry, no files.
import { describe, expect, test } from "bun:test";
import { reload, type ReloadResult } from "../src/reloader.ts";
import { FakeWorld, type FakeModule } from "./support/fake-world.ts";
import { staleImporter, unverified, unverifiedError } from "../src/reload/verify.ts";

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

describe("what a reload records for the checks after it", () => {
  test("a throw names the module being imported, and a rollback says what it served", async () => {
    const w = await started({ "a.ts": { source: "a1" }, "main.ts": servesA });
    const trap = () => {
      throw new Error("trap");
    };
    w.modules["a.ts"]!.body = (s) => {
      if (s === "a2") throw new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap });
      return { v: s };
    };
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind).toBe("rolled-back");
    expect(r.kind === "rolled-back" && r.module).toBe("a.ts");
    // The rollback served the entry's restored instance.
    expect(r.kind === "rolled-back" && r.served).toBe(w.served[w.served.length - 1]!);
    expect(w.serving).toBe("m1:a1");
  });

  test("a success says which entry namespace it served; none when the entry did not run", async () => {
    const same = { v: "constant" };
    const w = await started({ "a.ts": { source: "a1" }, "b.ts": { source: "b1", body: () => same }, "main.ts": { ...servesA, deps: ["a.ts", "b.ts"] } });
    w.edit("a.ts", "a2");
    const r = await save(w, "a.ts");
    expect(r.kind === "ok" && r.served).toBe(w.world.modules.namespaceOf("main.ts")!);
    w.edit("b.ts", "b2");
    const stopped = await save(w, "b.ts");
    expect(stopped.kind === "ok" && stopped.served).toBeUndefined();
  });
});

describe("the check of what a reload claims (src/reload/verify.ts)", () => {
  /** Bun's registry as records (a new object per run) and namespaces. */
  const registry = (records: Record<string, object | undefined>) => ({
    recordOf: (p: string) => records[p],
    namespaceOf: (p: string) => (records[p] as { exports?: Record<string, unknown> } | undefined)?.exports,
  });
  const evictions = (first: Record<string, unknown>, again: string[] = []) => ({
    first: Object.assign(Object.create(null), first),
    again: Object.assign(Object.create(null), Object.fromEntries(again.map((p) => [p, true]))),
  });
  const rec = (v: string) => ({ exports: { v } });

  test("modules that ran again with the entry serving its new exports pass", () => {
    const [a1, a2, m1, m2] = [rec("a1"), rec("a2"), rec("m1"), rec("m2")];
    const before = { entry: m1, changed: Object.assign(Object.create(null), { "a.ts": a1 }), evictions: evictions({ "a.ts": a1, "main.ts": m1 }) };
    const now = registry({ "a.ts": a2, "main.ts": m2 });
    expect(unverified(["a.ts", "main.ts"], m2.exports, "main.ts", before, now)).toBeUndefined();
  });

  test("an entry that ran again but is not what serves, a module said to have run that did not, an evicted entry left out", () => {
    const [a1, a2, m1, m2] = [rec("a1"), rec("a2"), rec("m1"), rec("m2")];
    const before = { entry: m1, changed: Object.assign(Object.create(null), { "a.ts": a1 }), evictions: evictions({ "a.ts": a1, "main.ts": m1 }) };
    expect(unverified(["a.ts", "main.ts"], m1.exports, "main.ts", before, registry({ "a.ts": a2, "main.ts": m2 }))).toEqual({ module: "main.ts", notServed: true });
    expect(unverified(["a.ts", "main.ts"], undefined, "main.ts", before, registry({ "a.ts": a2, "main.ts": undefined }))).toEqual({ module: "main.ts", notServed: false });
    const notEvicted = { ...before, evictions: evictions({ "main.ts": m1 }) };
    expect(unverified(["a.ts"], undefined, "main.ts", notEvicted, registry({ "a.ts": a1, "main.ts": m1 }))).toEqual({ module: "a.ts", notServed: false });
    // Nothing said to have run, but a changed module kept its instance.
    expect(unverified([], undefined, "main.ts", { ...before, evictions: evictions({}) }, registry({ "a.ts": a1, "main.ts": m1 }))).toEqual({ module: "a.ts", notServed: false });
  });

  test("a module pruned after it ran, and an import()-only module only evicted, pass", () => {
    const [a1, m1, m2, l1] = [rec("a1"), rec("m1"), rec("m2"), rec("l1")];
    const before = { entry: m1, changed: Object.assign(Object.create(null), { "a.ts": a1, "lazy.ts": l1 }), evictions: evictions({ "a.ts": a1, "main.ts": m1, "lazy.ts": l1 }, ["a.ts"]) };
    expect(unverified(["a.ts", "main.ts"], m2.exports, "main.ts", before, registry({ "main.ts": m2 }))).toBeUndefined();
  });

  test("after a replaced builtin: an importer that kept its instance while a module it imports got new exports is named", () => {
    const [a1, a2, m1] = [rec("a1"), rec("a2"), rec("m1")];
    const before = { entry: m1, changed: Object.create(null), evictions: evictions({ "a.ts": a1 }) };
    const importers = Object.assign(Object.create(null), { "a.ts": ["main.ts"] });
    const now = registry({ "a.ts": a2, "main.ts": m1 });
    expect(staleImporter(before, now, importers, () => false)).toEqual({ module: "main.ts", notServed: false, because: "a.ts" });
    // Accepting the update, or identical exports, ends the climb there.
    expect(staleImporter(before, now, importers, () => true)).toBeUndefined();
    expect(staleImporter(before, registry({ "a.ts": { exports: { ...a1.exports } }, "main.ts": m1 }), importers, () => false)).toBeUndefined();
    expect(unverifiedError({ module: "main.ts", notServed: false, because: "a.ts" }, ["Set.prototype.has"]).message).toContain(
      "did not run again, though a.ts, which it imports, did with new exports (hmr-run could not verify the reload: the app replaced Set.prototype.has, which hmr-run relies on)",
    );
  });
});
