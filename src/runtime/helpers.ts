/**
 * Plain helpers for user modules. Each one finds its module from the call stack and
 * does nothing when the code runs outside hmr-run (plain `bun`, production).
 */
import { resolve } from "node:path";
import { own, ownStderr } from "./own.ts";
import { report, where } from "../errors.ts";
import { inNodeModules } from "../paths.ts";
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
 * `dispose` runs on the old value once a new one is built, and when the module leaves the
 * graph or the app stops.
 */
export function persist<T>(key: string, factory: () => T, dispose?: (value: T) => void | Promise<void>): T {
  const rt = runtime();
  const owner = rt?.caller();
  if (!rt || !owner) return factory();
  let store = rt.persisted.get(owner);
  if (!store) rt.persisted.set(owner, (store = new Map()));
  // Compared as text: a factory whose code changed builds a new value, one whose module
  // changed elsewhere does not. Values it closes over are not compared.
  const source = factory.toString();
  const found = store.get(key);
  let value: T;
  if (found && found.source === source) {
    value = found.value as T;
  } else {
    // Built before the old one is disposed: if the factory throws, the old value stays.
    value = factory();
    store.set(key, { source, value });
    if (found && dispose) void settle(() => dispose(found.value as T), key);
  }
  // Once per execution and key (persist may also be called per request): each execution
  // registers again, so the latest `dispose` is the one that runs.
  const ctx = rt.context(owner);
  const keys = closers.get(ctx) ?? new Set<string>();
  closers.set(ctx, keys);
  if (!keys.has(key)) {
    keys.add(key);
    const kept = store;
    ctx.prune(() => {
      const last = kept.get(key);
      if (!last) return;
      kept.delete(key);
      if (dispose) return settle(() => dispose(last.value as T), key);
    });
  }
  return value;
}

/** The persist keys whose closing each module execution has registered. */
const closers = new WeakMap<object, Set<string>>();

/** A replaced value's dispose runs in the background; one that hangs is reported after this long (ms). */
const PERSIST_DISPOSE_MS = 3000;

async function settle(fn: () => unknown, key: string): Promise<void> {
  let timer: Timer | undefined;
  try {
    const done = own.Promise.resolve().then(fn).then(() => true);
    const late = new own.Promise<false>((r) => (timer = own.setTimeout(() => r(false), PERSIST_DISPOSE_MS)));
    if (!(await own.Promise.race([done, late]))) {
      ownStderr(`hmr-run: disposing persisted "${key}" did not finish within ${PERSIST_DISPOSE_MS} ms; left behind\n`);
    }
  } catch (err) {
    // Straight to file descriptor 2, like every line of hmr-run's: an app that mutes
    // console.error (a test harness, a logger) must not hide that its value was not closed.
    const r = report(err, (f) => !inNodeModules(f));
    const at = r.location ? ` (${where(r.location)})` : "";
    ownStderr(`hmr-run: disposing persisted "${key}" failed${at}: ${r.message}\n`);
  } finally {
    own.clearTimeout(timer);
  }
}

/**
 * Re-runs the calling module (and its importers) when `file` changes: for files read after
 * start-up, in a request handler or lazily. Relative paths are from the working directory,
 * as for `fs`; the file must be inside a watched path.
 */
export function watchFile(file: string | URL): void {
  const rt = runtime();
  const owner = rt?.caller();
  if (!rt || !owner) return;
  rt.host.watchFile(owner, file instanceof URL ? Bun.fileURLToPath(file) : resolve(file));
}

/** True when this code runs under hmr-run. */
export function isHot(): boolean {
  return runtime() !== undefined;
}
