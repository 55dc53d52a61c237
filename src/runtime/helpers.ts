/**
 * Plain helpers for user modules. Each one finds its module from the call stack and
 * does nothing when the code runs outside hmr-run (plain `bun`, production).
 */
import { runtime } from "./registry.ts";

/** Runs `fn` before the calling module runs again or leaves the graph (also on shutdown). */
export function onDispose(fn: (data: Record<string, any>) => void | Promise<void>): void {
  const rt = runtime();
  const owner = rt?.caller();
  if (rt && owner) rt.context(owner).dispose(fn);
}

/** Runs `fn` before every reload; registering again from a re-run module replaces the old hook. */
export function onBeforeReload(fn: () => unknown): void {
  const rt = runtime();
  const owner = rt?.caller();
  if (rt && owner) rt.context(owner).beforeReload.push(fn);
}

/** Runs `fn` after every successful reload; registering again from a re-run module replaces the old hook. */
export function onAfterReload(fn: () => unknown): void {
  const rt = runtime();
  const owner = rt?.caller();
  if (rt && owner) rt.context(owner).afterReload.push(fn);
}

/**
 * Builds a value once (a DB pool, a loaded model, a cache) and hands the same value back
 * every time the calling module runs again, until the factory's own source changes.
 * `dispose` runs on the old value when it is replaced.
 */
export function persist<T>(key: string, factory: () => T, dispose?: (value: T) => void | Promise<void>): T {
  const rt = runtime();
  const owner = rt?.caller();
  if (!rt || !owner) return factory();
  let store = rt.persisted.get(owner);
  if (!store) rt.persisted.set(owner, (store = new Map()));
  const source = factory.toString();
  const found = store.get(key);
  if (found && found.source === source) return found.value as T;
  const value = factory();
  store.set(key, { source, value });
  if (found && dispose) {
    // The old value is replaced: let its owner close it once this module has moved on.
    void Promise.resolve()
      .then(() => dispose(found.value as T))
      .catch((err) => console.error(`hmr-run: dispose of persisted "${key}" failed:`, err));
  }
  return value;
}

/** Re-runs the calling module (and its importers) when `file` changes; for files read after start-up. */
export function watchFile(file: string): void {
  const rt = runtime();
  const owner = rt?.caller();
  if (rt && owner) rt.host.watchFile(owner, file);
}

/** True when this code runs under hmr-run. */
export function isHot(): boolean {
  return runtime() !== undefined;
}
