/**
 * One reload: from a batch of changed files to re-run modules and a swapped handler.
 * Modules run again in dependency order, one strongly connected component at a time;
 * a module whose exports all stayed identical (`===`) stops the climb to its importers.
 */
import type { ModuleGraph } from "./graph.ts";
import type { Registry } from "./runtime/registry.ts";
import type { HotContext } from "./runtime/hot.ts";
import { relative } from "node:path";
import { evict, load, namespaceOf } from "./loader/registry.ts";

/** What a reload did, as data: the CLI decides how to print it. */
export type ReloadResult =
  | { kind: "skipped"; files: string[]; reason: string }
  | {
      kind: "ok";
      files: string[];
      executed: string[];
      evicted: string[];
      /** Modules that ran again with identical exports, so their importers did not. */
      stoppedAt: string[];
      /** Why each executed module ran: the module it was re-run for. */
      because: Map<string, string>;
      ms: number;
    }
  | { kind: "error"; files: string[]; error: unknown; ms: number };

/** What the reloader needs from the running app. */
export interface ReloadWorld {
  graph: ModuleGraph;
  hot: Registry;
  entry: string;
  /** JS/TS modules run; data files (JSON, text, templates) are only re-read by their importers. */
  isCode(path: string): boolean;
  /** Brings the graph's edges up to date (scans modules loaded since the last call). */
  index(): void;
  /** Runs `fn` while module loads are being watched for reads and servers. */
  loading<T>(fn: () => Promise<T>, path: string): Promise<T>;
  /** Serves the entry's new exports; throws when they are not servable. */
  serveEntry(ns: Record<string, unknown>): void;
  /** A hook threw or timed out: say so, never stop. */
  warn(err: unknown, where: string): void;
  /** A module left the graph: forget what the app kept about it. */
  forget(path: string): void;
  disposeTimeoutMs: number;
}

export interface ReloadRequest {
  /** Files whose content changed (already filtered to ones that matter). */
  files: Set<string>;
  /** Run every module again even if its code did not change (forced full reload). */
  force?: boolean;
  /** The app's first load: nothing is reloaded yet, so reload hooks and events stay quiet. */
  initial?: boolean;
}

export async function reload(world: ReloadWorld, req: ReloadRequest): Promise<ReloadResult> {
  const started = performance.now();
  const files = [...req.files];
  const { graph, hot } = world;
  world.index();

  const selfAccepting = (p: string) => !!hot.peek(p)?.selfAccept;
  // A decline above a self-accepting module is never reached by its updates.
  const declined = [...graph.affected(req.files, selfAccepting)].find((p) => hot.peek(p)?.declined);
  const changed = declined ? new Set([...graph.paths()].filter(world.isCode)) : req.files;
  const candidates = graph.affected(changed, selfAccepting);
  if (namespaceOf(world.entry) === undefined) candidates.add(world.entry);

  if (!req.initial) {
    await runHooks(world, "beforeReload");
    hot.emit("hmr:beforeUpdate", { files }, world.warn);
  }

  const exportsChanged = new Set<string>();
  const executed: string[] = [];
  const evicted: string[] = [];
  const stoppedAt: string[] = [];
  const because = new Map<string, string>();
  const accepted: Array<() => void> = [];
  const lostImporters = new Set<string>();

  try {
    for (const scc of graph.components(candidates)) {
      const reason = scc.map((p) => whyRun(world, p, changed, exportsChanged)).find(Boolean);
      if (!reason) {
        collectDepAccepts(world, scc, exportsChanged, accepted);
        continue;
      }
      for (const p of scc) because.set(p, reason);
      const old = new Map(scc.map((p) => [p, namespaceOf(p)] as const));
      const oldCtx = new Map<string, HotContext | undefined>();
      for (const p of scc) oldCtx.set(p, await retire(world, p));
      for (const p of scc) {
        for (const d of graph.deps(p)) lostImporters.add(d);
        evict(p);
        evicted.push(p);
      }
      // Data files and modules reached only through import() are just evicted: the next
      // import() (or the importer re-running) reads them fresh.
      if (scc.every((p) => !world.isCode(p) || lazy(world, p))) {
        for (const p of scc) if (!world.isCode(p)) exportsChanged.add(p);
        continue;
      }
      for (const p of scc) {
        if (!world.isCode(p) || lazy(world, p)) continue;
        const ns = await world.loading(() => load(p), p);
        executed.push(p);
        const cbs = oldCtx.get(p)?.selfAccept;
        if (cbs) {
          for (const cb of cbs) accepted.push(() => cb(ns));
          continue;
        }
        if (sameExports(old.get(p), ns)) {
          if (!req.force && graph.importers(p, "static").length) stoppedAt.push(p);
        }
        else exportsChanged.add(p);
      }
      if (scc.includes(world.entry)) world.serveEntry(namespaceOf(world.entry) ?? {});
    }
  } catch (error) {
    if (!req.initial) hot.emit("hmr:error", { error, files }, world.warn);
    return { kind: "error", files, error, ms: performance.now() - started };
  }

  for (const run of accepted) {
    try {
      run();
    } catch (err) {
      world.warn(err, "an accept() callback");
    }
  }
  // On the first load the graph is built in the background, off the start-up path
  // (scanning 1000 modules here cost 25 to 40 ms before the first response).
  if (!req.initial) {
    // Let requests waiting on the event loop reach the new handler before the bookkeeping.
    await new Promise((r) => setImmediate(r));
    world.index();
    await prune(world, lostImporters, evicted);
    await runHooks(world, "afterReload");
    hot.emit("hmr:afterUpdate", { files, executed }, world.warn);
  }
  return { kind: "ok", files, executed, evicted, stoppedAt, because, ms: performance.now() - started };
}

/** Why module `p` must run again, or undefined if it need not. */
function whyRun(world: ReloadWorld, p: string, changed: Set<string>, exportsChanged: Set<string>): string | undefined {
  if (changed.has(p)) return p;
  if (p === world.entry && namespaceOf(p) === undefined) return p;
  const ctx = world.hot.peek(p);
  for (const d of world.graph.deps(p, "static")) {
    if (exportsChanged.has(d) && !ctx?.depAccepts.has(d)) return d;
  }
  return undefined;
}

/** Importers that accept a changed dependency get its new module instead of running again. */
function collectDepAccepts(world: ReloadWorld, scc: string[], exportsChanged: Set<string>, out: Array<() => void>) {
  for (const p of scc) {
    const ctx = world.hot.peek(p);
    if (!ctx) continue;
    for (const [dep, cbs] of ctx.depAccepts) {
      if (!exportsChanged.has(dep)) continue;
      const ns = namespaceOf(dep);
      for (const cb of cbs) out.push(() => cb([ns]));
    }
  }
}

/** A module only reached through `import()`: its importers never run again for it. */
function lazy(world: ReloadWorld, p: string): boolean {
  if (p === world.entry) return false;
  const importers = world.graph.importers(p);
  return importers.length > 0 && world.graph.importers(p, "static").length === 0;
}

/** Runs the dispose hooks of the current execution of `p`; each is bounded in time. */
export async function retire(world: ReloadWorld, p: string, forget = false): Promise<HotContext | undefined> {
  const ctx = world.hot.retire(p, forget);
  if (!ctx) return undefined;
  for (const fn of forget ? [...ctx.pruners, ...ctx.disposers] : ctx.disposers) {
    await bounded(world, () => fn(ctx.data), `a ${forget ? "prune or dispose" : "dispose"} hook of ${relative(process.cwd(), p)}`);
  }
  return ctx;
}

/** Modules that lost their last importer leave the graph: prune and dispose hooks run. */
async function prune(world: ReloadWorld, suspects: Set<string>, evicted: string[]): Promise<void> {
  const { graph } = world;
  const stack = [...suspects];
  while (stack.length) {
    const p = stack.pop()!;
    if (p === world.entry || !graph.has(p) || graph.importers(p).length > 0) continue;
    const deps = graph.deps(p);
    await retire(world, p, true);
    evict(p);
    evicted.push(p);
    graph.remove(p);
    world.forget(p);
    stack.push(...deps);
  }
}

async function runHooks(world: ReloadWorld, which: "beforeReload" | "afterReload"): Promise<void> {
  for (const [owner, fn] of world.hot.hooks(which)) {
    await bounded(world, fn, `an ${which === "beforeReload" ? "onBeforeReload" : "onAfterReload"} hook of ${relative(process.cwd(), owner)}`);
  }
}

async function bounded(world: ReloadWorld, fn: () => unknown, where: string): Promise<void> {
  let timer: Timer | undefined;
  try {
    const done = Promise.resolve().then(fn);
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), world.disposeTimeoutMs)));
    if ((await Promise.race([done, timeout])) === "timeout") {
      world.warn(new Error(`did not finish within ${world.disposeTimeoutMs} ms; reloading anyway`), where);
    }
  } catch (err) {
    world.warn(err, where);
  } finally {
    clearTimeout(timer);
  }
}

/** Identical exports: same names, each value `===` (NaN equal to itself). */
export function sameExports(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!Object.is((a as any)[k], (b as any)[k])) return false;
  }
  return true;
}
