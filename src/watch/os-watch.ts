/**
 * File events from the OS. On Linux every watched folder costs one inotify watch, and
 * `fs.watch(dir, { recursive: true })` puts every folder below, `node_modules` included,
 * under one (3000 folders, 3000 watches). So here each folder is watched on its own,
 * skipped trees are never entered, and a new folder gets its watch when it appears.
 * macOS (FSEvents) and Windows (ReadDirectoryChangesW) watch a whole tree with one
 * handle, so there one recursive watch per root is cheaper, and events are filtered.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isUnder } from "../paths.ts";
import { WatchLimitError, type ChangeSource, type WatchSet } from "./source.ts";

/** Watches `set` with the OS's file events; `perFolder` is the Linux way (the default there). */
export class OsWatch implements ChangeSource {
  readonly kind = "os";
  private watches = new Map<string, FSWatcher>();
  private onPath: (path: string) => void = () => {};
  /** Called once when the OS refuses a watch after start (a folder created later). */
  onLimit: (err: WatchLimitError) => void = () => {};

  constructor(
    private set: WatchSet,
    private perFolder = process.platform === "linux",
    /** `fs.watch`, or a stand-in that fails the way the OS does (tests). */
    private watchFn: typeof watch = watch,
  ) {}

  /** How many folders hold an OS watch now. */
  get size(): number {
    return this.watches.size;
  }

  start(onPath: (path: string) => void): void {
    this.onPath = onPath;
    for (const root of this.set.roots) {
      if (this.perFolder) this.addTree(root, false);
      else this.add(root, true);
    }
    // Single files are watched through their folder: an editor that saves by renaming a
    // temp file over one would end a watch on the file itself after one save.
    const byDir = new Map<string, Set<string>>();
    for (const file of this.set.files) {
      if (this.set.roots.some((r) => isUnder(file, r))) continue;
      const dir = dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(basename(file));
    }
    for (const [dir, names] of byDir) this.add(dir, false, names);
  }

  close(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }

  /** Watches `dir` and every folder below it that is not skipped; `report` says what is already inside. */
  private addTree(dir: string, report: boolean): void {
    if (this.set.skip(dir) || this.watches.has(dir)) return;
    if (!this.add(dir, false)) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Removed again meanwhile: its parent's watch reports that.
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) this.addTree(p, report);
      else if (report) this.onPath(p);
    }
  }

  /** One watch on `dir`; false when the folder is not there (yet). Throws WatchLimitError. */
  private add(dir: string, recursive: boolean, only?: Set<string>): boolean {
    let w: FSWatcher;
    try {
      w = this.watchFn(dir, { recursive }, (event, name) => {
        if (!name) return;
        const n = name.toString();
        if (only && !only.has(n)) return;
        const p = join(dir, n);
        this.onPath(p);
        if (this.perFolder && !only && event === "rename") this.renamed(p);
      });
    } catch (err) {
      const limit = WatchLimitError.from(err);
      if (limit) throw limit;
      return false; // Not there (yet), or not readable: nothing to watch.
    }
    w.on("error", (err) => {
      const limit = WatchLimitError.from(err);
      if (limit) this.onLimit(limit);
      // Otherwise the folder went away: its parent's watch reports that.
    });
    this.watches.set(dir, w);
    return true;
  }

  /** A name appeared or went: a new folder gets watches (and its files reported), a gone one loses them. */
  private renamed(p: string): void {
    let isDir = false;
    try {
      isDir = lstatSync(p).isDirectory();
    } catch {
      // Every folder of the tree is watched, so a gone path that was not is no folder of
      // ours: no scan over every watch for each file a checkout deletes.
      if (!this.watches.has(p)) return;
      for (const [dir, w] of this.watches) {
        if (isUnder(dir, p)) {
          w.close();
          this.watches.delete(dir);
        }
      }
      return;
    }
    if (!isDir || this.watches.has(p)) return;
    try {
      this.addTree(p, true);
    } catch (err) {
      const limit = WatchLimitError.from(err);
      if (!limit) throw err;
      this.onLimit(limit);
    }
  }
}
