/**
 * The last look before a reload is called a success ("the log never lies"): what the
 * reload says ran again has a new record in Bun's registry, each changed module did run
 * again (or left the registry, to be loaded fresh by the next `import()`), and when the
 * entry ran again, its new namespace is what its server was handed. It reads the registry
 * itself, with plain loops, `===` and dictionaries without prototypes: the reloader's
 * bookkeeping is what an app that replaced a builtin may have misled (an
 * `Array.prototype.includes` that answers false kept the old handler serving while every
 * save printed `[success]`; see src/runtime/builtins.ts).
 */
import { shown } from "../paths.ts";
import { listed, replacedBuiltins, type Dict } from "../runtime/builtins.ts";
import type { Evictions } from "../loader/registry.ts";
import type { ReloadResult } from "./result.ts";

/** Bun's registry before the reload, and the evictions the reload made. */
export interface Before {
  /** The entry's record when the reload began (undefined: not loaded). */
  entry: unknown;
  /** The record of each changed file when the reload began (undefined: not loaded). */
  changed: Dict<unknown>;
  evictions: Evictions;
}

/** What the deeper check of a reload made after the app replaced a builtin reads (see `staleImporter`). */
export interface Deeper {
  importers(): Dict<string[]>;
  stops(importer: string, dep: string): boolean;
}

/** Bun's registry now. */
export interface Now {
  recordOf(path: string): unknown;
  namespaceOf(path: string): Record<string, unknown> | undefined;
}

/** What could not be verified: a module that did not run again, or an entry whose new code does not serve. */
export interface Unverified {
  module: string;
  notServed: boolean;
  /** The module it imports that ran again with new exports, when that is why it had to run. */
  because?: string;
}

const keysOf = Object.keys;
const same = Object.is;
const hasOwn = Object.prototype.hasOwnProperty;
const call = Reflect.apply;

/** `sameExports` of the reloader, with the functions it calls taken before any user code ran. */
function sameExports(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
  const ka = keysOf(a);
  if (ka.length !== keysOf(b).length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (!call(hasOwn, b, [k]) || !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

const exportsOf = (record: unknown) => (record && typeof record === "object" ? (record as { exports?: unknown }).exports : undefined);

/**
 * A module still running its old instance although a module it imports statically ran
 * again with new exports: it holds bindings to the instance that was replaced. `importers`
 * comes from the scans (not the graph's maps); `stops(importer, dep)` is true when hot
 * updates end the climb there (`dep` accepts itself, or `importer` accepts `dep`).
 * Meant for a reload made after the app replaced a builtin, when the reloader's own walk
 * may have missed an importer.
 */
export function staleImporter(before: Before, now: Now, importers: Dict<string[]>, stops: (importer: string, dep: string) => boolean): Unverified | undefined {
  const { first } = before.evictions;
  for (const p in first) {
    const was = first[p];
    const record = now.recordOf(p);
    // Not loaded before (nothing can hold an old instance), or not run again (import()-only, pruned).
    if (was === undefined || record === undefined || record === was) continue;
    if (sameExports(exportsOf(was), exportsOf(record))) continue;
    const list = importers[p];
    for (let i = 0; list && i < list.length; i++) {
      const q = list[i]!;
      const r = now.recordOf(q);
      if (r === undefined || (q in first && r !== first[q]) || stops(q, p)) continue;
      return { module: q, notServed: false, because: p };
    }
  }
  return undefined;
}

/**
 * Checks what a reload claims: `ran` (the modules it says ran again) and `served` (the
 * entry namespace it handed to the server, if any). Undefined when everything holds.
 */
export function unverified(ran: ArrayLike<string>, served: unknown, entry: string, before: Before, now: Now): Unverified | undefined {
  const { first, again } = before.evictions;
  for (let i = 0; i < ran.length; i++) {
    const p = ran[i]!;
    const record = now.recordOf(p);
    // A module runs again only once evicted (the entry also when it was not loaded).
    const evicted = p in first;
    if (!evicted && !(p === entry && before.entry === undefined)) return { module: p, notServed: false };
    // Gone since it ran is fine when it ran and was evicted again (pruned, rolled back).
    if (record === undefined ? !again[p] : evicted && record === first[p]) return { module: p, notServed: false };
  }
  // A changed module that was loaded ran again, or was evicted for the next import() to
  // load fresh: the same record means it never left.
  for (const p in before.changed) {
    const was = before.changed[p];
    if (was !== undefined && now.recordOf(p) === was) return { module: p, notServed: false };
  }
  const record = now.recordOf(entry);
  // The entry never stays out of the registry after a reload: evicted, it must run again.
  if (record === undefined) return before.entry === undefined ? undefined : { module: entry, notServed: false };
  if (record !== before.entry) {
    // The entry ran again: the server must have been handed that run's exports. Exports
    // that are not an object (a CommonJS function) are handed over as `{}`: nothing to compare.
    const ns = now.namespaceOf(entry);
    if (ns !== undefined && served !== ns) return { module: entry, notServed: true };
  }
  return undefined;
}

/** The failure to report for `u`, naming the builtins the app replaced (`replaced`), if any. */
export function unverifiedError(u: Unverified, replaced: ArrayLike<string>): Error {
  const what = u.notServed
    ? `${shown(u.module)} ran again, but its new exports are not what serves`
    : `${shown(u.module)} did not run again${u.because ? `, though ${shown(u.because)}, which it imports, did with new exports` : ""}`;
  const why = replaced.length ? `: the app replaced ${listed(replaced)}, which hmr-run relies on` : "";
  return new Error(`${what} (hmr-run could not verify the reload${why})`);
}

/**
 * `res` if what it claims holds; otherwise a failure that says what could not be
 * verified. A success whose modules did not all run again (or whose entry's new code does
 * not serve) is no success; a rollback whose previous code does not run again failed too.
 */
export function verifiedResult(res: ReloadResult, entry: string, before: Before, now: Now, deeper?: Deeper): ReloadResult {
  if (res.kind === "ok") {
    let u = unverified(res.executed, res.served, entry, before, now);
    // The graph's walk ran on the app's builtins: with one replaced, the importers it
    // found are checked against the scans too (a dictionary walk; only then, it costs
    // about a millisecond for a few thousand modules).
    const replaced = replacedBuiltins();
    if (!u && replaced.length && deeper) u = staleImporter(before, now, deeper.importers(), deeper.stops);
    if (!u) return res;
    const error = unverifiedError(u, replaced);
    return { kind: "failed", phase: u.notServed ? "serve" : "run", files: res.files, error, full: res.full, ms: res.ms };
  }
  if (res.kind === "rolled-back") {
    const u = unverified(res.restored, res.served, entry, before, now);
    if (!u) return res;
    const rollbackError = unverifiedError(u, replacedBuiltins());
    return { kind: "failed", phase: res.phase, files: res.files, error: res.error, module: res.module, rollbackError, full: res.full, ms: res.ms };
  }
  return res;
}
