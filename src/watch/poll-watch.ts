/**
 * Polling: for mounts that deliver no file events (Docker and VM shared folders, NFS,
 * SMB, FUSE, WSL's /mnt/c) and as the fallback when the OS refuses more watches.
 * Each round stats every watched file and folder and compares modification time,
 * change time, size and inode; a folder whose time changed is listed again, to see
 * files come and go. A round over 2000 files takes ~3 ms, so rounds are spaced so
 * that polling never takes more than about 1% of a core, however big the tree.
 */
import { readdirSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { ChangeSource, WatchSet } from "./source.ts";

/** The default period: a save is seen within 300 ms (150 ms on average). */
export const POLL_MS = 300;
/** Rounds wait at least this many times as long as the last round took (~1% of a core). */
const IDLE_FACTOR = 100;
/** Every this many rounds, list every folder, for file systems whose folder times are coarse. */
const FULL_EVERY = 20;

const MISSING = "missing";
const stamp = (s: Stats | undefined) => (s ? `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}` : MISSING);
const statOf = (p: string) => statSync(p, { throwIfNoEntry: false });

/** Polls `set` every `intervalMs` (or slower, for a big tree). */
export class PollWatch implements ChangeSource {
  readonly kind = "poll";
  private files = new Map<string, string>();
  private dirs = new Map<string, { stamp: string; files: Set<string>; dirs: Set<string> }>();
  private single: Set<string>;
  private timer: Timer | undefined;
  private rounds = 0;
  private onPath: (path: string) => void = () => {};
  /** CPU time the last round took (ms): rounds are spaced by it. */
  lastRoundMs = 0;

  constructor(
    private set: WatchSet,
    readonly intervalMs = POLL_MS,
  ) {
    this.single = new Set(set.files);
  }

  start(onPath: (path: string) => void): void {
    this.onPath = onPath;
    for (const root of this.set.roots) this.scanTree(root, false);
    for (const f of this.set.files) this.files.set(f, stamp(statOf(f)));
    this.schedule(this.intervalMs);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.files.clear();
    this.dirs.clear();
  }

  /** One round now (tests and the benchmark call it directly). */
  round(): void {
    // CPU time, not wall time: on a busy machine a round waits for a core, which costs nothing.
    const t0 = process.cpuUsage();
    const full = ++this.rounds % FULL_EVERY === 0;
    for (const [dir, node] of [...this.dirs]) {
      if (!this.dirs.has(dir)) continue; // Dropped with a parent earlier in this round.
      const now = stamp(statOf(dir));
      if (now === MISSING) this.dropTree(dir);
      else if (now !== node.stamp || full) {
        node.stamp = now;
        this.relist(dir);
      }
    }
    for (const [file, was] of this.files) {
      const now = stamp(statOf(file));
      if (now === was) continue;
      if (now === MISSING) this.forget(file);
      else {
        this.files.set(file, now);
        this.onPath(file);
      }
    }
    const used = process.cpuUsage(t0);
    this.lastRoundMs = (used.user + used.system) / 1000;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.round();
      this.schedule(Math.max(this.intervalMs, this.lastRoundMs * IDLE_FACTOR));
    }, ms);
    // The supervisor's other handles keep the process alive; polling alone must not.
    this.timer.unref?.();
  }

  /** Records `dir` and everything below it; `report` says each file is new. */
  private scanTree(dir: string, report: boolean): void {
    if (this.set.skip(dir) || this.dirs.has(dir)) return;
    const st = statOf(dir);
    if (!st?.isDirectory()) return;
    this.dirs.set(dir, { stamp: stamp(st), files: new Set(), dirs: new Set() });
    this.relist(dir, report);
  }

  /** Lists `dir` again: new files and folders are reported and recorded, gone ones reported and dropped. */
  private relist(dir: string, report = true): void {
    const node = this.dirs.get(dir)!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Gone meanwhile: the next round drops it.
    }
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (this.set.skip(p)) continue;
        dirs.add(p);
        if (!node.dirs.has(p)) this.scanTree(p, report);
      } else {
        files.add(p);
        if (node.files.has(p)) continue;
        this.files.set(p, stamp(statOf(p)));
        if (report) this.onPath(p);
      }
    }
    for (const f of node.files) if (!files.has(f)) this.forget(f);
    for (const d of node.dirs) if (!dirs.has(d)) this.dropTree(d);
    node.files = files;
    node.dirs = dirs;
  }

  /** A file in a tree is gone: report it; a single watched file stays watched while missing. */
  private forget(file: string): void {
    if (!this.files.has(file)) return;
    this.onPath(file);
    if (this.single.has(file)) this.files.set(file, MISSING);
    else this.files.delete(file);
  }

  private dropTree(dir: string): void {
    const node = this.dirs.get(dir);
    if (!node) return;
    this.dirs.delete(dir);
    for (const f of node.files) this.forget(f);
    for (const d of node.dirs) this.dropTree(d);
  }
}
