/**
 * Starting the file watcher when the OS may refuse: inotify has per-user limits on
 * instances and watches. Hitting one is said in one line (which limit, how to raise it)
 * and the watch falls back to polling, so hmr-run still starts.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ConsolaInstance } from "consola/core";
import { inScope, isFile, type Scope } from "../loader/scope.ts";
import { NEVER_WATCHED } from "../paths.ts";
import { Watcher } from "../watcher.ts";

/** A running watch, whatever its kind. */
export interface Watching {
  close(): void;
}

const POLL_MS = 500;

/** Watches `scope` (and `extra` files) with fs.watch, or by polling when the OS refuses. */
export function startWatching(scope: Scope, onBatch: (files: Set<string>) => void, extra: string[], log: ConsolaInstance): Watching {
  const watcher = new Watcher(scope, onBatch, { extra });
  try {
    watcher.start();
    return watcher;
  } catch (err) {
    watcher.close();
    const line = limitMessage(err);
    if (!line) throw err;
    log.warn(line);
    return poll(scope, extra, watcher);
  }
}

/** The one line for a watcher the OS refused, or undefined when it is not a limit. */
export function limitMessage(err: unknown): string | undefined {
  const code = (err as { code?: string })?.code;
  const [what, setting, value] =
    code === "EMFILE" ? ["inotify instances (or open files)", "fs.inotify.max_user_instances", 1024]
    : code === "ENOSPC" ? ["inotify watches", "fs.inotify.max_user_watches", 524288]
    : [];
  if (!what) return undefined;
  return `cannot watch files: the limit of ${what} is reached (${setting}); raise it with \`sudo sysctl ${setting}=${value}\`; polling every ${POLL_MS} ms instead`;
}

/** Polls modification times and sizes; changes go through the watcher's own settling. */
function poll(scope: Scope, extra: string[], watcher: Watcher): Watching {
  let seen = snapshot(scope, extra);
  const timer = setInterval(() => {
    const now = snapshot(scope, extra);
    for (const [p, stamp] of now) if (seen.get(p) !== stamp) watcher.note(p);
    for (const p of seen.keys()) if (!now.has(p)) watcher.note(p);
    seen = now;
  }, POLL_MS);
  return { close: () => (clearInterval(timer), watcher.close()) };
}

function snapshot(scope: Scope, extra: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const stamp = (p: string) => {
    try {
      const s = statSync(p);
      out.set(p, `${s.mtimeMs}:${s.size}`);
    } catch {
      // Gone since it was listed: the next round sees it missing.
    }
  };
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Removed meanwhile.
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!NEVER_WATCHED.includes(e.name) && inScope(join(p, "x"), scope)) walk(p);
      } else if (inScope(p, scope)) stamp(p);
    }
  };
  for (const inc of scope.include) (isFile(inc) ? stamp(inc) : walk(inc));
  for (const p of extra) stamp(p);
  return out;
}
