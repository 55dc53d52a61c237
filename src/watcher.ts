/**
 * Watches the include paths and turns bursts of fs events into batches of files.
 * One editor save can be 1 to 5 events (truncate+write, temp file+rename,
 * backup+write+delete), so events settle briefly before a batch goes out.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { inScope, isFile, type Scope } from "./loader/scope.ts";
import { isUnder } from "./paths.ts";

export interface WatcherOptions {
  /** Quiet time before a batch goes out (ms). */
  settleMs?: number;
  /** Quiet time once a batch holds more than one file (ms). */
  multiSettleMs?: number;
  /** Quiet time while saves keep coming (a save storm, a branch switch) (ms). */
  stormSettleMs?: number;
  /** A batch within this long after the previous one counts as a storm (ms). */
  stormWindowMs?: number;
  /** A storm still flushes at least this often (ms). */
  maxWaitMs?: number;
  /** Extra files outside the scope to watch (env files). */
  extra?: string[];
}

/** Watches `scope` recursively; `onBatch` gets each settled set of absolute paths. */
export class Watcher {
  private watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private timer: Timer | undefined;
  private firstAt = 0;
  private lastFlush = -Infinity;
  private storm = false;
  private readonly o: Required<WatcherOptions>;

  constructor(
    private scope: Scope,
    private onBatch: (files: Set<string>) => void,
    options: WatcherOptions = {},
  ) {
    // The events of one save arrive within microseconds of each other, yet a tool writing
    // 20 files at once from another process had its first file seen alone 40% of the time
    // with 1 ms of quiet and never with 2 ms; 4 ms was 60% of a leaf edit's latency. An
    // empty file seen mid-save is looked at again by the app. A person saves far less
    // often than every 100 ms; tools (formatters, git checkout, generators) do: within such
    // a storm, wait for 150 ms of quiet, flushing at least every 500 ms.
    this.o = { settleMs: 2, multiSettleMs: 12, stormSettleMs: 150, stormWindowMs: 100, maxWaitMs: 500, extra: [], ...options };
  }

  start(): void {
    for (const dir of this.scope.include.filter((d) => !isFile(d))) {
      const w = watch(dir, { recursive: true }, (_event, name) => {
        if (name) this.note(join(dir, name.toString()));
      });
      w.on("error", () => {}); // A watched folder that disappears just stops reporting; nothing to recover.
      this.watchers.push(w);
    }
    // Extra files outside the scope are watched through their folder: an editor that saves
    // by renaming a temp file over one would end a watch on the file itself after one save.
    const byDir = new Map<string, Set<string>>();
    for (const file of [...this.o.extra, ...this.scope.include.filter(isFile)]) {
      if (this.scope.include.some((d) => d !== file && isUnder(file, d))) continue;
      const dir = dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(basename(file));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, (_event, name) => {
          if (name && names.has(name.toString())) this.note(join(dir, name.toString()));
        });
        w.on("error", () => {}); // As above: a vanished folder ends its own watch. // A watched folder that disappears just stops reporting; nothing to recover.
        this.watchers.push(w);
      } catch {
        // A missing folder: the env file check at start-up has already said so.
      }
    }
  }

  /** Records one changed path (also how tests and the `r` key inject changes). */
  note(path: string): void {
    if (!inScope(path, this.scope) && !this.o.extra.includes(path)) return;
    const now = performance.now();
    if (this.pending.size === 0) this.firstAt = now;
    this.pending.add(path);
    clearTimeout(this.timer);
    // A storm starts when saves follow a batch closely, and lasts until a quiet flush.
    if (now - this.lastFlush < this.o.stormWindowMs) this.storm = true;
    const overdue = now - this.firstAt >= this.o.maxWaitMs;
    // Several files within one settle are a tool writing many (a formatter, a generator):
    // wait a little longer so they land in one reload.
    const wait = overdue ? 0 : this.storm ? this.o.stormSettleMs : this.pending.size > 1 ? this.o.multiSettleMs : this.o.settleMs;
    this.timer = setTimeout(() => {
      if (!overdue) this.storm = false;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Set();
    this.lastFlush = performance.now();
    if (batch.size) this.onBatch(batch);
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
