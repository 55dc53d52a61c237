/**
 * The workspace packages of a monorepo, for an app run from its own folder (`apps/api`):
 * what it imports from `packages/shared` through `@acme/shared` is the user's code too,
 * so those folders join the watched paths with no flag. Found two ways, as Bun links
 * them: the `workspaces` of the nearest package.json above the app, and the symlinks
 * `bun install` puts in `node_modules` (which also covers `bun link`ed folders).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { inDependencyTree, isUnder, realOrAsIs } from "../paths.ts";

/** hmr-run itself, linked into the project (tests, `bun link hmr-run`): never the user's code. */
const OWN_ROOT = realOrAsIs(resolve(import.meta.dir, "..", ".."));

/** Folders of the workspace packages (and linked packages) outside `cwd`, real paths. */
export function workspacePackages(cwd: string): string[] {
  const here = realOrAsIs(cwd);
  const root = workspaceRoot(here);
  const found = new Set<string>();
  if (root) for (const dir of workspaceDirs(root.dir, root.patterns)) found.add(dir);
  for (const nm of new Set([join(here, "node_modules"), ...(root ? [join(root.dir, "node_modules")] : [])])) {
    for (const dir of linkedPackages(nm)) found.add(dir);
  }
  // The app's own folder is watched already; a folder holding it (the root) would be everything.
  return [...found].filter((d) => !isUnder(d, here) && !isUnder(here, d)).sort();
}

/** The nearest package.json above `dir` (not `dir` itself) that declares workspaces. */
function workspaceRoot(dir: string): { dir: string; patterns: string[] } | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const patterns = workspacesOf(join(d, "package.json"));
    if (patterns) return { dir: d, patterns };
    if (dirname(d) === d) return undefined;
  }
}

/** `workspaces` as an array, or `{ packages: [...] }` (the Yarn form Bun also reads). */
function workspacesOf(pkgPath: string): string[] | undefined {
  if (!existsSync(pkgPath)) return undefined;
  let pkg: { workspaces?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  } catch {
    return undefined; // A broken package.json: Bun reports it itself.
  }
  const w = pkg.workspaces;
  const list = Array.isArray(w) ? w : w && typeof w === "object" && Array.isArray((w as { packages?: unknown }).packages) ? (w as { packages: unknown[] }).packages : undefined;
  return list?.filter((p): p is string => typeof p === "string");
}

function workspaceDirs(root: string, patterns: string[]): string[] {
  const skip = patterns.filter((p) => p.startsWith("!")).map((p) => new Bun.Glob(p.slice(1).replace(/\/$/, "")));
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) continue;
    const glob = new Bun.Glob(join(pattern.replace(/\/$/, ""), "package.json"));
    for (const file of glob.scanSync({ cwd: root, onlyFiles: true })) {
      const rel = dirname(file);
      if (inDependencyTree(rel) || skip.some((g) => g.match(rel))) continue;
      dirs.push(realOrAsIs(join(root, rel)));
    }
  }
  return dirs;
}

/** Packages in `nm` (and its `@scope` folders) that are symlinks to folders outside any node_modules. */
function linkedPackages(nm: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // No node_modules here.
    }
    for (const name of names) {
      const p = join(dir, name);
      if (depth === 0 && name.startsWith("@")) visit(p, 1);
      else if (isSymlink(p)) {
        const real = realOrAsIs(p);
        if (real !== p && real !== OWN_ROOT && !inDependencyTree(real)) out.push(real);
      }
    }
  };
  visit(nm, 0);
  return out;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false; // Gone between listing and looking: not a package.
  }
}
