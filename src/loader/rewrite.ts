/**
 * The source of a project module as hmr-run runs it; line numbers are kept.
 * - `import.meta.hot` becomes the module's hot context: Bun's transpiler replaces
 *   `import.meta.hot` with `undefined` in plain runs, so it is renamed before Bun sees it.
 * - `node:fs` and `node:fs/promises` imports are pointed at `src/runtime/fs*.ts`, so that
 *   reads through named imports are seen (Bun snapshots builtin namespaces: see there).
 * - A leading BOM is dropped, as Bun drops it when it reads a file: given as text (a
 *   plugin's contents, the transpiler), a BOM before a shebang is a syntax error.
 */
import { resolve } from "node:path";

const HOT = /\bimport\.meta\.hot\b/g;
const NAME = "__hmrRunHot";
const FS_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*)(["'])(?:node:)?fs(\/promises)?\2/g;
const FS = JSON.stringify(resolve(import.meta.dir, "..", "runtime", "fs.ts"));
const FS_PROMISES = JSON.stringify(resolve(import.meta.dir, "..", "runtime", "fs-promises.ts"));

const FS_IMPORT_ONCE = new RegExp(FS_IMPORT.source);

/** Does Bun need the rewritten source of this module (it uses `import.meta.hot` or imports `node:fs` by name)? */
export function needsRewrite(source: string): boolean {
  return source.includes("import.meta.hot") || (source.includes("fs") && FS_IMPORT_ONCE.test(source));
}

/** The source Bun runs for a project module. */
export function rewriteHot(source: string): string {
  let body = withoutBom(source);
  if (body.includes("fs")) body = body.replace(FS_IMPORT, (_, head: string, _q, promises) => head + (promises ? FS_PROMISES : FS));
  if (!body.includes("import.meta.hot")) return body;
  const prelude = `const ${NAME}=globalThis[Symbol.for("hmr-run.runtime")]?.context(import.meta.path);`;
  body = body.replace(HOT, NAME);
  // A shebang must stay first; the prelude goes on the same line as what follows so lines do not shift.
  if (body.startsWith("#!")) {
    const nl = body.indexOf("\n");
    if (nl < 0) return body;
    return body.slice(0, nl + 1) + prelude + body.slice(nl + 1);
  }
  return prelude + body;
}

/** `source` as Bun parses a file: without the byte order mark it may start with. */
export function withoutBom(source: string): string {
  return source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
}
