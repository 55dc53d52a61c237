/**
 * The TypeScript and JSX settings Bun applies to the modules it runs (`jsxImportSource`,
 * `jsxFactory`, `experimentalDecorators`, `emitDecoratorMetadata`...), so that scanning
 * and the save check see the code Bun will run, not Bun.Transpiler's defaults.
 *
 * Found the way Bun 1.4.5 finds them (measured, not documented): `tsconfig.json`, else
 * `jsconfig.json`, in the folder Bun runs from only (not next to each file, not in a
 * parent folder), over the JSX settings of that folder's `bunfig.toml`. `extends` is followed when it is one string, read as a path relative
 * to the config that names it (a bare `tsconfig.base.json` included, no extension
 * added, no package lookup); an array is ignored. Import resolution (`paths`, `baseUrl`)
 * is not settled here: `Bun.resolveSync` is Bun's own resolver and reads them itself.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export type CompilerOptions = Record<string, unknown>;

/** Reads one config file as Bun does (JSON with comments and trailing commas). */
function readConfig(file: string): { extends?: unknown; compilerOptions?: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // No such file: Bun goes on without it.
  }
  try {
    const parsed = Bun.JSONC.parse(text);
    return parsed && typeof parsed === "object" ? (parsed as { extends?: unknown; compilerOptions?: unknown }) : undefined;
  } catch {
    return undefined; // Bun runs with its defaults when the file does not parse.
  }
}

/** The compiler options of `file`, its `extends` chain merged under its own. */
export function compilerOptionsOf(file: string, seen = new Set<string>()): CompilerOptions | undefined {
  if (seen.has(file)) return undefined; // A cycle of extends: stop where it loops.
  seen.add(file);
  const config = readConfig(file);
  if (!config) return undefined;
  const own = config.compilerOptions && typeof config.compilerOptions === "object" ? (config.compilerOptions as CompilerOptions) : {};
  const base = typeof config.extends === "string" ? compilerOptionsOf(resolve(dirname(file), config.extends), seen) : undefined;
  return { ...base, ...own };
}

/** The compiler options Bun applies when run from `cwd`, or undefined when it has none. */
export function projectCompilerOptions(cwd = process.cwd()): CompilerOptions | undefined {
  const config = compilerOptionsOf(resolve(cwd, "tsconfig.json")) ?? compilerOptionsOf(resolve(cwd, "jsconfig.json"));
  const bunfig = bunfigJsx(resolve(cwd, "bunfig.toml"));
  // Each setting of the tsconfig wins over the same one in bunfig.toml (measured).
  return config || bunfig ? { ...bunfig, ...config } : undefined;
}

/** The JSX settings of `bunfig.toml` (`jsx`, `jsxFactory`, `jsxFragment`, `jsxImportSource`), as compiler options. */
function bunfigJsx(file: string): CompilerOptions | undefined {
  let toml: Record<string, unknown>;
  try {
    toml = Bun.TOML.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined; // None, or one Bun itself will refuse with its own message.
  }
  const names = { jsx: "jsx", jsxFactory: "jsxFactory", jsxFragment: "jsxFragmentFactory", jsxImportSource: "jsxImportSource" } as const;
  const out: CompilerOptions = {};
  for (const [key, option] of Object.entries(names)) if (typeof toml[key] === "string") out[option] = toml[key];
  return Object.keys(out).length ? out : undefined;
}
