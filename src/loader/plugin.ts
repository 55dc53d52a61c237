/**
 * The Bun runtime plugin. It must be registered before the entry is imported, or
 * `onLoad` never fires for the entry. Bun's plugin path costs about 35 µs a module
 * whatever `onLoad` does (100 ms of a 3000-module start-up), so when the survey made
 * before the entry loads finds no import() of a computed path (whose targets only the
 * loader can see), only the modules that must be rewritten go through it: those using
 * `import.meta.hot` or importing `node:fs` by name (see rewrite.ts). More are covered as
 * they need it (a save adds such an import, a rollback pins a source): a plugin
 * registered while the app runs applies to every later load (measured on Bun 1.4.5).
 */
import { readFileSync } from "node:fs";
import { loaderFilter, type Scope } from "./scope.ts";
import { loaderFor } from "./scan.ts";
import { rewriteHot } from "./rewrite.ts";
import { commonJSModule, isCommonJS } from "./commonjs.ts";
import { pinned, takeBreak } from "./registry.ts";
import { pathPattern } from "../paths.ts";

/** Called with each project module's path and the source Bun is about to run. */
export type OnModuleLoad = (path: string, source: string) => void;

/** Which project files go through the plugin. */
export interface Loader {
  /** Does `file` go through the plugin? */
  has(file: string): boolean;
  /** These files go through the plugin from their next load on. */
  cover(files: string[]): void;
}

/**
 * Registers the plugin for every code file of `scope`, or only for `only` (absolute
 * paths) and what is covered later.
 */
export function installLoader(scope: Scope, onLoad: OnModuleLoad, only?: string[]): Loader {
  if (!only) {
    register(loaderFilter(scope), onLoad);
    return { has: () => true, cover: () => {} };
  }
  const covered = new Set<string>();
  let plugins = 0;
  let all = false;
  const loader: Loader = {
    has: (f) => all || covered.has(f),
    cover(files) {
      const fresh = files.filter((f) => !loader.has(f));
      if (!fresh.length) return;
      // Each plugin adds its cost to every module Bun loads, and a rollback pins its
      // modules one by one: past a few, one plugin for every file costs less.
      if (++plugins > MAX_PLUGINS) {
        all = true;
        return register(loaderFilter(scope), onLoad);
      }
      for (const f of fresh) covered.add(f);
      // `args.path` carries any query string of the import.
      register(new RegExp(`^(?:${fresh.map((f) => pathPattern(f)).join("|")})(?:\\?.*)?$`), onLoad);
    },
  };
  loader.cover(only);
  return loader;
}

/** `code` with a `debugger;` statement before its first line (after a shebang), on that same line so no line moves. */
function pauseFirst(code: string): string {
  if (!code.startsWith("#!")) return "debugger;" + code;
  const nl = code.indexOf("\n");
  return nl < 0 ? code : code.slice(0, nl + 1) + "debugger;" + code.slice(nl + 1);
}

/** Plugins registered for single files before one covers every file. */
const MAX_PLUGINS = 4;

function register(filter: RegExp, onLoad: OnModuleLoad): void {
  Bun.plugin({
    name: "hmr-run",
    setup(build) {
      build.onLoad({ filter }, (args) => {
        const q = args.path.indexOf("?");
        const path = q >= 0 ? args.path.slice(0, q) : args.path;
        const source = pinned(path) ?? readFileSync(path, "utf8");
        onLoad(path, source);
        if (isCommonJS(path, source)) return commonJSModule(path, source);
        const contents = rewriteHot(source);
        return { contents: takeBreak(path) ? pauseFirst(contents) : contents, loader: loaderFor(path) ?? "ts" };
      });
    },
  });
}
