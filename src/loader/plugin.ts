/**
 * The Bun runtime plugin: sees every project module as Bun loads it. It must be
 * registered before the entry is imported, or `onLoad` never fires for the entry.
 */
import { readFileSync } from "node:fs";
import { loaderFilter, type Scope } from "./scope.ts";
import { loaderFor } from "./scan.ts";
import { rewriteHot } from "./rewrite.ts";
import { commonJSModule, isCommonJS } from "./commonjs.ts";
import { pinned } from "./registry.ts";

/** Called with each project module's path and the source Bun is about to run. */
export type OnModuleLoad = (path: string, source: string) => void;

/** Registers the plugin once for this process. */
export function installLoader(scope: Scope, onLoad: OnModuleLoad): void {
  const filter = loaderFilter(scope);
  Bun.plugin({
    name: "hmr-run",
    setup(build) {
      build.onLoad({ filter }, (args) => {
        const q = args.path.indexOf("?");
        const path = q >= 0 ? args.path.slice(0, q) : args.path;
        const source = pinned(path) ?? readFileSync(path, "utf8");
        onLoad(path, source);
        if (isCommonJS(path, source)) return commonJSModule(path, source);
        return { contents: rewriteHot(source), loader: loaderFor(path) ?? "ts" };
      });
    },
  });
}
