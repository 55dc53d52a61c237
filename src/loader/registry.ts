/**
 * Bun's module registry, seen as four operations. Evicting with
 * `delete require.cache[path]` lets the old instance be collected; query-string
 * re-imports would keep every version alive (about 124 MB after 1000 re-imports, Bun 1.4.5).
 */

import { forgetCommonJS } from "./commonjs.ts";
import { dict, type Dict } from "../runtime/builtins.ts";

type Cache = Record<string, { exports?: unknown } | undefined>;
const cache = require.cache as unknown as Cache;
/** Sources that the next load of a path runs instead of the file (a rollback). */
const pins = new Map<string, string>();

/** The current namespace of a loaded module, without loading it. */
export function namespaceOf(path: string): Record<string, unknown> | undefined {
  const ns = cache[path]?.exports;
  return ns && typeof ns === "object" ? (ns as Record<string, unknown>) : undefined;
}

/**
 * A module's record in Bun's registry (its `require.cache` entry): a new object each time
 * the module runs, the same one until it is evicted. Unlike the exports, which a module
 * may hand out again (`module.exports = globalThis.db ??= ...`), it tells a new run apart.
 */
export function recordOf(path: string): unknown {
  return cache[path];
}

/**
 * Evictions during a reload: each evicted module's record as it was at its first eviction
 * (undefined: not loaded then), and the modules evicted again after they had run again
 * (pruned, or rolled back), whose absence afterwards is no sign that they did not run.
 */
export interface Evictions {
  first: Dict<unknown>;
  again: Dict<true>;
}

let evictions: Evictions | undefined;

/** Starts remembering evictions; the returned record fills as modules are evicted. */
export function recordEvictions(): Evictions {
  return (evictions = { first: dict(), again: dict() });
}

/** Stops remembering evictions. */
export function stopRecordingEvictions(): void {
  evictions = undefined;
}

/** Forgets a module (and a pinned source): the next import runs it again from the file. */
export function evict(path: string): void {
  if (evictions) {
    if (!(path in evictions.first)) evictions.first[path] = cache[path];
    else if (cache[path] !== undefined && cache[path] !== evictions.first[path]) evictions.again[path] = true;
  }
  delete cache[path];
  pins.delete(path);
  forgetCommonJS(path);
}

/** Imports (and so runs, if evicted) one module. */
export async function load(path: string): Promise<Record<string, unknown>> {
  return (await import(path)) as Record<string, unknown>;
}

/** Until `path` is evicted again, loading it runs `source` rather than the file's text. */
export function pin(path: string, source: string): void {
  pins.set(path, source);
}

/** The source pinned for `path`, if any (read by the loader plugin). */
export function pinned(path: string): string | undefined {
  return pins.size ? pins.get(path) : undefined;
}

/** Paths whose next load starts with a `debugger;` statement (`--inspect-brk`: the app's first line). */
const breaks = new Set<string>();

/** The next load of `path` pauses an attached debugger before its first line. */
export function breakOnce(path: string): void {
  breaks.add(path);
}

/** Whether this load of `path` starts with a `debugger;` statement (read once by the loader plugin). */
export function takeBreak(path: string): boolean {
  return breaks.size > 0 && breaks.delete(path);
}
