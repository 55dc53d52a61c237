/**
 * Notices folder listings that modules make while they load (`readdir`, `Bun.Glob`,
 * `fs.glob`, `Bun.FileSystemRouter`), so that a file-system router that lists `routes/` and imports what it
 * finds runs again when a file is created in that folder or removed from it. Edits of
 * files already listed are not listing changes: the router imported them, so the graph
 * already re-runs it.
 */
import { createRequire } from "node:module";
import { isAbsolute, join, resolve, sep } from "node:path";
import { isUnder, parentDir } from "../paths.ts";
import { patch } from "../runtime/patch.ts";

const require_ = createRequire(import.meta.url);

/** One listing a module made: what it covers and how to make it again. */
export interface Listing {
  /** The listed folder: a change under it may change the listing. */
  root: string;
  /** Only files directly in `root` count (a plain readdir); else anything below it. */
  shallow: boolean;
  /** The same call again, without being noticed: its result as one comparable string. */
  list: () => string;
  /** Tells apart listings of one folder made with different patterns or options. */
  signature: string;
}

let current: (l: Listing) => void = () => {};

/**
 * Wraps the listing functions while an app runs; `onList` gets each listing made in this
 * process and decides whether a module is loading and which one made it. Returns the
 * undo, which puts the originals back (src/runtime/patch.ts).
 */
export function trackListings(onList: (l: Listing) => void): () => void {
  // Patched once per process, reporting to the latest app (hmr-run/testing starts several).
  current = onList;
  const fs = require_("node:fs");
  const fsp = require_("node:fs/promises");
  // The listings are made again with the originals, unnoticed.
  const readdirSync = fs.readdirSync.__hmrRunOriginal ?? fs.readdirSync;
  const globSync = fs.globSync?.__hmrRunOriginal ?? fs.globSync;
  const readdir = (path: unknown, options: unknown) => {
    const root = toPath(path);
    if (root === undefined) return;
    const recursive = !!(options && typeof options === "object" && (options as { recursive?: unknown }).recursive);
    note({
      root,
      shallow: !recursive,
      signature: `readdir ${recursive}`,
      list: () => sorted(() => (readdirSync(root, { recursive }) as unknown[]).map(String)),
    });
  };
  const undo = [wrap(fs, "readdirSync", readdir), wrap(fs, "readdir", readdir), wrap(fsp, "readdir", readdir)];
  if (typeof globSync === "function") {
    const glob = (pattern: unknown, options: unknown) => {
      const patterns = typeof pattern === "string" ? [pattern] : Array.isArray(pattern) ? pattern.map(String) : undefined;
      if (!patterns?.length || (options !== undefined && typeof options !== "object")) return;
      const cwd = resolve(toPath((options as { cwd?: unknown } | undefined)?.cwd) ?? process.cwd());
      note({
        root: commonRoot(patterns.map((p) => staticRoot(cwd, p))),
        shallow: false,
        signature: `fs.glob ${patterns.join("\0")} ${safeJson(options)}`,
        list: () => sorted(() => (globSync(pattern, options) as unknown[]).map(String)),
      });
    };
    undo.push(wrap(fs, "globSync", glob), wrap(fs, "glob", glob));
    if (typeof fsp.glob === "function") undo.push(wrap(fsp, "glob", glob));
  }
  undo.push(...trackBunGlob(), ...trackFileSystemRouter());
  return () => {
    if (current === onList) current = () => {};
    for (const u of undo) u();
  };
}

const patterns = new WeakMap<object, string>();

/**
 * `Bun.Glob` does not expose its pattern, so the class is replaced by a subclass that
 * keeps it (`import { Glob } from "bun"` in a module loaded later gets the subclass;
 * measured on Bun 1.4.5). Its scans are noticed through the shared prototype.
 */
function trackBunGlob(): Array<() => void> {
  // The class Bun made, also while another app's subclass stands in for it.
  const Original = ((Bun.Glob as { __hmrRunOriginal?: typeof Bun.Glob }).__hmrRunOriginal ?? Bun.Glob) as typeof Bun.Glob;
  const undo = [
    patch<typeof Bun.Glob>(Bun, "Glob", "Bun.Glob", (Real) => {
      class Glob extends Real {
        constructor(pattern: string) {
          super(pattern);
          patterns.set(this, pattern);
        }
      }
      Object.defineProperty(Glob, "__hmrRunOriginal", { value: Real });
      return Glob;
    }),
  ];
  const proto = Original.prototype as unknown as Record<string, unknown>;
  const scanSync = proto.scanSync as (this: Bun.Glob, o?: unknown) => Iterable<string>;
  const scan = (self: unknown, options: unknown) => {
    const opts = typeof options === "string" ? { cwd: options } : (options as { cwd?: string } | undefined);
    const cwd = resolve(opts?.cwd ?? process.cwd());
    const pattern = patterns.get(self as object);
    note({
      root: pattern === undefined ? cwd : staticRoot(cwd, pattern),
      shallow: false,
      signature: `Bun.Glob ${pattern} ${safeJson(options)}`,
      list: () => sorted(() => [...scanSync.call(self as Bun.Glob, options)]),
    });
  };
  undo.push(wrap(proto, "scanSync", (options: unknown, _: unknown, self: unknown) => scan(self, options)));
  undo.push(wrap(proto, "scan", (options: unknown, _: unknown, self: unknown) => scan(self, options)));
  return undo;
}

/** `new Bun.FileSystemRouter({ dir })` lists its folder once, when it is made. */
function trackFileSystemRouter(): Array<() => void> {
  if (typeof Bun.FileSystemRouter !== "function") return [];
  return [
    patch<typeof Bun.FileSystemRouter>(Bun, "FileSystemRouter", "Bun.FileSystemRouter", (Original) => {
      class FileSystemRouter extends Original {
        constructor(options: ConstructorParameters<typeof Bun.FileSystemRouter>[0]) {
          super(options);
          // Bun caches the folder's entries for the process: a router made again when its
          // module re-runs would miss new files. reload() lists the folder as a fresh process would.
          this.reload();
          const root = typeof options?.dir === "string" ? resolve(options.dir) : undefined;
          if (root === undefined) return;
          note({
            root,
            shallow: false,
            signature: `Bun.FileSystemRouter ${safeJson(options)}`,
            list: () =>
              sorted(() => {
                const fresh = new Original(options);
                fresh.reload();
                return Object.keys(fresh.routes);
              }),
          });
        }
      }
      return FileSystemRouter;
    }),
  ];
}

function note(l: Listing): void {
  try {
    current(l);
  } catch {
    // Noticing a listing must never break the call the app made.
  }
}

function wrap(obj: Record<string, unknown>, name: string, seen: (a: unknown, b: unknown, self: unknown) => void): () => void {
  return patch<(...a: unknown[]) => unknown>(obj, name, `listing ${name}`, (original) => {
    const wrapped = function (this: unknown, ...args: unknown[]) {
      seen(args[0], args[1], this);
      return original.apply(this, args);
    };
    Object.defineProperty(wrapped, "__hmrRunOriginal", { value: original });
    Object.defineProperty(wrapped, "name", { value: name });
    return wrapped;
  });
}

function toPath(p: unknown): string | undefined {
  if (typeof p === "string") return resolve(p);
  if (p instanceof URL && p.protocol === "file:") return Bun.fileURLToPath(p);
  return undefined;
}

/** The folder a pattern cannot reach outside of: its segments before the first wildcard. */
export function staticRoot(cwd: string, pattern: string): string {
  const parts = pattern.split(/[\\/]/);
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[\]{}!()\\]/.test(part)) break;
    fixed.push(part);
  }
  const joined = fixed.join(sep);
  if (isAbsolute(pattern)) return resolve(sep, joined);
  return join(cwd, joined);
}

function commonRoot(roots: string[]): string {
  return roots.reduce((a, b) => {
    let r = a;
    while (!isUnder(b, r) && parentDir(r) !== r) r = parentDir(r);
    return r;
  });
}

function sorted(list: () => string[]): string {
  try {
    return list().sort().join("\n");
  } catch {
    return ""; // The folder is gone: an empty listing, which differs from any earlier one.
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "";
  } catch {
    return String(v); // Options with a cycle: still a stable enough signature.
  }
}

/** The listings the app's modules made, and which of them a batch of saves changed. */
export class Listings {
  private byKey = new Map<string, { root: string; shallow: boolean; calls: Map<string, { list: () => string; last: string }> }>();

  /** Remembers `l` (again) and returns the graph key of its folder. */
  remember(l: Listing): string {
    const key = listingKey(l.root);
    let entry = this.byKey.get(key);
    if (!entry) this.byKey.set(key, (entry = { root: l.root, shallow: l.shallow, calls: new Map() }));
    entry.shallow &&= l.shallow;
    entry.calls.set(l.signature, { list: l.list, last: l.list() });
    return key;
  }

  /** Keys of the listings that `files` (created, removed, renamed) changed. */
  changed(files: Iterable<string>): string[] {
    const out: string[] = [];
    const batch = [...files];
    for (const [key, e] of this.byKey) {
      const touched = batch.some((f) => (e.shallow ? parentDir(f) === e.root : f !== e.root && isUnder(f, e.root)));
      if (!touched) continue;
      let differs = false;
      for (const call of e.calls.values()) {
        const now = call.list();
        if (now !== call.last) differs = true;
        call.last = now;
      }
      if (differs) out.push(key);
    }
    return out;
  }
}

/** A folder as a node of the graph: its path with a trailing separator, never a file's. */
export function listingKey(root: string): string {
  return root.endsWith(sep) ? root : root + sep;
}
