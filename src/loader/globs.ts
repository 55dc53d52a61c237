/**
 * Glob patterns in `--reload-include` / `--reload-exclude` (`**\/*.gen.ts`,
 * `src/**\/fixtures`), matched with Bun.Glob. A pattern names files or folders; a
 * folder it names covers everything inside, as a path does. A pattern without a `/`
 * matches at any depth, as in .gitignore.
 */
import nodePath from "node:path";
import { existsSync } from "node:fs";
import { realOrAsIs, segments, type PlatformPath } from "../paths.ts";

/** One pattern: the folder its literal start names, and the glob for what follows. */
export interface PathGlob {
  /** As the user wrote it, for messages. */
  text: string;
  /** The folder the pattern starts from (absolute, real): the only place it can match. */
  root: string;
  glob: Bun.Glob;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Is `spec` a pattern rather than a path? A path that exists is a path, even with `[id]` in it. */
export function isGlob(spec: string, cwd: string, exists: (p: string) => boolean = existsSync): boolean {
  return GLOB_CHARS.test(spec) && !exists(nodePath.resolve(cwd, spec));
}

/** Splits `spec` (relative to `cwd`, or absolute) into the literal folder it starts from and the rest. */
export function parseGlob(spec: string, cwd: string, P: PlatformPath = nodePath, real = realOrAsIs): PathGlob {
  const parts = segments(spec, P);
  // No separator at all: any depth, as .gitignore reads `*.log`.
  if (parts.length === 1) return { text: spec, root: real(cwd), glob: new Bun.Glob(`**/${spec}`) };
  const firstGlob = parts.findIndex((s) => GLOB_CHARS.test(s));
  const literal = parts.slice(0, firstGlob).join(P.sep) || (P.isAbsolute(spec) ? P.sep : ".");
  return { text: spec, root: real(P.resolve(cwd, literal)), glob: new Bun.Glob(parts.slice(firstGlob).join("/")) };
}

/** Does `path` (absolute), or a folder above it, match `g`? */
export function matchesGlob(g: PathGlob, path: string, P: PlatformPath = nodePath): boolean {
  const rel = P.relative(g.root, path);
  if (!rel || P.isAbsolute(rel) || rel === ".." || rel.startsWith(".." + P.sep) || rel.startsWith("../")) return false;
  const names = segments(rel, P);
  for (let n = names.length; n > 0; n--) if (g.glob.match(names.slice(0, n).join("/"))) return true;
  return false;
}
