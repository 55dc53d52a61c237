/**
 * Process listeners added while a module runs are removed when it runs again.
 * Without this, every reload of an Elysia app adds one more `beforeExit` listener
 * holding the old app alive (Elysia 1.4's `.listen()` registers one per call).
 */

import { patch } from "../runtime/patch.ts";

let current: { ownerOf: () => string | undefined; onOwnerDispose: (owner: string, undo: () => void) => void } = {
  ownerOf: () => undefined,
  onOwnerDispose: () => {},
};

const METHODS = ["on", "addListener", "once", "prependListener", "prependOnceListener"] as const;

/**
 * `ownerOf` names the module adding a listener (undefined: not during a module run);
 * `onOwnerDispose` registers the undo with that module's dispose hooks.
 */
export function trackProcessListeners(
  ownerOf: () => string | undefined,
  onOwnerDispose: (owner: string, undo: () => void) => void,
): () => void {
  // Patched once per process, reporting to the latest app (hmr-run/testing starts several).
  const mine = { ownerOf, onOwnerDispose };
  current = mine;
  const undo = METHODS.map((method) =>
    patch<(event: string | symbol, listener: (...a: any[]) => void) => unknown>(process, method, `process.${method}`, (original) =>
      function (this: unknown, event, listener) {
        const owner = current.ownerOf();
        if (owner) current.onOwnerDispose(owner, () => process.removeListener(event, listener));
        return original.call(this, event, listener);
      },
    ),
  );
  return () => {
    if (current === mine) current = { ownerOf: () => undefined, onOwnerDispose: () => {} };
    for (const u of undo) u();
  };
}
