/**
 * Reads a module's imports without running it: the module is transpiled as Bun will run
 * it (the project's tsconfig, `import.meta.hot` bound, unused and type-only imports
 * dropped), then the output's imports are resolved as Bun resolves them (resolve.ts).
 * Scanning the source instead would report `react/jsx-dev-runtime` for any JSX whatever
 * `jsxImportSource` says, and keep imports Bun drops (type-only and unused ones).
 */
import type { EdgeKind } from "../graph.ts";
import { inNodeModules, realOrAsIs } from "../paths.ts";
import { rewriteHot, withoutBom } from "./rewrite.ts";
import { resolveImport } from "./resolve.ts";
import { projectCompilerOptions, type CompilerOptions } from "./tsconfig.ts";

export type Loader = "ts" | "tsx" | "js" | "jsx";

/** The Bun loader for a file name, or undefined when it is not JS/TS. */
export function loaderFor(path: string): Loader | undefined {
  const m = /\.([mc]?)([jt]sx?)$/.exec(path);
  if (!m) return undefined;
  return m[2] as Loader;
}

let options: CompilerOptions | undefined | null = null;
const transpilers = new Map<Loader, Bun.Transpiler>();
/**
 * One transpiler per loader, reused (making one costs more than a scan), with the
 * project's compiler options read once, as Bun reads them once per process.
 */
export function transpiler(loader: Loader): Bun.Transpiler {
  let t = transpilers.get(loader);
  if (t) return t;
  if (options === null) options = projectCompilerOptions();
  // Bun drops unused and type-only imports of TypeScript files when it runs them (even
  // with verbatimModuleSyntax), and keeps every import of a JavaScript file (Bun 1.4.5).
  const trimUnusedImports = loader === "ts" || loader === "tsx";
  // Bun's runtime keeps what dead-code elimination would drop (an unused local, which a
  // debugger shows): compared without it, a save that changes only such a value runs.
  t = new Bun.Transpiler({ loader, target: "bun", trimUnusedImports, deadCodeElimination: false, ...(options ? { tsconfig: { compilerOptions: options } } : {}) });
  transpilers.set(loader, t);
  return t;
}

/** The code Bun runs for a module's source; throws on a syntax error. */
export function transform(path: string, source: string): string {
  return transpiler(loaderFor(path) ?? "ts").transformSync(rewriteHot(source));
}

/** What a scan found: resolved edges and the specifiers that resolve to nothing. */
export interface Scanned {
  deps: Array<[string, EdgeKind]>;
  missing: string[];
  /** Modules a runtime plugin provides (`virtual:config`), by the key Bun's registry gives them. */
  plugins: Array<[string, EdgeKind]>;
}

const BUILTIN = /^(?:node:|bun:|bun$)/;
/** The transformed output is plain JavaScript: scanned as such, it keeps exactly its imports. */
const outputScanner = new Bun.Transpiler({ loader: "js", target: "bun" });

/**
 * The imports of one module, resolved to absolute paths. `code` is the module's
 * `transform()` output when the caller has it already. Throws on a syntax error.
 */
export function scanModule(path: string, source: string, code?: string): Scanned {
  const deps: Array<[string, EdgeKind]> = [];
  const missing: string[] = [];
  const plugins: Array<[string, EdgeKind]> = [];
  for (const imp of importsOf(path, source, code)) {
    const spec = imp.path;
    if (BUILTIN.test(spec)) continue;
    const found = resolveImport(spec, path);
    if (!found) {
      if (!isBuiltin(spec)) missing.push(spec);
      continue;
    }
    // Provided by a runtime plugin (a virtual module): nothing on disk to watch, but an
    // edge all the same, to the files its plugin read to make it (see ModuleIndex).
    if (!("file" in found)) {
      plugins.push([found.plugin, imp.kind === "dynamic-import" ? "dynamic" : "static"]);
      continue;
    }
    let resolved = found.file;
    if (inNodeModules(resolved)) resolved = realOrAsIs(resolved);
    const q = resolved.indexOf("?");
    if (q >= 0) resolved = resolved.slice(0, q);
    deps.push([resolved, imp.kind === "dynamic-import" ? "dynamic" : "static"]);
  }
  return { deps, missing, plugins };
}

/** The imports a save's check read from a module's transformed text, until the graph takes them. */
const checked = new Map<string, { source: string; imports: Bun.Import[] }>();

/**
 * The imports Bun will run. Without JSX or decorator metadata, transpiling adds or keeps no
 * import that a scan of the source with the same settings drops (type-only and unused
 * imports go either way), and the scan alone costs a third: the graph of a 3000-module app
 * is built in 75 ms of background work instead of 240.
 */
function importsOf(path: string, source: string, code: string | undefined): Bun.Import[] {
  if (code !== undefined) {
    const imports = outputScanner.scanImports(code);
    checked.set(path, { source, imports });
    return imports;
  }
  // The save's check scanned this text already: the graph takes its imports once it runs.
  const known = checked.get(path);
  checked.delete(path);
  if (known?.source === source) return known.imports;
  const loader = loaderFor(path) ?? "ts";
  if (loader === "tsx" || loader === "jsx" || decoratorMetadata()) return outputScanner.scanImports(transform(path, source));
  return transpiler(loader).scanImports(scannable(source));
}

/**
 * `source` as `scanImports` takes it: it rejects a shebang (`transformSync` and Bun's own
 * load accept one, Bun 1.4.5), so the shebang becomes a comment of the same length.
 */
function scannable(source: string): string {
  const text = withoutBom(source);
  return text.startsWith("#!") ? "//" + text.slice(2) : text;
}

function decoratorMetadata(): boolean {
  if (options === null) options = projectCompilerOptions();
  return !!options?.emitDecoratorMetadata;
}

const nodeBuiltins = new Set(require("node:module").builtinModules as string[]);
function isBuiltin(spec: string): boolean {
  return nodeBuiltins.has(spec) || nodeBuiltins.has(spec.split("/")[0]!);
}
