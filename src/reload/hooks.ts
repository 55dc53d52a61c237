/**
 * Running user hooks during a reload: dispose, prune, onBeforeReload/onAfterReload.
 * Each is awaited with a time limit and reported when it throws; none stops a reload.
 */
import { shown } from "../paths.ts";
import type { HotContext } from "../runtime/hot.ts";
import type { Registry } from "../runtime/registry.ts";
import { box, own, type Box } from "../runtime/own.ts";

/** What running hooks needs: the live contexts, a place to report, a time limit. */
export interface HookWorld {
  hot: Registry;
  warn(err: unknown, where: string): void;
  disposeTimeoutMs: number;
}

const rel = (p: string) => shown(p);

/**
 * Ends the current execution of `p` and runs its dispose hooks. `forget`: the module
 * leaves the graph, so its prune hooks run too, after the dispose hooks (Vite's order).
 */
export async function retire(world: HookWorld, p: string, forget = false): Promise<Box<HotContext | undefined>> {
  const ctx = world.hot.retire(p, forget);
  if (!ctx) return box(undefined);
  for (const fn of forget ? [...ctx.disposers, ...ctx.pruners] : ctx.disposers) {
    await bounded(world, () => fn(ctx.data), `a ${forget ? "dispose or prune" : "dispose"} hook of ${rel(p)}`);
  }
  return box(ctx);
}

export async function runHooks(world: HookWorld, which: "beforeReload" | "afterReload"): Promise<void> {
  for (const [owner, fn] of world.hot.hooks(which)) {
    await bounded(world, fn, `an ${which === "beforeReload" ? "onBeforeReload" : "onAfterReload"} hook of ${rel(owner)}`);
  }
}

/** Runs `fn`, reporting a throw or a run longer than the limit; never throws. */
export async function bounded(world: Pick<HookWorld, "warn" | "disposeTimeoutMs">, fn: () => unknown, where: string): Promise<void> {
  let timer: Timer | undefined;
  try {
    const done = own.Promise.resolve().then(fn).then(() => "done" as const);
    const timeout = new own.Promise<"timeout">((r) => (timer = own.setTimeout(() => r("timeout"), world.disposeTimeoutMs)));
    if ((await own.Promise.race([done, timeout])) === "timeout") {
      world.warn(new Error(`did not finish within ${world.disposeTimeoutMs} ms; reloading anyway`), where);
    }
  } catch (err) {
    world.warn(err, where);
  } finally {
    own.clearTimeout(timer);
  }
}
