/**
 * Notices files that modules read while they load (`Bun.file`, `node:fs`), so that
 * editing a template or a JSON file read at top level re-runs the module that read it.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require_ = createRequire(import.meta.url);

/**
 * Wraps the common read functions once. `onRead` gets absolute paths; it decides
 * whether a load is in progress and which module read the file. Returns the undo.
 */
export function trackReads(onRead: (file: string) => void): () => void {
  // The wrappers are installed once per process but report to the latest app, so a
  // second app started in the same process (hmr-run/testing) is tracked too.
  current = onRead;
  const note = (p: unknown) => {
    if (typeof p === "string") current(resolve(p));
    else if (p instanceof URL && p.protocol === "file:") current(Bun.fileURLToPath(p));
  };
  // Patched through require(): ESM namespace objects of builtins are read-only, but
  // their named exports follow the CommonJS object (measured on Bun 1.4.5).
  const fs = require_("node:fs");
  const fsp = require_("node:fs/promises");
  wrap(fs, "readFileSync", note);
  wrap(fs, "readFile", note);
  wrap(fsp, "readFile", note);
  wrap(Bun as any, "file", note);
  // The wrappers stay (a module may hold one already); this app stops hearing of reads.
  return () => {
    if (current === onRead) current = () => {};
  };
}

let current: (file: string) => void = () => {};

function wrap(obj: any, name: string, note: (p: unknown) => void): void {
  const original = obj[name];
  if (typeof original !== "function" || original.__hmrRun) return;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    note(args[0]);
    return original.apply(this, args);
  };
  Object.defineProperty(wrapped, "__hmrRun", { value: true });
  Object.defineProperty(wrapped, "name", { value: name });
  obj[name] = wrapped;
}
