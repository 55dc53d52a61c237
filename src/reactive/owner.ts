/**
 * Which module's top level is creating a signal, derived value or effect right now.
 * Only top-level creations belong to a module: an effect made inside a request handler
 * or inside another effect is the caller's to dispose, and a signal made per request
 * must not take a slot in the module's creation order.
 */
import { runtime } from "../runtime/registry.ts";
import type { HotContext } from "../runtime/hot.ts";
import { topLevelFile } from "../runtime/caller.ts";

export function topLevelOwner(): HotContext | undefined {
  const rt = runtime();
  if (!rt) return undefined;
  const file = topLevelFile();
  return file !== undefined && rt.isModule(file) ? rt.context(file) : undefined;
}
