/**
 * Modules Bun loaded before hmr-run: bunfig.toml preloads, where runtime plugins are
 * registered. Bun snapshots a builtin's ES module namespace the first time anything
 * imports it (see src/runtime/fs.ts): a preload that imports `readFileSync` by name from
 * `node:fs` (or `* as fs`) holds the function from before hmr-run wrapped it, so the
 * files its plugin's `build.module()` factories read are invisible to hmr-run, and an
 * edit of one cannot reload the module they make. The default export, the live CommonJS
 * object, has no such problem: `fs.readFileSync` through it is seen.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { loaderFor } from "./scan.ts";

/** `import { readFileSync } from "node:fs"`, `import * as fs from "fs/promises"`. */
const NAMED_FS = /import\s*(?:[\w$]+\s*,\s*)?(?:\{[^}]*\b(?:readFileSync|readFile|readdirSync|readdir|globSync|glob)\b[^}]*\}|\*\s*as\s+[\w$]+)\s*from\s*["'](?:node:)?fs(?:\/promises)?["']/;
/** `build.module("virtual:...", ...)`: the plugin makes modules whose content it reads. */
const MAKES_MODULES = /\.module\s*\(/;

/** hmr-run's own files, loaded before the app too. */
const OWN = resolve(import.meta.dir, "..") + sep;

/**
 * The project files among `loaded` (paths Bun loaded before hmr-run) that make modules
 * through a runtime plugin and read files through a `node:fs` namespace taken before
 * hmr-run could wrap it.
 */
export function blindPlugins(loaded: string[], isProjectFile: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const p of loaded) {
    if (!isAbsolute(p) || p.startsWith(OWN) || !loaderFor(p) || !isProjectFile(p)) continue;
    let source: string;
    try {
      source = readFileSync(p, "utf8");
    } catch {
      continue; // Gone since it loaded: nothing to say about it.
    }
    if (MAKES_MODULES.test(source) && NAMED_FS.test(source)) out.push(p);
  }
  return out;
}
