/**
 * Path logic in one place, on `node:path`, so nothing assumes `/`: Windows paths use
 * `\` (and accept `/`), macOS and Windows folders can differ only in case. Every helper
 * takes the platform's `path` by default and `path.win32` / `path.posix` in tests.
 */
import nodePath from "node:path";
import { realpathSync } from "node:fs";

/** `node:path` for one platform: the default, `path.win32` or `path.posix`. */
export type PlatformPath = typeof nodePath.posix;

/** `p` as a user reads it: relative to `cwd` when inside it ("." for `cwd` itself), else absolute. */
export function shown(p: string, cwd = process.cwd(), P: PlatformPath = nodePath): string {
  const r = P.relative(cwd, p);
  if (r === "") return ".";
  // Another drive (Windows) gives an absolute path back; outside cwd starts with a `..` segment.
  return P.isAbsolute(r) || r === ".." || r.startsWith(".." + P.sep) || r.startsWith("../") ? p : r;
}

/** The real path of `p` (symlinks followed), or `p` itself when it does not exist (yet). */
export function realOrAsIs(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p; // Not there (yet): the caller compares it as given.
  }
}

/** The folder holding `file`. */
export function parentDir(file: string, P: PlatformPath = nodePath): string {
  return P.dirname(file);
}

/** `file` without folder and extension: `./lib/extra.test.ts` → `extra`. */
export function stem(file: string, P: PlatformPath = nodePath): string {
  const base = P.basename(file);
  const dot = base.indexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Is `p` the folder `dir` or inside it? Case matters, as it does for Bun's module paths. */
export function isUnder(p: string, dir: string, P: PlatformPath = nodePath): boolean {
  if (p === dir) return true;
  // The common case without allocating: `dir` then a separator (called for every event and import).
  if (p.startsWith(dir)) {
    const next = dir.endsWith(P.sep) || dir.endsWith("/") ? "" : p[dir.length];
    if (next === "" || next === P.sep || (P.sep === "\\" && next === "/")) return true;
  }
  if (P.sep === "/") return false;
  // Windows: the other separator, or `..` segments, can still name a path inside.
  const r = P.relative(dir, p);
  return r !== "" && !P.isAbsolute(r) && r !== ".." && !r.startsWith(".." + P.sep) && !r.startsWith("../");
}

/** Folders whose contents are never the user's sources. */
export const NEVER_WATCHED = ["node_modules", ".git"];

/** Does `p` pass through a `node_modules` or `.git` folder (any separator)? */
export function inDependencyTree(p: string, P: PlatformPath = nodePath): boolean {
  return segments(p, P).some((s) => NEVER_WATCHED.includes(s));
}

/** Does `p` pass through a `node_modules` folder? */
export function inNodeModules(p: string, P: PlatformPath = nodePath): boolean {
  return segments(p, P).includes("node_modules");
}

/** The names along `p`; Windows accepts both separators. */
export function segments(p: string, P: PlatformPath = nodePath): string[] {
  return p.split(P.sep === "\\" ? /[\\/]/ : "/");
}

/** Regex source matching one path separator of the platform. */
export function sepPattern(P: PlatformPath = nodePath): string {
  return P.sep === "\\" ? "[\\\\/]" : "/";
}

/** Regex source matching the path `p` (no trailing separator); on Windows each separator matches either. */
export function pathPattern(p: string, P: PlatformPath = nodePath): string {
  const parts = segments(p, P);
  while (parts.length > 1 && parts.at(-1) === "") parts.pop();
  return parts.map(escapeRegex).join(sepPattern(P));
}

/** `s` with every regex metacharacter escaped. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
