/**
 * Reads a module's imports without running it: `Bun.Transpiler#scanImports`, then
 * `Bun.resolveSync`, the resolver Bun itself uses (tsconfig `paths` included).
 */
import { dirname } from "node:path";
import type { EdgeKind } from "../graph.ts";
import { inNodeModules, realOrAsIs } from "../paths.ts";

export type Loader = "ts" | "tsx" | "js" | "jsx";

/** The Bun loader for a file name, or undefined when it is not JS/TS. */
export function loaderFor(path: string): Loader | undefined {
  const m = /\.([mc]?)([jt]sx?)$/.exec(path);
  if (!m) return undefined;
  return m[2] as Loader;
}

const transpilers = new Map<Loader, Bun.Transpiler>();
/** One transpiler per loader, reused: making one costs more than a scan. */
export function transpiler(loader: Loader): Bun.Transpiler {
  let t = transpilers.get(loader);
  if (!t) transpilers.set(loader, (t = new Bun.Transpiler({ loader, target: "bun" })));
  return t;
}

/** What a scan found: resolved edges and the specifiers that resolve to nothing. */
export interface Scanned {
  deps: Array<[string, EdgeKind]>;
  missing: string[];
}

const BUILTIN = /^(?:node:|bun:|bun$)/;

/** The imports of one module, resolved to absolute paths. Throws on a syntax error. */
export function scanModule(path: string, source: string): Scanned {
  const loader = loaderFor(path) ?? "ts";
  const dir = dirname(path);
  const deps: Array<[string, EdgeKind]> = [];
  const missing: string[] = [];
  for (const imp of transpiler(loader).scanImports(source)) {
    const spec = imp.path;
    if (BUILTIN.test(spec)) continue;
    let resolved: string;
    try {
      resolved = Bun.resolveSync(spec, dir);
    } catch {
      if (!isBuiltin(spec)) missing.push(spec);
      continue;
    }
    if (inNodeModules(resolved)) resolved = realOrAsIs(resolved);
    const q = resolved.indexOf("?");
    if (q >= 0) resolved = resolved.slice(0, q);
    deps.push([resolved, imp.kind === "dynamic-import" ? "dynamic" : "static"]);
  }
  return { deps, missing };
}

const nodeBuiltins = new Set(require("node:module").builtinModules as string[]);
function isBuiltin(spec: string): boolean {
  return nodeBuiltins.has(spec) || nodeBuiltins.has(spec.split("/")[0]!);
}
