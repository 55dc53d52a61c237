/**
 * Watches the include paths and turns bursts of fs events into batches of files.
 * One editor save can be 1 to 5 events (truncate+write, temp file+rename,
 * backup+write+delete), so events settle briefly before a batch goes out.
 */
import { watch } from "node:fs";
import { basename } from "node:path";
import { excluded, inScope, isFile, watchRoots, type Scope } from "./loader/scope.ts";
import { inDependencyTree, isUnder, NEVER_WATCHED } from "./paths.ts";
import { limitMessage, WatchLimitError, type ChangeSource, type WatchSet } from "./watch/source.ts";
import { OsWatch } from "./watch/os-watch.ts";
import { PollWatch, POLL_MS } from "./watch/poll-watch.ts";
import { isWsl, readMounts, whyPoll, type Mount } from "./watch/mounts.ts";

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
  /** Poll instead of using the OS's file events (`--poll`). */
  poll?: boolean;
  /** The polling period (ms), `--poll-interval`. */
  pollMs?: number;
  /** Where the one-line notices go (polling turned on, a watch limit reached). */
  log?: { info(msg: string): void; warn(msg: string): void };
  /** @internal `fs.watch`, or a stand-in that fails as the OS does at its limits. */
  watchFn?: typeof watch;
  /** @internal The mount table and whether this is WSL (read from /proc by default). */
  mounts?: () => { mounts: Mount[]; wsl: boolean };
}

/** The watched folders and single files of `scope`, with what is never entered. */
export function watchSet(scope: Scope, extra: string[] = []): WatchSet {
  const roots = watchRoots(scope);
  const dirs = roots.filter((d) => !isFile(d));
  const files = [...new Set([...roots.filter(isFile), ...extra])];
  return {
    roots: dirs.filter((d) => !dirs.some((o) => o !== d && isUnder(d, o))),
    files,
    skip: (dir) => NEVER_WATCHED.includes(basename(dir)) || excluded(dir, scope),
  };
}

/** Watches `scope` (OS events or polling); `onBatch` gets each settled set of absolute paths. */
export class Watcher {
  private sources: ChangeSource[] = [];
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
    this.o = {
      settleMs: 2,
      multiSettleMs: 12,
      stormSettleMs: 150,
      stormWindowMs: 100,
      maxWaitMs: 500,
      extra: [],
      poll: false,
      pollMs: POLL_MS,
      log: { info: () => {}, warn: () => {} },
      watchFn: watch,
      mounts: () => ({ mounts: readMounts(), wsl: isWsl() }),
      ...options,
    };
  }

  /** Starts watching: OS events where they arrive, polling where they cannot (or with `poll`). */
  start(): void {
    const set = watchSet(this.scope, this.o.extra);
    const log = this.o.log;
    if (this.o.poll) {
      this.use(new PollWatch(set, this.o.pollMs));
      return;
    }
    // Paths on mounts that deliver no events are polled; the rest get OS events.
    // A mount inside a watched folder counts too: Docker's `-v ./src:/app/src` under /app.
    const { mounts, wsl } = this.o.mounts();
    const why = (p: string) => whyPoll(p, mounts, wsl);
    const inner = mounts
      .map((m) => m.point)
      .filter((p) => why(p) && set.roots.some((r) => r !== p && isUnder(p, r) && !why(r)) && !inDependencyTree(p) && !excluded(p, this.scope));
    const polled = [...set.roots, ...set.files].filter((p) => why(p));
    if (polled.length || inner.length) {
      const first = polled[0] ?? inner[0]!;
      log.info(`polling for changes every ${this.o.pollMs} ms: ${first} is ${why(first)}, where file events do not arrive`);
      const onPoll = (p: string) => polled.includes(p);
      this.use(new PollWatch({ ...set, roots: [...set.roots.filter(onPoll), ...inner], files: set.files.filter(onPoll) }, this.o.pollMs));
    }
    const rest = {
      roots: set.roots.filter((p) => !why(p)),
      files: set.files.filter((p) => !why(p)),
      skip: (dir: string) => set.skip(dir) || inner.includes(dir),
    };
    if (!rest.roots.length && !rest.files.length) return;
    const os = new OsWatch(rest, undefined, this.o.watchFn);
    os.onLimit = (err) => this.fallBack(err, os, rest);
    try {
      this.use(os);
    } catch (err) {
      const limit = WatchLimitError.from(err);
      if (!limit) throw err;
      this.fallBack(limit, os, rest);
    }
  }

  /** How the watched paths are watched now (for the banner and tests). */
  get kinds(): Array<"os" | "poll"> {
    return this.sources.map((s) => s.kind);
  }

  private use(source: ChangeSource): void {
    this.sources.push(source);
    source.start((p) => this.note(p));
  }

  /** The OS refused a watch: say which limit in one line and poll what it covered. */
  private fallBack(err: WatchLimitError, os: OsWatch, set: WatchSet): void {
    if (!this.sources.includes(os)) return; // Already polling what it covered.
    os.close();
    this.sources = this.sources.filter((s) => s !== os);
    this.o.log.warn(limitMessage(err, this.o.pollMs));
    this.use(new PollWatch(set, this.o.pollMs));
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
    for (const s of this.sources) s.close();
    this.sources = [];
  }
}
