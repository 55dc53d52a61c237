/**
 * One reload: from a batch of changed files to re-run modules and a swapped handler.
 * Modules run again in dependency order, one strongly connected component at a time;
 * a module whose exports all stayed identical (`===`) stops the climb to its importers.
 * When many modules are left to run, they run in one import (src/reload/batch.ts).
 * A reload is a transaction: when a module throws while running, every module it
 * evicted runs its last good source again (src/reload/transaction.ts).
 */
import { shown } from "./paths.ts";
import type { ModuleGraph } from "./graph.ts";
import type { Registry } from "./runtime/registry.ts";
import type { HotContext } from "./runtime/hot.ts";
import { box, ioTurn, own, type Box } from "./runtime/own.ts";
import { retire, runHooks, type HookWorld } from "./reload/hooks.ts";
import { Transaction } from "./reload/transaction.ts";
import { batchOf, runBatch } from "./reload/batch.ts";
import type { ReloadPhase, ReloadResult } from "./reload/result.ts";
import { locate } from "./errors.ts";
import { append, has } from "./runtime/builtins.ts";
import { loadTracked, serveTracked, type Track } from "./reload/track.ts";

export type { ReloadResult, ReloadPhase } from "./reload/result.ts";
export { retire } from "./reload/hooks.ts";

/** Bun's module registry as the reloader uses it (src/loader/registry.ts; plain objects in tests). */
export interface ModuleRegistry {
  /** Forgets a module (and any pinned source): its next import runs it again. */
  evict(path: string): void;
  /** Imports (and so runs, if evicted) one module. */
  load(path: string): Promise<Record<string, unknown>>;
  /** The current namespace of a loaded module, without loading it. */
  namespaceOf(path: string): Record<string, unknown> | undefined;
  /** The next load of `path` runs `source` instead of the file's text (a rollback). */
  pin(path: string, source: string): void;
}

/** What the reloader needs from the running app. */
export interface ReloadWorld extends HookWorld {
  graph: ModuleGraph;
  hot: Registry;
  entry: string;
  modules: ModuleRegistry;
  /** JS/TS modules run; data files (JSON, text, templates) are only re-read by their importers. */
  isCode(path: string): boolean;
  /** The source `path` last ran with; undefined when it never ran. */
  sourceOf(path: string): string | undefined;
  /** Brings the graph's edges up to date (scans modules loaded since the last call). */
  index(): void;
  /** Runs `fn` while module loads are being watched for reads and servers. */
  loading<T>(fn: () => Promise<T>, path: string): Promise<T>;
  /** Serves the entry's new exports; throws when they are not servable. */
  serveEntry(ns: Record<string, unknown>): void;
  /** A module left the graph: forget what the app kept about it. */
  forget(path: string): void;
}

export interface ReloadRequest {
  /** Files whose content changed (already filtered to ones that matter). */
  files: Set<string>;
  /** Run every module again even if its code did not change (forced full reload). */
  force?: boolean;
  /** Why every module runs again (shown in the log line). */
  full?: string;
  /** The app's first load: nothing is reloaded yet, so reload hooks and events stay quiet. */
  initial?: boolean;
}

const rel = (p: string) => shown(p);

/** Runs one reload and reports what happened; never throws for errors in user code. */
export async function reload(world: ReloadWorld, req: ReloadRequest): Promise<ReloadResult> {
  return (await reloadBoxed(world, req)).value;
}

/** `reload`, its result boxed so that an app's `Object.prototype.then` cannot capture it. */
export async function reloadBoxed(world: ReloadWorld, req: ReloadRequest): Promise<Box<ReloadResult>> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  const files = [...req.files];
  const { hot } = world;
  world.index();

  let full = req.full ?? (req.initial ? undefined : fullReason(world, req.files));
  const changed = full ? allCode(world) : req.files;
  if (!req.initial) {
    await runHooks(world, "beforeReload");
    hot.emit("hmr:beforeUpdate", { files }, world.warn);
  }
  const tx = new Transaction(world);
  const track: Track = {};
  let pass = (await apply(world, tx, changed, req.force || !!full, track)).value;
  const stale = pass.failure?.phase === "run" && !req.initial && !full && staleModule(world, pass.failure.error, changed, pass.executed);
  if (stale) {
    // A module that did not run again threw: a registry that saw a name twice, a container
    // that lost a binding. Its state is what is stale, so every module runs again.
    full = `${rel(stale)} threw and had not run again; retried as a reload of every module`;
    pass = (await apply(world, tx, allCode(world), true, track)).value;
  }

  if (pass.failure) {
    const { phase, error, module } = pass.failure;
    if (!req.initial) hot.emit("hmr:error", { error, files }, world.warn);
    if (req.initial || phase === "check" || phase === "dispose") return box({ kind: "failed", files, phase, error, module, full, ms: ms() });
    const back = (await tx.rollback()).value;
    if (back.error === undefined) {
      return box({ kind: "rolled-back", files, phase, error, module, restored: back.restored, served: back.served, full, ms: ms() });
    }
    return box({ kind: "failed", files, phase, error, module, rollbackError: back.error, rollbackModule: back.module, full, ms: ms() });
  }

  for (const run of pass.accepted) {
    try {
      run();
    } catch (err) {
      world.warn(err, "an accept() callback");
    }
  }
  // On the first load the graph is built in the background, off the start-up path
  // (scanning 1000 modules here cost 25 to 40 ms before the first response).
  if (!req.initial) {
    // Let requests waiting on the event loop reach the new handler before the bookkeeping
    // (setImmediate does not poll sockets in Bun).
    await ioTurn();
    world.index();
    await prune(world, pass.lostImporters, pass.evicted);
    await runHooks(world, "afterReload");
    hot.emit("hmr:afterUpdate", { files, executed: pass.executed }, world.warn);
  }
  const { executed, evicted, stoppedAt, because, ranAlone } = pass;
  return box({ kind: "ok", files, executed, evicted, stoppedAt, because, full, ranAlone, served: track.served, ms: ms() });
}

interface Pass {
  executed: string[];
  evicted: string[];
  stoppedAt: string[];
  because: Map<string, string>;
  accepted: Array<() => void>;
  lostImporters: Set<string>;
  ranAlone?: string[];
  /** `module`: the one being imported when a module threw (phase "run"). */
  failure?: { phase: ReloadPhase; error: unknown; module?: string };
}

/** Disposes, evicts and runs what `changed` affects, one component at a time, until done or something throws. */
async function apply(world: ReloadWorld, tx: Transaction, changed: Set<string>, force: boolean | undefined, track: Track): Promise<Box<Pass>> {
  const { graph, hot, modules } = world;
  const selfAccepting = (p: string) => !!hot.peek(p)?.selfAccept;
  const candidates = graph.affected(changed, selfAccepting);
  if (modules.namespaceOf(world.entry) === undefined) candidates.add(world.entry);
  const out: Pass = { executed: [], evicted: [], stoppedAt: [], because: new Map(), accepted: [], lostImporters: new Set() };
  const exportsChanged = new Set<string>();
  let order: ReadonlyMap<string, number> | undefined;
  let phase: ReloadPhase = "dispose";
  try {
    const sccs = graph.components(candidates);
    // One look is enough: what is left to run only shrinks as components run one by one.
    let batchLooked = false;
    for (let i = 0; i < sccs.length; i++) {
      const scc = sccs[i]!;
      const reason = scc.map((p) => whyRun(world, p, changed, exportsChanged)).find(Boolean);
      if (!reason) {
        collectDepAccepts(world, scc, exportsChanged, out.accepted);
        continue;
      }
      // Above the changed modules (or in a full reload), many modules left to run run at once.
      if (!batchLooked && (force || !scc.some((p) => changed.has(p)))) {
        batchLooked = true;
        const batch = batchOf(world, sccs.slice(i), changed, exportsChanged);
        if (batch) {
          await runBatch(world, tx, batch, changed, exportsChanged, out, (p) => (phase = p), track);
          break;
        }
      }
      for (const p of scc) out.because.set(p, reason);
      const old = new Map(scc.map((p) => [p, modules.namespaceOf(p)] as const));
      const oldCtx = new Map<string, HotContext | undefined>();
      phase = "dispose";
      for (const p of scc) oldCtx.set(p, (await retire(world, p)).value);
      for (const p of scc) {
        for (const d of graph.deps(p)) out.lostImporters.add(d);
        tx.evict(p);
        append(out.evicted, p);
      }
      // Data files and modules reached only through import() are just evicted: the next
      // import() (or the importer re-running) reads them fresh.
      const runnable = scc.filter((p) => world.isCode(p) && !lazy(world, p));
      for (const p of scc) if (!world.isCode(p)) exportsChanged.add(p);
      if (!runnable.length) continue;
      // A cycle runs in the order Bun first ran it: importing the member it reached first
      // from outside replays that order (an order that depends on which file changed hits
      // "Cannot access 'X' before initialization" where `bun --hot` works).
      if (runnable.length > 1) {
        order ??= graph.evaluationOrder([world.entry]);
        runnable.sort((a, b) => (order!.get(a) ?? Infinity) - (order!.get(b) ?? Infinity));
      }
      phase = "run";
      const last = runnable[runnable.length - 1]!;
      if (runnable.length > 1) await loadTracked(world, track, last);
      for (const p of runnable) {
        const ns = await loadTracked(world, track, p);
        // Recorded without Array.prototype.push: the app may have replaced it (see builtins.ts).
        append(out.executed, p);
        const cbs = oldCtx.get(p)?.selfAccept;
        if (cbs) {
          for (const cb of cbs) out.accepted.push(() => cb(ns));
          continue;
        }
        if (sameExports(old.get(p), ns)) {
          if (!force && graph.importers(p, "static").length) out.stoppedAt.push(p);
        } else exportsChanged.add(p);
      }
      phase = "serve";
      // `has`, not scc.includes: an app that replaced Array.prototype.includes must not
      // keep the entry's old handler serving after its new code ran (see builtins.ts).
      if (has(scc, world.entry)) serveTracked(world, track);
    }
  } catch (error) {
    out.failure = { phase, error, module: phase === "run" ? track.loading : undefined };
  }
  return box(out);
}

/** Why every module must run again for `files`, or undefined when a fine-grained reload serves them. */
function fullReason(world: ReloadWorld, files: Set<string>): string | undefined {
  const { graph, hot } = world;
  const selfAccepting = (p: string) => !!hot.peek(p)?.selfAccept;
  // A decline above a self-accepting module is never reached by its updates.
  const declined = [...graph.affected(files, selfAccepting)].find((p) => hot.peek(p)?.declined);
  if (declined) return `${rel(declined)} declines hot updates`;
  for (const f of files) {
    if (f === world.entry || !world.isCode(f) || world.sourceOf(f) === undefined) continue;
    if (graph.importers(f).length === 0) return `hmr-run does not know which module imports ${rel(f)}`;
  }
  return undefined;
}

const allCode = (world: ReloadWorld) => new Set([...world.graph.paths()].filter(world.isCode));

/** The module where `error` was thrown, when it is one of the app's that did not run in this pass. */
function staleModule(world: ReloadWorld, error: unknown, changed: Set<string>, executed: string[]): string | undefined {
  const at = locate(error, (f) => world.graph.has(f))?.file;
  if (!at || changed.has(at) || has(executed, at) || !world.graph.has(at)) return undefined;
  return at;
}

/** Why module `p` must run again, or undefined if it need not. */
function whyRun(world: ReloadWorld, p: string, changed: Set<string>, exportsChanged: Set<string>): string | undefined {
  if (changed.has(p)) return p;
  if (p === world.entry && world.modules.namespaceOf(p) === undefined) return p;
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
      const ns = world.modules.namespaceOf(dep);
      for (const cb of cbs) out.push(() => cb([ns]));
    }
  }
}

/** A module only reached through `import()`: its importers never run again for it. */
export function lazy(world: Pick<ReloadWorld, "graph" | "entry">, p: string): boolean {
  if (p === world.entry) return false;
  const importers = world.graph.importers(p);
  return importers.length > 0 && world.graph.importers(p, "static").length === 0;
}

/** Modules that lost their last importer leave the graph: dispose, then prune hooks run. */
async function prune(world: ReloadWorld, suspects: Set<string>, evicted: string[]): Promise<void> {
  const { graph } = world;
  const stack = [...suspects];
  while (stack.length) {
    const p = stack.pop()!;
    if (p === world.entry || !graph.has(p) || graph.importers(p).length > 0) continue;
    const deps = graph.deps(p);
    await retire(world, p, true);
    world.modules.evict(p);
    evicted.push(p);
    graph.remove(p);
    world.forget(p);
    stack.push(...deps);
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
