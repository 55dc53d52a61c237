/**
 * One walk of the watched folders before the entry loads. Bun's runtime-plugin path
 * costs about 35 µs a module whatever `onLoad` does (~100 ms of a 3000-module start-up),
 * so only the files that must be rewritten go through the plugin; reading every code
 * file once to find them costs a fifth of that, and gives the source each module loads
 * with (for no-op saves, scans and rollbacks) without the plugin, and whether any module
 * imports through a computed path, whose targets only the plugin can attribute. A save made between
 * this read and the load is seen by the watcher, which started first, and compared with
 * this older text: it reloads, as it should.
 */
import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { NEVER_WATCHED } from "../paths.ts";
import { excluded, inScope, isFile, watchRoots, type Scope } from "./scope.ts";
import { needsRewrite } from "./rewrite.ts";

const CODE = /\.m?[jt]sx?$/;
/** Bundles and generated files this large are left to Bun: they are neither hot modules nor edited by hand. */
const MAX_BYTES = 512 * 1024;

/** What the walk found. */
export interface Survey {
  /** Files that need the loader plugin. */
  rewrite: string[];
  /** The text of each code file. */
  sources: Map<string, string>;
  /** A file that imports through a computed path (`import(dir + name)`), if any. */
  computed?: string;
}

/** `import(` of anything but a plain string: its targets are known only as they load. */
const COMPUTED_IMPORT = /\bimport\s*\((?!\s*(["'])[^"'\n]*\1\s*[,)]|\s*`[^`$]*`\s*[,)])/;

/** Reads every code file in `scope` (outside node_modules, .git and excluded paths). */
export function survey(scope: Scope): Survey {
  const rewrite: string[] = [];
  const sources = new Map<string, string>();
  let computed: string | undefined;
  // One buffer for every read, and no stat: a file of MAX_BYTES or less fits it whole.
  const buf = Buffer.allocUnsafe(MAX_BYTES + 1);
  const visit = (file: string) => {
    let n: number;
    try {
      const fd = openSync(file, "r");
      try {
        n = readSync(fd, buf, 0, buf.length, 0);
      } finally {
        closeSync(fd);
      }
    } catch {
      return; // Gone since the folder was listed: nothing loads it.
    }
    if (n > MAX_BYTES) return;
    const text = buf.toString("utf8", 0, n);
    sources.set(file, text);
    // Plain searches first: a regex over every file would double the walk's cost.
    const maybe = text.includes("import.meta.hot") || text.includes('fs"') || text.includes("fs'") || text.includes("fs/promises");
    if (maybe && needsRewrite(text)) rewrite.push(file);
    if (!computed && text.includes("import") && COMPUTED_IMPORT.test(text)) computed = file;
  };
  for (const root of watchRoots(scope)) {
    if (isFile(root)) {
      if (CODE.test(root) && inScope(root, scope)) visit(root);
      continue;
    }
    const stack = [root];
    while (stack.length) {
      const dir = stack.pop()!;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // Unreadable or gone: the watcher reports what appears there later.
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (!NEVER_WATCHED.includes(e.name) && !excluded(p, scope)) stack.push(p);
        } else if (e.isFile() && CODE.test(e.name) && inScope(p, scope)) visit(p);
      }
    }
  }
  return { rewrite, sources, computed };
}
