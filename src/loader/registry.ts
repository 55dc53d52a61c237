/**
 * Bun's module registry, seen as three operations. Evicting with
 * `delete require.cache[path]` lets the old instance be collected; query-string
 * re-imports would keep every version alive (DESIGN.md: 124 MB after 1000 imports).
 */

import { forgetCommonJS } from "./commonjs.ts";

type Cache = Record<string, { exports?: unknown } | undefined>;
const cache = require.cache as unknown as Cache;

/** The current namespace of a loaded module, without loading it. */
export function namespaceOf(path: string): Record<string, unknown> | undefined {
  const ns = cache[path]?.exports;
  return ns && typeof ns === "object" ? (ns as Record<string, unknown>) : undefined;
}

/** Forgets a module: the next import runs it again from the file. */
export function evict(path: string): void {
  delete cache[path];
  forgetCommonJS(path);
}

/** Imports (and so runs, if evicted) one module. */
export async function load(path: string): Promise<Record<string, unknown>> {
  return (await import(path)) as Record<string, unknown>;
}
