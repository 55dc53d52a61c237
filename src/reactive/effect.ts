/**
 * `effect()`: code that runs now and again whenever a signal it read changes.
 * Created at a module's top level under hmr-run, it is disposed before that module
 * runs again, so twenty reloads leave one live effect, not twenty-one.
 */
import { effect as alienEffect } from "alien-signals";
import { topLevelOwner } from "./owner.ts";

/** What an effect may return: a cleanup that runs before its next run and on disposal. */
export type EffectCleanup = () => void;

/**
 * Runs `fn` now and whenever a signal or derived value it read changes. `fn` may return
 * a cleanup. Returns a disposer that stops the effect (and runs the last cleanup).
 * An effect created inside another effect is disposed when its parent re-runs.
 */
export function effect(fn: () => EffectCleanup | void | Promise<unknown>): () => void {
  // Only a returned function is a cleanup: alien-signals would call whatever is returned,
  // and an async effect returns a promise.
  const stop = alienEffect(() => {
    const cleanup = fn();
    return typeof cleanup === "function" ? cleanup : undefined;
  });
  topLevelOwner()?.dispose(stop);
  return stop;
}
