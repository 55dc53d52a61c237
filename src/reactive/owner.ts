/**
 * Which module's top level is creating a signal, derived value or effect right now.
 * Only top-level creations belong to a module: an effect made inside a request handler
 * or inside another effect is the caller's to dispose, and a signal made per request
 * must not take a slot in the module's creation order.
 */
import { runtime } from "../runtime/registry.ts";
import type { HotContext } from "../runtime/hot.ts";

type CallSite = {
  getFileName(): string | null | undefined;
  getFunctionName(): string | null | undefined;
  toString(): string;
};

/**
 * The hot context of the managed module whose top level is running, or undefined
 * (plain `bun`, a function called later, a module hmr-run does not manage).
 */
export function topLevelOwner(): HotContext | undefined {
  const rt = runtime();
  if (!rt) return undefined;
  const file = moduleCodeFile();
  return file !== undefined && rt.isModule(file) ? rt.context(file) : undefined;
}

/**
 * The file of the innermost module-code frame on the stack. Bun (JSC) gives module code
 * no function name and prints its call site as a bare `file:line:col`, while anonymous
 * functions print as `<anonymous> (file:line:col)`: measured on Bun 1.4.5, including
 * code after a top-level `await`. Strict-mode tail calls drop frames, which can only
 * make a helper called from the top level look like the top level itself.
 */
function moduleCodeFile(): string | undefined {
  const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number };
  const prevPrepare = E.prepareStackTrace;
  const prevLimit = E.stackTraceLimit;
  E.prepareStackTrace = (_: unknown, sites: CallSite[]) => sites;
  E.stackTraceLimit = 64;
  const holder: { stack?: CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, moduleCodeFile);
    for (const site of holder.stack ?? []) {
      if (site.getFunctionName()) continue;
      const file = site.getFileName();
      if (!file || String(site).endsWith(")")) continue;
      return file.startsWith("file://") ? Bun.fileURLToPath(file) : file;
    }
    return undefined;
  } finally {
    E.prepareStackTrace = prevPrepare;
    E.stackTraceLimit = prevLimit;
  }
}
