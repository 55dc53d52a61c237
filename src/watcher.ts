/**
 * Watches the include paths and turns fs events into batches of files. One editor save
 * can be 1 to 5 events (truncate+write, temp file+rename, backup+write+delete), and a
 * tool writes many files at once: when a batch goes out is src/watch/settle.ts's call.
 */
import { watch } from "node:fs";
import { basename } from "node:path";
import { excluded, inScope, isFile, watchRoots, type Scope } from "./loader/scope.ts";
import { inDependencyTree, isUnder, NEVER_WATCHED } from "./paths.ts";
import { limitMessage, WatchLimitError, type ChangeSource, type WatchSet } from "./watch/source.ts";
import { OsWatch } from "./watch/os-watch.ts";
import { PollWatch, POLL_MS } from "./watch/poll-watch.ts";
import { isWsl, readMounts, whyPoll, type Mount } from "./watch/mounts.ts";
import { Settle, SETTLE_DEFAULTS, type SettleOptions } from "./watch/settle.ts";
import { ioTurn } from "./runtime/own.ts";

export interface WatcherOptions extends Partial<SettleOptions> {
  /** Called at once when a change follows the batch just sent: the rest of that write comes in the next batch. */
  onMore?: () => void;
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

/** Quiet times up to this long are waited out in event-loop turns rather than with a timer (ms). */
const SHORT_MS = 2;

/** Watches `scope` (OS events or polling); `onBatch` gets each settled set of absolute paths. */
export class Watcher {
  private sources: ChangeSource[] = [];
  private pending = new Set<string>();
  private timer: Timer | undefined;
  /** Bumped whenever the pending flush is replaced or cancelled: an I/O turn already under way then does nothing. */
  private turn = 0;
  private readonly settle: Settle;
  private readonly o: Required<Omit<WatcherOptions, keyof SettleOptions>>;

  constructor(
    private scope: Scope,
    private onBatch: (files: Set<string>) => void,
    options: WatcherOptions = {},
  ) {
    this.settle = new Settle({ ...SETTLE_DEFAULTS, ...definedOnly(options) });
    this.o = {
      onMore: () => {},
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
    this.pending.add(path);
    const step = this.settle.change(now, this.pending.size);
    if (step.more) this.o.onMore();
    this.cancel();
    const flush = () => this.flush(step.overdue);
    // A short quiet is waited out in turns of the event loop that poll (about 0.3 ms
    // each): Bun's timers wait whole milliseconds (setTimeout(0) takes 1.2 ms), and
    // setImmediate would not let the events of a second file in.
    if (step.wait <= SHORT_MS) void this.quiet(step.wait, now, ++this.turn).then((still) => still && flush());
    else this.timer = setTimeout(flush, step.wait);
  }

  /** Resolves true once `ms` have passed since `since` with the turn still current (no later change or cancel). */
  private async quiet(ms: number, since: number, turn: number): Promise<boolean> {
    do {
      await ioTurn();
      if (turn !== this.turn) return false;
    } while (performance.now() - since < ms);
    return true;
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.turn++;
  }

  private flush(overdue: boolean): void {
    this.cancel();
    const batch = this.pending;
    this.pending = new Set();
    this.settle.flushed(performance.now(), overdue);
    if (batch.size) this.onBatch(batch);
  }

  close(): void {
    this.cancel();
    for (const s of this.sources) s.close();
    this.sources = [];
  }
}

/** The settings given, without the keys left undefined (they keep their defaults). */
function definedOnly(o: WatcherOptions): Partial<SettleOptions> {
  const out: Partial<SettleOptions> = {};
  for (const k of Object.keys(SETTLE_DEFAULTS) as Array<keyof SettleOptions>) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
