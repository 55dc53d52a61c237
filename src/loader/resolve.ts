/**
 * Where Bun takes an import from. `Bun.resolveSync` is Bun's own resolver (tsconfig
 * `paths` included) but does not know runtime plugins: a `bunfig.toml` preload's
 * `build.module("virtual:config")` or an `onResolve` for relative paths looks missing
 * to it. `require.resolve` asks those plugins (measured on Bun 1.4.5: it answers
 * `virtual:config`, or `namespace:path`), so it is asked when the resolver finds nothing.
 * `Bun.plugin` cannot be wrapped to record registrations: it is read-only.
 */
import { createRequire } from "node:module";
import { isAbsolute } from "node:path";
import { parentDir } from "../paths.ts";

/** What an import resolves to: a file, something a plugin provides, or nothing. */
export type Resolved = { file: string } | { plugin: string } | undefined;

/** Resolves `spec` as imported from the module `from` (an absolute path). */
export function resolveImport(spec: string, from: string): Resolved {
  try {
    return { file: Bun.resolveSync(spec, parentDir(from)) };
  } catch {
    // Not a file Bun's resolver knows: a runtime plugin may still provide it.
  }
  let viaPlugins: string;
  try {
    viaPlugins = createRequire(from).resolve(spec);
  } catch {
    return undefined; // Neither the resolver nor a plugin knows it: Bun would fail too.
  }
  return isAbsolute(viaPlugins) ? { file: viaPlugins } : { plugin: viaPlugins };
}
