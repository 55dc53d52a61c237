/**
 * CommonJS files of the project (`module.exports`, `require`) run by hmr-run itself.
 * A runtime plugin's `contents` are always parsed as an ES module on Bun 1.4.5, so a
 * CommonJS `.js` file passed through would lose its exports ("Missing 'default'
 * export"); such files are evaluated here and handed to Bun as an object instead.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { runInThisContext } from "node:vm";
import { transpiler } from "./scan.ts";

const HINT = /\bmodule\.exports\b|\bexports\.[A-Za-z_$]|\brequire\s*\(/;

/** A `.js`/`.jsx` file with CommonJS markers and no `import`/`export` statement. */
export function isCommonJS(path: string, source: string): boolean {
  if (!/\.jsx?$/.test(path) || !HINT.test(source)) return false;
  try {
    const { imports, exports } = transpiler(path.endsWith("x") ? "jsx" : "js").scan(source);
    return imports.length === 0 && exports.length === 0 && !/\bimport\.meta\b/.test(source);
  } catch {
    return false; // Not parseable as a module: let Bun report the syntax error itself.
  }
}

type CjsModule = { exports: unknown };
/** One instance per file until it is evicted, so `import` and `require` of it share state. */
const instances = new Map<string, CjsModule>();

/** Runs a CommonJS file once (per eviction) and returns what `onLoad` gives Bun for it. */
export function commonJSModule(path: string, source: string): { exports: Record<string, unknown>; loader: "object" } {
  let mod = instances.get(path);
  if (!mod) {
    mod = { exports: {} };
    // Registered before it runs: a circular require sees the partial exports, as in Node.
    instances.set(path, mod);
    try {
      // The wrapper starts on the file's first line, so stack traces keep its line numbers.
      const wrapper = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: path });
      wrapper.call(mod.exports, mod.exports, createRequire(path), mod, path, dirname(path));
    } catch (err) {
      instances.delete(path);
      throw err;
    }
  }
  const value = mod.exports;
  const named = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  return { exports: { ...named, default: value }, loader: "object" };
}

/** Forgets the instance of `path`: the next import or require runs the file again. */
export function forgetCommonJS(path: string): void {
  instances.delete(path);
}
