/**
 * Finds which project module is calling: helpers such as `onDispose()` and `effect()`
 * take no module argument, so ownership comes from the call stack (about 6 µs a call).
 */

type CallSite = { getFileName(): string | null | undefined };

/** The first file on the current stack, outside hmr-run itself, for which `accept` is true. */
export function callerFile(accept: (file: string) => boolean): string | undefined {
  const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit: number };
  const prevPrepare = E.prepareStackTrace;
  const prevLimit = E.stackTraceLimit;
  E.prepareStackTrace = (_: unknown, sites: CallSite[]) => sites;
  E.stackTraceLimit = 30;
  const holder: { stack?: CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, callerFile);
    for (const site of holder.stack ?? []) {
      const file = site.getFileName();
      if (!file || file.startsWith(OWN_SRC)) continue;
      const path = file.startsWith("file://") ? Bun.fileURLToPath(file) : file;
      if (accept(path)) return path;
    }
    return undefined;
  } finally {
    E.prepareStackTrace = prevPrepare;
    E.stackTraceLimit = prevLimit;
  }
}

const OWN_SRC = import.meta.dir.slice(0, import.meta.dir.lastIndexOf("/") + 1);
