/**
 * Watches the include paths and reports every changed path in them, as it happens. One
 * editor save can be 1 to 5 events (truncate+write, temp file+rename, backup+write+
 * delete), and a tool writes many files at once: when those make a complete batch is
 * the decision core's call (src/core/settle.ts), not the watcher's.
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

/** Watches `scope` (OS events or polling); `onChange` gets each changed absolute path. */
export class Watcher {
  private sources: ChangeSource[] = [];
  private readonly o: Required<WatcherOptions>;

  constructor(
    private scope: Scope,
    private onChange: (path: string) => void,
    options: WatcherOptions = {},
  ) {
    this.o = {
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

  /** Records one changed path (also how tests inject changes). */
  note(path: string): void {
    if (!inScope(path, this.scope) && !this.o.extra.includes(path)) return;
    this.onChange(path);
  }

  close(): void {
    for (const s of this.sources) s.close();
    this.sources = [];
  }
}
