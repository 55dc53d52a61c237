/**
 * Which files are the user's: under an included path, not under an excluded one,
 * never in `node_modules` or `.git`. Paths, not patterns, as in uvicorn-hmr.
 */
import { statSync } from "node:fs";
import nodePath, { resolve } from "node:path";
import { type PlatformPath, inDependencyTree, isUnder, pathPattern, realOrAsIs, sepPattern } from "../paths.ts";

/** The watched paths, made absolute and real. */
export interface Scope {
  include: string[];
  exclude: string[];
}

const OWN_ROOT = resolve(import.meta.dir, "..", "..");

/** Resolves user paths (relative to `cwd`) into a scope; hmr-run's own sources are never in it. */
export function makeScope(include: string[], exclude: string[], cwd: string): Scope {
  const real = (p: string) => realOrAsIs(resolve(cwd, p));
  return {
    include: include.map(real),
    exclude: [...exclude.map(real), resolve(OWN_ROOT, "src")],
  };
}

/** Is `path` (absolute) one of the user's files? */
export function inScope(path: string, scope: Scope): boolean {
  if (inDependencyTree(path)) return false;
  if (!scope.include.some((dir) => isUnder(path, dir))) return false;
  return !scope.exclude.some((dir) => isUnder(path, dir));
}

/**
 * The `onLoad` filter: JS/TS files in scope. The filter itself must keep `node_modules`
 * out, since a plugin that passes a CommonJS package through can break it.
 */
export function loaderFilter(scope: Scope, P: PlatformPath = nodePath, fileCheck = isFile): RegExp {
  const files = scope.include.filter(fileCheck).filter((f) => CODE.test(f));
  const dirs = scope.include.filter((d) => !fileCheck(d));
  const S = sepPattern(P);
  const alts: string[] = [];
  // An included file matches itself; an included folder, the code files below it.
  if (files.length) alts.push(`(?:${files.map((f) => pathPattern(f, P)).join("|")})(?:\\?.*)?$`);
  if (dirs.length) {
    const inc = dirs.map((d) => pathPattern(d, P) + S).join("|");
    const exc = scope.exclude.map((d) => `${pathPattern(d, P)}(?:${S}|\\?|$)`).join("|");
    const notExcluded = exc ? `(?!${exc})` : "";
    alts.push(`${notExcluded}(?:${inc})(?!(?:[^?]*${S})?(?:node_modules|\\.git)${S})[^?]*\\.(?:m?[jt]sx?)(?:\\?.*)?$`);
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
