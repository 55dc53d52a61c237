/**
 * What a reload did, recorded at the two places where it happens rather than rebuilt
 * from its bookkeeping afterwards: the module being imported (named when something
 * throws that says nothing about where it came from) and the namespace handed to the
 * entry's server (checked against the entry's new instance before `[success]`, see
 * src/reload/verify.ts).
 */
import type { ReloadWorld } from "../reloader.ts";

export interface Track {
  /** The module whose import is (or was last) under way. */
  loading?: string;
  /** The entry namespace last handed to `serveEntry` without a throw. */
  served?: Record<string, unknown>;
}

/** Imports (and so runs, if evicted) `p`, remembering it as the module loading. */
export function loadTracked(world: ReloadWorld, track: Track, p: string): Promise<Record<string, unknown>> {
  track.loading = p;
  return world.loading(() => world.modules.load(p), p);
}

/** Serves the entry's current namespace, remembering what was served once it was. */
export function serveTracked(world: ReloadWorld, track: Track): void {
  const ns = world.modules.namespaceOf(world.entry) ?? {};
  world.serveEntry(ns);
  track.served = ns;
}
