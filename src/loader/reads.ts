/**
 * Notices files that modules read while they load (`Bun.file`, `node:fs`), so that
 * editing a template or a JSON file read at top level re-runs the module that read it.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { patch } from "../runtime/patch.ts";

const require_ = createRequire(import.meta.url);

/**
 * Wraps the common read functions while an app runs. `onRead` gets absolute paths; it
 * decides whether a load is in progress and which module read the file. Returns the
 * undo, which puts the originals back (src/runtime/patch.ts).
 */
export function trackReads(onRead: (file: string) => void): () => void {
  // Patched once per process however many apps run, each reporting to the latest app: a
  // second app started in the same process (hmr-run/testing) is tracked too.
  current = onRead;
  // Patched through require(): ESM namespace objects of builtins are read-only, but
  // their named exports follow the CommonJS object (measured on Bun 1.4.5).
  const fs = require_("node:fs");
  const fsp = require_("node:fs/promises");
  const undo = [wrap(fs, "readFileSync"), wrap(fs, "readFile"), wrap(fsp, "readFile"), wrap(Bun, "file")];
  return () => {
    if (current === onRead) current = () => {};
    for (const u of undo) u();
  };
}

let current: (file: string) => void = () => {};
/** Listeners added for a while (see `observeReads`). */
const observers = new Set<(file: string) => void>();

/**
 * Calls `fn` with every file read until the returned function is called, besides the
 * app's own listener. A module load watches for reads no module's top level made: a
 * runtime plugin's `build.module()` factory runs while its importer links (src/app.ts).
 */
export function observeReads(fn: (file: string) => void): () => void {
  observers.add(fn);
  return () => void observers.delete(fn);
}

function note(p: unknown): void {
  const file = typeof p === "string" ? resolve(p) : p instanceof URL && p.protocol === "file:" ? Bun.fileURLToPath(p) : undefined;
  if (file === undefined) return;
  current(file);
  for (const fn of observers) fn(file);
}

function wrap(obj: object, name: string): () => void {
  return patch<(...a: unknown[]) => unknown>(obj, name, `${name === "file" ? "Bun" : "fs"}.${name}`, (original) => {
    const wrapped = function (this: unknown, ...args: unknown[]) {
      note(args[0]);
      return original.apply(this, args);
    };
    Object.defineProperty(wrapped, "name", { value: name });
    return wrapped;
  });
}
