/**
 * Which files are the user's: under an included path (or matching an included glob),
 * not under an excluded one (nor matching an excluded glob), never in `node_modules`
 * or `.git`.
 */
import { statSync } from "node:fs";
import nodePath, { resolve } from "node:path";
import { isGlob, matchesGlob, parseGlob, type PathGlob } from "./globs.ts";
import { type PlatformPath, inDependencyTree, isUnder, pathPattern, realOrAsIs, sepPattern } from "../paths.ts";

/** The watched paths, made absolute and real, and the glob patterns among them. */
export interface Scope {
  include: string[];
  exclude: string[];
  includeGlobs?: PathGlob[];
  excludeGlobs?: PathGlob[];
}

const OWN_ROOT = resolve(import.meta.dir, "..", "..");

/** Resolves user paths (relative to `cwd`) into a scope; hmr-run's own sources are never in it. */
export function makeScope(include: string[], exclude: string[], cwd: string): Scope {
  const real = (p: string) => realOrAsIs(resolve(cwd, p));
  const globs = (specs: string[]) => specs.filter((s) => isGlob(s, cwd)).map((s) => parseGlob(s, cwd));
  const paths = (specs: string[]) => specs.filter((s) => !isGlob(s, cwd)).map(real);
  return {
    include: paths(include),
    exclude: [...paths(exclude), resolve(OWN_ROOT, "src")],
    includeGlobs: globs(include),
    excludeGlobs: globs(exclude),
  };
}

/** The folders and files to watch: the included paths and the folders included globs start from. */
export function watchRoots(scope: Scope): string[] {
  const roots = [...scope.include, ...(scope.includeGlobs ?? []).map((g) => g.root)];
  return [...new Set(roots)];
}

/** Is `path` (absolute) excluded, by path or by glob? */
export function excluded(path: string, scope: Scope): boolean {
  return scope.exclude.some((dir) => isUnder(path, dir)) || (scope.excludeGlobs ?? []).some((g) => matchesGlob(g, path));
}

/** Is `path` (absolute) one of the user's files? */
export function inScope(path: string, scope: Scope): boolean {
  if (inDependencyTree(path)) return false;
  const included = scope.include.some((dir) => isUnder(path, dir)) || (scope.includeGlobs ?? []).some((g) => matchesGlob(g, path));
  return included && !excluded(path, scope);
}

/**
 * The `onLoad` filter: JS/TS files in scope. The filter itself must keep `node_modules`
 * out, since a plugin that passes a CommonJS package through can break it.
 */
export function loaderFilter(scope: Scope, P: PlatformPath = nodePath, fileCheck = isFile): RegExp {
  // Globs are not regexes: the filter passes the folders they start from, and files an
  // excluded glob names are loaded through the plugin but never counted as the user's.
  const roots = watchRoots(scope);
  const files = roots.filter(fileCheck).filter((f) => CODE.test(f));
  const dirs = roots.filter((d) => !fileCheck(d));
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
