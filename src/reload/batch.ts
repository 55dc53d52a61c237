/**
 * The cost model of a reload. Importing modules one strongly connected component at a
 * time lets a module whose exports stayed identical stop the climb to its importers, at
 * about 0.25 ms a module; a chain of evicted modules imported once is evaluated by Bun
 * itself, as `bun --hot` does, at under half that (1000-module app: 825 modules in 90 ms
 * at once, 160 ms one by one; Bun 1.4.5). So the changed modules run one by one, and
 * once the modules left to run are many, they are evicted together and their topmost
 * importers imported once: a large set rarely has a stop worth finding above its first level.
 */
import type { ReloadWorld } from "../reloader.ts";
import { lazy } from "../reloader.ts";
import type { Transaction } from "./transaction.ts";
import { retire } from "./hooks.ts";
import { shown } from "../paths.ts";
import { append, has } from "../runtime/builtins.ts";
import { loadTracked, serveTracked, type Track } from "./track.ts";

/** From this many modules left to run, they run in one import. */
export const BATCH_FROM = 12;

/**
 * The modules of `rest` (components not processed yet, in order) that must run because
 * of `changed` and `exportsChanged`, when they are at least BATCH_FROM and none of them
 * takes updates itself (accept, decline): those need the precise walk.
 */
export function batchOf(world: ReloadWorld, rest: string[][], changed: Set<string>, exportsChanged: Set<string>): string[] | undefined {
  const { graph, hot } = world;
  const remaining = new Set(rest.flat());
  if (remaining.size < BATCH_FROM) return undefined;
  const run = new Set<string>();
  const stack: string[] = [];
  for (const p of remaining) {
    if (changed.has(p) || graph.deps(p, "static").some((d) => exportsChanged.has(d))) stack.push(p);
  }
  while (stack.length) {
    const p = stack.pop()!;
    if (run.has(p)) continue;
    run.add(p);
    for (const imp of graph.importers(p, "static")) if (remaining.has(imp) && !run.has(imp)) stack.push(imp);
  }
  if (run.size < BATCH_FROM) return undefined;
  for (const p of run) {
    const ctx = hot.peek(p);
    if (ctx && (ctx.selfAccept || ctx.depAccepts.size || ctx.declined)) return undefined;
  }
  return rest.flat().filter((p) => run.has(p));
}

/**
 * After a module of the batch threw, the modules Bun had linked but not run yet stay in
 * its registry, bound to the new instances, where evicting them does nothing (they are
 * not in `require.cache`): a rollback would then run them against the failed code
 * (measured on Bun 1.4.5). Running them now, errors ignored, makes them ordinary cached
 * modules that the rollback disposes and evicts like the others.
 */
async function flush(world: ReloadWorld, runnable: string[]): Promise<void> {
  for (const p of runnable) {
    if (world.modules.namespaceOf(p) !== undefined) continue;
    try {
      await world.loading(() => world.modules.load(p), p);
    } catch {
      // Threw again, or imports the module that threw: it is not left half-linked either.
    }
  }
}

/** What a batch adds to the reload's record. */
export interface BatchOut {
  executed: string[];
  evicted: string[];
  because: Map<string, string>;
  lostImporters: Set<string>;
  /** Modules the batch import did not run, imported one component at a time after it. */
  ranAlone?: string[];
}

/**
 * Thrown when a module of the batch, imported on its own, still gives back the instance
 * it had before the reload: Bun's registry kept it out of `require.cache`'s reach, so no
 * import in this process runs the new code.
 */
export class StaleInstanceError extends Error {
  constructor(readonly path: string) {
    super(`${shown(path)} did not run again: Bun's module registry still holds its previous instance`);
    this.name = "StaleInstanceError";
  }
}

/** The module a thrown StaleInstanceError names; never throws (`instanceof` runs a Proxy's trap). */
export function stalePath(err: unknown): string | undefined {
  try {
    return err instanceof StaleInstanceError ? err.path : undefined;
  } catch {
    return undefined; // A Proxy whose getPrototypeOf trap throws is no StaleInstanceError.
  }
}

/**
 * The modules of `runs` no other module of it imports, one per component: of a cycle
 * (routes importing the entry back), the member Bun reached first from outside, which
 * replays the cycle in its first order. Sorted in the order Bun first ran them.
 */
export function topsOf(world: Pick<ReloadWorld, "graph">, runs: Set<string>, order: ReadonlyMap<string, number>): string[] {
  const { graph } = world;
  const rank = (p: string) => order.get(p) ?? Infinity;
  const tops: string[] = [];
  for (const scc of graph.components(runs)) {
    const members = new Set(scc);
    const imported = scc.some((p) => graph.importers(p, "static").some((imp) => runs.has(imp) && !members.has(imp)));
    if (!imported) tops.push(scc.reduce((a, b) => (rank(b) > rank(a) ? b : a)));
  }
  return tops.sort((a, b) => rank(a) - rank(b));
}

/**
 * Imports, one component at a time as the precise walk does, the modules of `runnable`
 * that the batch import did not run (an edge the graph has and the new code dropped, a
 * top it missed): the log must not count a module as re-run when it was not. Returns
 * the ones it had to import.
 */
async function runMissed(world: ReloadWorld, runnable: string[], before: Map<string, unknown>, order: ReadonlyMap<string, number>, track: Track): Promise<string[]> {
  const { graph, modules } = world;
  const ranNow = (p: string) => {
    const ns = modules.namespaceOf(p);
    return ns !== undefined && ns !== before.get(p);
  };
  const missed = runnable.filter((p) => !ranNow(p));
  if (!missed.length) return missed;
  const rank = (p: string) => order.get(p) ?? Infinity;
  for (const scc of graph.components(new Set(missed))) {
    const members = [...scc].sort((a, b) => rank(a) - rank(b));
    const last = members[members.length - 1]!;
    if (members.length > 1 && !ranNow(last)) await loadTracked(world, track, last);
    for (const p of members) {
      if (ranNow(p)) continue;
      const ns = await loadTracked(world, track, p);
      if (before.get(p) !== undefined && ns === before.get(p)) throw new StaleInstanceError(p);
    }
  }
  return missed;
}

/**
 * Disposes and evicts every module of `batch`, then imports its topmost modules (in the
 * order Bun first ran them), which runs the rest. `phase` follows the step under way, for
 * the error a module throws.
 */
export async function runBatch(
  world: ReloadWorld,
  tx: Transaction,
  batch: string[],
  changed: Set<string>,
  exportsChanged: Set<string>,
  out: BatchOut,
  phase: (p: "dispose" | "run" | "serve") => void,
  track: Track,
): Promise<void> {
  const { graph, modules } = world;
  const inBatch = new Set(batch);
  // The instances before the reload: a module whose namespace is still one of them did not run.
  const before = new Map(batch.map((p) => [p, modules.namespaceOf(p)] as const));
  phase("dispose");
  for (const p of batch) {
    out.because.set(p, changed.has(p) ? p : (graph.deps(p, "static").find((d) => exportsChanged.has(d) || inBatch.has(d)) ?? p));
    await retire(world, p);
  }
  for (const p of batch) {
    for (const d of graph.deps(p)) out.lostImporters.add(d);
    tx.evict(p);
    append(out.evicted, p);
  }
  const runnable = batch.filter((p) => world.isCode(p) && !lazy(world, p));
  const order = graph.evaluationOrder([world.entry]);
  const tops = topsOf(world, new Set(runnable), order);
  // Counted as run before they run: a module that throws is one of them, not a stale one.
  for (let i = 0; i < runnable.length; i++) append(out.executed, runnable[i]!);
  for (const p of batch) exportsChanged.add(p);
  phase("run");
  try {
    for (const top of tops) await loadTracked(world, track, top);
    const alone = await runMissed(world, runnable, before, order, track);
    if (alone.length) out.ranAlone = alone;
  } catch (error) {
    await flush(world, runnable);
    throw error;
  }
  phase("serve");
  if (has(batch, world.entry)) serveTracked(world, track);
}
