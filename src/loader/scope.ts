/**
 * Which files are the user's: under an included path, not under an excluded one,
 * never in `node_modules` or `.git`. Paths, not patterns, as in uvicorn-hmr.
 */
import { realpathSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";

/** The watched paths, made absolute and real. */
export interface Scope {
  include: string[];
  exclude: string[];
}

const OWN_ROOT = resolve(import.meta.dir, "..", "..");

/** Resolves user paths (relative to `cwd`) into a scope; hmr-run's own sources are never in it. */
export function makeScope(include: string[], exclude: string[], cwd: string): Scope {
  const real = (p: string) => {
    const abs = resolve(cwd, p);
    try {
      return realpathSync(abs);
    } catch {
      return abs;
    }
  };
  return {
    include: include.map(real),
    exclude: [...exclude.map(real), resolve(OWN_ROOT, "src")],
  };
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Is `path` (absolute) one of the user's files? */
export function inScope(path: string, scope: Scope): boolean {
  if (path.includes("/node_modules/") || path.includes("/.git/")) return false;
  if (!scope.include.some((dir) => under(path, dir))) return false;
  return !scope.exclude.some((dir) => under(path, dir));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The `onLoad` filter: JS/TS files in scope. The filter itself must keep `node_modules`
 * out, since a plugin that passes a CommonJS package through can break it.
 */
export function loaderFilter(scope: Scope): RegExp {
  const files = scope.include.filter(isFile).filter((f) => CODE.test(f));
  const dirs = scope.include.filter((d) => !isFile(d));
  const alts: string[] = [];
  // An included file matches itself; an included folder, the code files below it.
  if (files.length) alts.push(`(?:${files.map(escape).join("|")})(?:\\?.*)?$`);
  if (dirs.length) {
    const inc = dirs.map((d) => escape(d.endsWith(sep) ? d : d + sep)).join("|");
    const exc = scope.exclude.map((d) => `${escape(d)}(?:/|$)`).join("|");
    const notExcluded = exc ? `(?!${exc})` : "";
    alts.push(`${notExcluded}(?:${inc})(?!(?:.*/)?(?:node_modules|\\.git)/)[^?]*\\.(?:m?[jt]sx?)(?:\\?.*)?$`);
  }
  return alts.length ? new RegExp(`^(?:${alts.join("|")})`) : /(?!)/;
}

const CODE = /\.m?[jt]sx?$/;

/** An include path that names one file rather than a folder. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // Not there (yet): watched as a folder would be.
  }
}
