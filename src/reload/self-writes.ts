/**
 * Saves the app made itself. A module that writes a file it reads while it loads (a
 * counter, a cache, a generated config) would reload itself forever: each run's write is
 * a save. A file that was modified while its reader ran, and still holds what it held
 * when that run ended, was written by the run: it does not reload, and the log says so
 * once per file. An edit made after the run changes the content, so it still reloads.
 */
import { readFileSync, statSync } from "node:fs";

/** File times come from the kernel's coarse clock, which lags Date.now() by up to a tick (3 to 6 ms measured on Linux). */
const SLACK_MS = 20;

interface Seen {
  reader: string;
  from: number;
  to: number;
  hash: number | bigint;
}

export class SelfWrites {
  private seen = new Map<string, Seen>();
  private told = new Set<string>();

  /** A run of modules ended (wall clock `from`..now): `reads` maps each file they read to a reader. */
  ran(from: number, reads: Map<string, string>): void {
    const to = Date.now();
    for (const [file, reader] of reads) {
      const hash = hashOf(file);
      if (hash === undefined) this.seen.delete(file);
      else this.seen.set(file, { reader, from, to, hash });
    }
  }

  /** Removes from `batch` the files a run wrote; `say` is called the first time for each file. */
  drop(batch: Set<string>, say: (file: string, reader: string) => void): void {
    if (!this.seen.size) return;
    for (const f of batch) {
      const s = this.seen.get(f);
      if (!s) continue;
      let mtime: number;
      try {
        mtime = statSync(f).mtimeMs;
      } catch {
        continue; // Deleted: not a write of the run.
      }
      if (mtime < s.from - SLACK_MS || mtime > s.to + 2 || hashOf(f) !== s.hash) continue;
      batch.delete(f);
      if (!this.told.has(f)) {
        this.told.add(f);
        say(f, s.reader);
      }
    }
  }
}

function hashOf(file: string): number | bigint | undefined {
  try {
    return Bun.hash(readFileSync(file));
  } catch {
    return undefined; // Not readable: nothing to compare.
  }
}
