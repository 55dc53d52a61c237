/**
 * Finds which project module is calling: helpers such as `onDispose()` and `effect()`
 * take no module argument, so ownership comes from the call stack (about 6 µs a call).
 */
import { sep } from "node:path";
import { parentDir } from "../paths.ts";

type CallSite = {
  getFileName(): string | null | undefined;
  getFunctionName(): string | null | undefined;
  toString(): string;
};

/** The first file on the current stack, outside hmr-run itself, for which `accept` is true. */
export function callerFile(accept: (file: string) => boolean): string | undefined {
  return withCallSites(30, (sites) => {
    for (const site of sites) {
      const file = site.getFileName();
      if (!file || file.startsWith(OWN_SRC)) continue;
      const path = toPath(file);
      if (accept(path)) return path;
    }
    return undefined;
  });
}

/**
 * The file of the innermost module-code frame on the stack: whose top level is running.
 * Bun (JSC) gives module code no function name and prints its call site as a bare
 * `file:line:col`, while anonymous functions print as `<anonymous> (file:line:col)`:
 * measured on Bun 1.4.5, including code after a top-level `await`. Strict-mode tail
 * calls drop frames, which can only make a helper called from the top level look like
 * the top level itself.
 */
export function topLevelFile(): string | undefined {
  return withCallSites(64, (sites) => {
    for (const site of sites) {
      if (site.getFunctionName()) continue;
      const file = site.getFileName();
      if (!file || String(site).endsWith(")")) continue;
      return toPath(file);
    }
    return undefined;
  });
}

/**
 * Runs `read` on the structured call sites of whoever called the caller, restoring
 * Error's settings after. JSC trims the stack only at the direct caller of
 * captureStackTrace (any other function yields an empty stack), so the asking helper's
 * own frame stays in; both readers skip it (it is named, and it is hmr-run's own file).
 */
function withCallSites<T>(limit: number, read: (sites: CallSite[]) => T): T {
  const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number };
  const prevPrepare = E.prepareStackTrace;
  const prevLimit = E.stackTraceLimit;
  E.prepareStackTrace = (_: unknown, sites: CallSite[]) => sites;
  E.stackTraceLimit = limit;
  const holder: { stack?: CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, withCallSites);
    return read(holder.stack ?? []);
  } finally {
    E.prepareStackTrace = prevPrepare;
    E.stackTraceLimit = prevLimit;
  }
}

const toPath = (file: string) => (file.startsWith("file://") ? Bun.fileURLToPath(file) : file);
const OWN_SRC = parentDir(import.meta.dir) + sep;

/**
 * The current stack, taken cheaply (about 0.5 µs against 6 µs for `callerFile`): the
 * module loader takes one for every module it loads, and reads only a few of them
 * later with `callerIn`, off the start-up path.
 */
export function stackProbe(): Error {
  const E = Error as unknown as { stackTraceLimit: number };
  const prevLimit = E.stackTraceLimit;
  E.stackTraceLimit = 30;
  try {
    return new Error("stack probe");
  } finally {
    E.stackTraceLimit = prevLimit;
  }
}

const FRAME = /^\s*at (?:.*? \()?(.+?):\d+:\d+\)?$/;

/** The first file in a probe's stack, outside hmr-run itself, for which `accept` is true. */
export function callerIn(probe: Error, accept: (file: string) => boolean): string | undefined {
  for (const line of String(probe.stack ?? "").split("\n")) {
    const file = FRAME.exec(line)?.[1];
    if (!file || file.startsWith(OWN_SRC)) continue;
    const path = toPath(file);
    if (accept(path)) return path;
  }
  return undefined;
}
