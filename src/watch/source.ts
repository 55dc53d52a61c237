/**
 * Where raw change notices come from. The watcher (src/watcher.ts) settles them into
 * batches; a source only says "this path may have changed". Two kinds: the OS's file
 * events (os-watch.ts) and polling (poll-watch.ts), for mounts that deliver no events.
 */

/** What to watch: folder trees, minus the folders `skip` names, plus single files. */
export interface WatchSet {
  /** Folders watched with everything below them (absolute, real). */
  roots: string[];
  /** Single files watched on their own (env files, an included file). */
  files: string[];
  /** Folders never entered: `node_modules`, `.git`, excluded trees. */
  skip: (dir: string) => boolean;
}

/** A running source of change notices. */
export interface ChangeSource {
  readonly kind: "os" | "poll";
  /** Starts reporting possibly changed absolute paths; may throw WatchLimitError. */
  start(onPath: (path: string) => void): void;
  close(): void;
}

/** The OS refused another watch (inotify's per-user limits, or open files). */
export class WatchLimitError extends Error {
  override name = "WatchLimitError";
  constructor(readonly code: "EMFILE" | "ENFILE" | "ENOSPC") {
    super(`file watch limit reached (${code})`);
  }
  /** `err` as a WatchLimitError when it is one of the limit codes, else undefined. */
  static from(err: unknown): WatchLimitError | undefined {
    if (err instanceof WatchLimitError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    return code === "EMFILE" || code === "ENFILE" || code === "ENOSPC" ? new WatchLimitError(code) : undefined;
  }
}

/** The one line for a limit: which one, how to raise it. */
export function limitMessage(err: WatchLimitError, pollMs: number): string {
  const [what, setting, value] =
    err.code === "ENOSPC" ? ["inotify watches", "fs.inotify.max_user_watches", 524288]
    : process.platform === "linux" ? ["inotify instances (or open files)", "fs.inotify.max_user_instances", 1024]
    : ["open files", "the open-file limit (ulimit -n)", 0];
  const raise = value ? `\`sudo sysctl ${setting}=${value}\`` : "ulimit -n";
  return `cannot watch files: the limit of ${what} is reached (${setting}); raise it with ${raise}; polling every ${pollMs} ms instead`;
}
