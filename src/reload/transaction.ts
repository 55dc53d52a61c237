/**
 * The undo log of one reload. Each module is remembered with the source it last ran
 * with, the first time the reload evicts it; a rollback runs those sources again
 * (through the loader plugin, keyed by path: about 0.2 ms a module on Bun 1.4.5), so
 * the old code serves and works again, its dispose hooks having closed what it held.
 * dynohot calls this a rollback.
 */
import type { ReloadWorld } from "../reloader.ts";
import { lazy } from "../reloader.ts";
import { retire } from "./hooks.ts";
import { box, type Box } from "../runtime/own.ts";
import { append, has } from "../runtime/builtins.ts";
import { loadTracked, serveTracked, type Track } from "./track.ts";

export class Transaction {
  /** Every module evicted so far, in eviction order, with its last good source (undefined: it never ran). */
  private lastGood = new Map<string, string | undefined>();

  constructor(private world: ReloadWorld) {}

  /** Evicts `p`, remembering what to bring back. */
  evict(p: string): void {
    if (!this.lastGood.has(p)) this.lastGood.set(p, this.world.sourceOf(p));
    this.world.modules.evict(p);
  }

  /**
   * Runs the last good source of every evicted module again, dependencies first and
   * cycles in the order they first ran, then serves the entry again if it was evicted.
   * The graph still has the edges of the old code: it is indexed only after a success.
   */
  async rollback(): Promise<Box<{ restored: string[]; error?: unknown; module?: string; served?: Record<string, unknown> }>> {
    const { world } = this;
    const { graph, modules } = world;
    const restored: string[] = [];
    const track: Track = {};
    // Importers that did not run again still hold bindings to the disposed instances:
    // they run again too, with the source they run now (what a full pass would have done).
    const selfAccepting = (p: string) => !!world.hot.peek(p)?.selfAccept;
    const set = graph.affected(this.lastGood.keys(), selfAccepting);
    for (const p of this.lastGood.keys()) set.add(p);
    for (const p of set) if (!this.lastGood.has(p)) this.lastGood.set(p, world.sourceOf(p));
    try {
      // Modules that ran their new code hold resources of that code: close them first.
      for (const p of set) await retire(world, p);
      for (const [p, source] of this.lastGood) {
        modules.evict(p);
        if (source !== undefined && world.isCode(p)) modules.pin(p, source);
      }
      const order = graph.evaluationOrder([world.entry]);
      for (const scc of graph.components(set)) {
        const runnable = scc
          .filter((p) => this.lastGood.get(p) !== undefined && world.isCode(p) && !lazy(world, p))
          .sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
        if (!runnable.length) continue;
        const last = runnable[runnable.length - 1]!;
        if (runnable.length > 1) await loadTracked(world, track, last);
        for (const p of runnable) {
          await loadTracked(world, track, p);
          append(restored, p);
        }
        if (has(scc, world.entry)) serveTracked(world, track);
      }
    } catch (error) {
      return box({ restored, error, module: track.loading });
    }
    return box({ restored, served: track.served });
  }
}
