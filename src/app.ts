/**
 * The running app: loads the entry through the loader, serves what it exports, and
 * applies batches of changed files one reload at a time. It is the glue between the
 * watcher (input), the reloader, and the host (output).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { ConsolaInstance } from "consola";
import { ModuleGraph } from "./graph.ts";
import { Registry, installRuntime, runtime } from "./runtime/registry.ts";
import { stackProbe } from "./runtime/caller.ts";
import { installLoader, type Loader } from "./loader/plugin.ts";
import { needsRewrite } from "./loader/rewrite.ts";
import { inScope, type Scope } from "./loader/scope.ts";
import { loaderFor, scanModule } from "./loader/scan.ts";
import { SaveCheck } from "./save-check.ts";
import { ModuleIndex } from "./module-index.ts";
import { ReloadQueue, type Batch } from "./reload/queue.ts";
import { SelfWrites } from "./reload/self-writes.ts";
import { trackReads } from "./loader/reads.ts";
import { Listings, trackListings } from "./loader/listings.ts";
import { trackProcessListeners } from "./loader/listeners.ts";
import { evict, load, namespaceOf, pin } from "./loader/registry.ts";
import { reloadBoxed, retire, type ReloadResult, type ReloadWorld } from "./reloader.ts";
import { errorOf } from "./reload/result.ts";
import { backgroundTimer, ioTurn, own } from "./runtime/own.ts";
import { Host, type ServeDefaults } from "./server/host.ts";
import { Workers } from "./server/workers.ts";
import { servesExport } from "./server/shape.ts";
import { EntryServer } from "./server/entry.ts";
import { logError, logResult } from "./log.ts";
import { beforeRunning } from "./errors.ts";
import { StaleInstanceError } from "./reload/batch.ts";
import { parentDir, shown } from "./paths.ts";

const rel = (p: string) => shown(p);

export interface AppOptions {
  /** Absolute path of the entry module. */
  entry: string;
  /** The export to serve (`main.ts:app`); default export when absent. */
  exportName?: string;
  scope: Scope;
  serve: ServeDefaults;
  log: ConsolaInstance;
  /** True when the app serves through something hmr-run does not host (an MCP server on stdio). */
  servesElsewhere?: () => boolean;
  /** Called before each reload that will run something (--clear). */
  beforeReload?: () => void;
  /** A module has been loading for 5 s; by default a warning says reloads wait for it. */
  onSlowLoad?: (path: string) => void;
  /** Dispose hooks that take longer are reported and left behind (ms). */
  disposeTimeoutMs?: number;
  /** Starts the app in a fresh process (src/dev.ts); without it, every fix is applied in this one. */
  restart?: (why: string) => void;
}

export { EntryError } from "./server/entry.ts";

/** How long a reload waits for the rest of a write announced with "more" (past the watcher's longest settle). */
const MORE_WAIT_MS = 600;
/** How long a failed reload waits for more of the same write before it is told: a tool's next file comes sooner. */
const HOLD_MS = 20;

export class App {
  readonly graph = new ModuleGraph();
  readonly host: Host;
  readonly hot: Registry;
  /** The app's worker threads: an edit of a module one loads restarts it. */
  readonly workers: Workers;
  /** Sources, reads and computed imports of the app's modules, and the graph built from them. */
  private modules: ModuleIndex;
  /** Which modules go through the loader plugin. */
  private loader: Loader | undefined;
  /** Folders modules listed while they ran (file-system routers), tracked like reads. */
  private listings = new Listings();
  private loadingDepth = 0;
  private readonly queue: ReloadQueue;
  private readonly entryServer: EntryServer;
  private readonly saves: SaveCheck;
  private readonly selfWrites = new SelfWrites();
  /** Set by `more()`, resolved by the next batch. */
  private moreComing: PromiseWithResolvers<void> | undefined;
  /** Every finished reload, for listeners such as the refresh channel and the test API. */
  readonly listeners = new Set<(r: ReloadResult) => void>();
  /** The entry loaded at least once. */
  loaded = false;
  /**
   * A load failed after some of its modules ran. Bun links the whole graph before it runs
   * any of it: modules the throw left unrun stay in its registry bound to the failed
   * instances, out of `require.cache`'s reach, and rethrow the old error (or a TDZ error)
   * whatever the fix. Only a fresh process loads such an app again.
   */
  private failedAfterRunning = false;
  lastError: unknown;

  constructor(readonly o: AppOptions) {
    this.modules = new ModuleIndex(this.graph, this.isUserFile, this.isCode);
    this.queue = new ReloadQueue(
      (batch) => this.reloadNow(batch),
      (err) => o.log.error(`hmr-run failed while reloading: ${safeString(err)}`),
    );
    this.saves = new SaveCheck({
      graph: this.graph,
      sources: this.modules.sources,
      known: (f) => this.modules.known(f),
      willRun: (f, text) => {
        this.modules.willRun(f, text);
        // A file that starts using import.meta.hot or node:fs goes through the plugin from now on.
        if (this.loader && !this.loader.has(f) && needsRewrite(text)) this.loader.cover([f]);
      },
      entry: o.entry,
      loaded: () => this.loaded,
      lookAgain: (f) => own.setTimeout(() => void this.changed([f]), 30),
      namespaceOf,
      index: () => this.modules.index(),
    });
    this.hot = new Registry((p) => this.modules.sources.has(p) || (this.isCode(p) && this.isUserFile(p)), {
      resolve: (spec, from) => Bun.resolveSync(spec, parentDir(from)),
      current: (p) => namespaceOf(p),
      invalidate: (p, message) => this.invalidate(p, message),
      watchFile: (owner, file) => {
        this.modules.noteRead(owner, file, this.loadingDepth > 0);
        // In the graph at once: a save may come before the next scan links it to its owner.
        this.graph.add(file);
      },
    });
    this.workers = new Workers({
      owner: () => this.hot.caller(),
      onDispose: (owner, fn) => this.hot.context(owner).dispose(fn),
      deps: (file) => this.workerDeps(file),
      warn: (msg) => o.log.warn(msg),
      restarted: (changed, workers, ms) =>
        o.log.success(`${changed.map(rel).join(", ")} → worker${workers.length === 1 ? "" : "s"} ${workers.map(rel).join(", ")} restarted in ${ms.toFixed(1)} ms`),
      failed: (changed, error, ms) => logResult(o.log, { kind: "failed", phase: "check", files: changed, error, ms }, this.isUserFile),
    });
    this.host = new Host(o.serve, {
      info: (m) => o.log.info(m),
      warn: (m) => o.log.warn(m),
      error: (m, err) => logError(o.log, m, err, this.isUserFile),
    });
    this.entryServer = new EntryServer(this.host, o);
  }

  readonly isUserFile = (f: string): boolean => inScope(f, this.o.scope);
  private isCode = (p: string): boolean => loaderFor(p) !== undefined;

  /** The app served nothing: it runs as a script. */
  get script(): boolean {
    return this.entryServer.script;
  }

  /** Installs the loader and interceptors, then loads and serves the entry (waits for a fix if it is broken). */
  async start(): Promise<void> {
    const previous = runtime();
    installRuntime(this.hot);
    this.uninstall.push(() => {
      if (runtime() === this.hot) installRuntime(previous as Registry);
    });
    // The importer is on the stack when Bun calls the loader for an import() (Bun 1.4.5).
    this.loader = installLoader(
      this.o.scope,
      (path, source) => this.modules.loaded(path, source, stackProbe(), this.loadingDepth > 0),
      this.modules.survey(this.o.scope),
    );
    this.uninstall.push(trackReads((file) => {
      if (this.loadingDepth === 0 || !inScope(file, this.o.scope) || this.isCode(file)) return;
      const owner = this.hot.caller();
      if (owner) this.modules.noteRead(owner, file, true);
    }));
    this.uninstall.push(trackListings((listing) => {
      if (this.loadingDepth === 0 || !inScope(listing.root, this.o.scope)) return;
      const owner = this.hot.caller();
      if (!owner) return;
      const key = this.listings.remember(listing);
      this.modules.noteRead(owner, key, true);
      // In the graph at once: a file may be created before the next scan links it to its owner.
      this.graph.add(key);
    }));
    this.uninstall.push(trackProcessListeners(
      () => this.entryServer.servingEntry ?? (this.loadingDepth > 0 ? this.hot.caller() : undefined),
      (owner, undo) => this.hot.context(owner).dispose(undo),
    ));
    const bun = Bun as { serve: unknown; listen: unknown };
    const { serve, listen } = bun;
    this.uninstall.push(() => Object.assign(bun, { serve, listen }));
    // A call with no user module on the stack (a tail call, a library's callback) gets a
    // key of its own: "entry" is the server hmr-run starts for the entry's export.
    this.host.intercept(() => {
      const owner = this.hot.caller();
      return owner ? relative(process.cwd(), owner) : "the app";
    });
    this.guardProcess();
    this.workers.install();
    this.host.placement.entryExports = servesExport(this.o.entry, this.o.exportName ?? "default");
    this.graph.add(this.o.entry);
    await this.changed([this.o.entry], true);
    this.host.announce = true;
  }

  /**
   * The last batch has more coming (the rest of a write, see "more" in
   * src/supervisor/protocol.ts): a reload not yet under way waits for it.
   */
  more(): void {
    this.moreComing ??= own.Promise.withResolvers<void>();
  }

  /** Queues changed files; reloads run one at a time and saves made meanwhile join the next one. */
  changed(files: Iterable<string>, force = false, full?: string, shown?: string[]): Promise<void> {
    this.moreComing?.resolve();
    this.moreComing = undefined;
    const list = [...files];
    // A file created in (or removed from) a listed folder changes that listing.
    if (!force) list.push(...this.listings.changed(list));
    return this.queue.add(list, force, full, shown);
  }

  /**
   * Reloads every module of the app (the `r` key, an edited env file): `why` is shown in
   * the log line, `cause` names the files it is for (an env file) instead of every module.
   */
  reloadAll(why = "a full reload was asked for", cause: string[] = []): Promise<void> {
    return this.changed([...this.graph.paths()].filter(this.isCode), true, why, cause);
  }

  /** A promise that resolves once no reload is running or queued. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Disposes every module and stops the servers; a reload still running after `idleWaitMs` (a top-level await that never settles) is left behind. */
  async stop(idleWaitMs = Infinity): Promise<void> {
    await (idleWaitMs === Infinity ? this.idle() : Promise.race([this.idle(), Bun.sleep(idleWaitMs)]));
    this.queue.stop();
    // Every module leaves the graph: prune hooks (and so persisted values) close too, each
    // bounded in time and reported like during a reload.
    for (const p of [...this.modules.sources.keys()]) await retire(this.world, p, true);
    await this.host.stopAll();
    for (const undo of this.uninstall.splice(0).reverse()) undo();
  }

  private async reloadNow(next: Batch): Promise<void> {
    const { files: batch, force, full, shown } = next;
    // Started before the check, which it overlaps: a "more" that reached this process by
    // the time it ends is taken in (one sent later is the failure hold's to catch).
    const turn = !force && this.loaded ? ioTurn() : undefined;
    const started = performance.now();
    const wasLoaded = this.loaded;
    let res: ReloadResult;
    const relevant = new Set<string>();
    if (!force) {
      this.selfWrites.drop(batch, (f, reader) =>
        this.o.log.warn(`${rel(reader)} writes ${rel(f)}, which it reads while it loads: that write does not reload it (edits made elsewhere still do)`),
      );
      if (!batch.size) return;
    }
    const forWorkers = this.workers.using(batch);
    // Forced reloads are checked too (a broken file on disk must not cost every dispose
    // hook), except the first load: Bun reports a broken entry itself, off no hot path.
    const checked = force && !this.loaded ? batch : this.saves.check(batch, relevant, force);
    if (turn) {
      await turn;
      if (this.moreComing) {
        // The rest of this write is on its way: it joins this reload, checked with it.
        await this.restArrived();
        this.queue.absorb(next);
        return this.reloadNow(next);
      }
    }
    const files = checked instanceof Error ? checked : force ? batch : checked;
    if (force) for (const f of batch) relevant.add(f);
    const label = shown ?? [...relevant];
    if (files instanceof Error) {
      res = { kind: "failed", phase: "check", files: label, full, error: files, ms: performance.now() - started };
      if (this.loaded) this.hot.emit("hmr:error", { error: files, files: res.files }, this.world.warn);
    } else if (files.size === 0) {
      // Files outside the graph (a log the app writes, an editor's temp file) are not news.
      if (relevant.size === 0) return this.workers.restartFor(forWorkers, batch, started);
      res = { kind: "skipped", files: label, reason: "nothing the app runs changed" };
    } else if (!this.loaded && this.failedAfterRunning && this.o.restart) {
      // Named by the saves that brought it, not the entry retried along with them.
      const saved = shown ?? [...batch].filter((f) => relevant.has(f));
      return this.o.restart(`${(saved.length ? saved : label).map(rel).join(", ")} changed`);
    } else {
      if (this.loaded) this.o.beforeReload?.();
      this.host.beginReload();
      this.modules.willReload(files);
      res = (await reloadBoxed(this.world, { files, force, full, initial: !this.loaded })).value;
      this.modules.reloadEnded(res.kind === "ok");
      if (shown) res.files = shown;
      // A server that could not bind or take over leaves the old one serving: not a success.
      const [failed] = this.host.takeFailures();
      if (res.kind === "ok" && failed) res = { kind: "failed", phase: "serve", files: res.files, error: failed, full: res.full, ms: res.ms };
      const ran = res.kind === "ok" ? res.executed : res.kind === "rolled-back" ? res.restored : undefined;
      if (ran) {

        const reran = new Set(ran.map((p) => relative(process.cwd(), p)));
        this.host.endReload((key) => reran.has(key));
      }
    }
    if ((res.kind === "failed" || res.kind === "rolled-back") && res.error instanceof StaleInstanceError && this.o.restart) {
      // No import in this process runs that module's new code again: a fresh process does.
      return this.o.restart(`${res.files.map(rel).join(", ")} changed; ${rel(res.error.path)} did not run again in this process`);
    }
    if (res.kind === "failed" || res.kind === "rolled-back") {
      if (!this.loaded && res.phase === "run" && !beforeRunning(res.error)) this.failedAfterRunning = true;
      this.saves.failed(relevant, res.error);
      this.lastError = res.error;
    } else if (res.kind === "ok") {
      this.saves.succeeded();
      this.lastError = undefined;
      this.loaded = true;
      // The first load skips scanning to answer sooner; the graph is built right after.
      if (!wasLoaded) this.modules.indexInBackground();
    }
    // A batch sent at once can be the first part of a write still under way (a tool
    // writing several files, one file caught mid-write). Its failure is not news when
    // the rest comes right after: the next reload retries these files with it, and only
    // its outcome is told.
    if ((res.kind === "failed" || res.kind === "rolled-back") && !force && wasLoaded && (await this.restIsComing())) return;
    if (!this.loaded && res.kind === "failed" && batch.has(this.o.entry) && batch.size === 1) {
      logError(this.o.log, "the app failed to start; waiting for a fix", errorOf(res), this.isUserFile);
    } else if (wasLoaded || res.kind !== "ok") {
      logResult(this.o.log, res, this.isUserFile);
    }
    for (const fn of this.listeners) fn(res);
    if (res.kind !== "skipped") this.collectSoon();
    if (res.kind === "ok" || res.kind === "skipped") this.workers.restartFor(forWorkers, batch, started);
  }

  /** More of the app's files arrive within a moment (or were announced with "more"). */
  private async restIsComing(): Promise<boolean> {
    if (!this.moreComing) await new own.Promise((r) => own.setTimeout(r, HOLD_MS));
    await this.restArrived();
    return this.queue.queued().some((f) => this.graph.has(f) || this.isCode(f));
  }

  /** Waits for the batch a "more" announced (at most MORE_WAIT_MS); at once when none was. */
  private async restArrived(): Promise<void> {
    if (!this.moreComing) return;
    await own.Promise.race([this.moreComing.promise, new own.Promise((r) => own.setTimeout(r, MORE_WAIT_MS))]);
    this.moreComing = undefined;
  }

  /** The app's modules `file` imports, read from disk: worker threads load outside the plugin. */
  private workerDeps(file: string): string[] {
    try {
      return scanModule(file, readFileSync(file, "utf8")).deps.map(([d]) => d).filter((d) => inScope(d, this.o.scope) && this.isCode(d));
    } catch {
      return []; // Unreadable or broken now: rescanned when the worker restarts.
    }
  }

  private gcTimer: Timer | undefined;
  /**
   * Old module instances are garbage once evicted, but the heap only shrinks when a full
   * collection runs; one second after the last reload (off the reload path) keeps RSS
   * flat across thousands of reloads instead of drifting up by tens of MB.
   */
  private collectSoon(): void {
    own.clearTimeout(this.gcTimer);
    this.gcTimer = backgroundTimer(() => Bun.gc(true), 1000);
  }

  private worldCache: ReloadWorld | undefined;
  private get world(): ReloadWorld {
    return (this.worldCache ??= {
      graph: this.graph,
      hot: this.hot,
      entry: this.o.entry,
      modules: {
        evict: (p: string) => {
          evict(p);
          this.modules.evicted(p);
        },
        load,
        namespaceOf,
        // A pinned source is served by the plugin: the module goes through it from now on.
        pin: (p: string, source: string) => {
          this.loader?.cover([p]);
          pin(p, source);
        },
      },
      sourceOf: (p: string) => this.modules.sources.get(p),
      isCode: this.isCode,
      index: () => this.modules.index(),
      loading: async <T>(fn: () => Promise<T>, path: string) => {
        this.loadingDepth++;
        const from = Date.now();
        // A top-level await that never settles holds every later reload: say so.
        const slow = own.setTimeout(() => {
          if (this.o.onSlowLoad) this.o.onSlowLoad(path);
          else this.o.log.warn(`${rel(path)} has been loading for 5 s (a top-level await that never settles?); reloads wait for it`);
        }, 5000);
        try {
          return await fn();
        } finally {
          own.clearTimeout(slow);
          this.loadingDepth--;
          this.modules.ran();
          guardThenables(path, (m) => this.o.log.error(m));
          // What the run read, as it is now that the run ended (see SelfWrites).
          const fresh = this.modules.takeFreshReads();
          if (fresh.size) this.selfWrites.ran(from, fresh);
        }
      },
      serveEntry: (ns: Record<string, unknown>) => this.entryServer.serve(ns),
      warn: (err: unknown, where: string) => logError(this.o.log, `${where} failed`, err, this.isUserFile),
      forget: (p: string) => this.modules.forget(p),
      disposeTimeoutMs: this.o.disposeTimeoutMs ?? 3000,
    });
  }

  /**
   * A stray rejection or exception in user code is reported; it never takes the dev server
   * down. Removed on stop: apps started one after another in a test process (hmr-run/testing)
   * must not pile up listeners, each holding its app alive.
   */
  private guardProcess(): void {
    const rejection = (reason: unknown) => logError(this.o.log, "unhandled promise rejection in the app", reason, this.isUserFile);
    const exception = (err: unknown) => logError(this.o.log, "uncaught exception in the app", err, this.isUserFile);
    process.on("unhandledRejection", rejection);
    process.on("uncaughtException", exception);
    this.uninstall.push(() => {
      process.off("unhandledRejection", rejection);
      process.off("uncaughtException", exception);
    });
  }

  /**
   * Undoes what start() installed process-wide, latest first: the hot runtime, the read,
   * listing and process-listener trackers (their wrappers stay, reporting to nobody: a
   * module may hold one already), `Bun.serve` and `Bun.listen`, the process guards.
   * hmr-run/testing apps leave nothing behind.
   */
  private uninstall: Array<() => void> = [];

  /** `import.meta.hot.invalidate()`: the module's importers run again, in a reload of their own. */
  private invalidate(path: string, message?: string): void {
    const importers = this.graph.importers(path, "static");
    this.hot.emit("hmr:invalidate", { path, message }, this.world.warn);
    if (!importers.length) {
      // Re-running the module itself would call its accept callback again, which may
      // invalidate again: a loop with no end. Nothing imports it, so there is nothing to do.
      this.o.log.warn(`${rel(path)} invalidated itself${message ? `: ${message}` : ""}, but no module imports it`);
      return;
    }
    this.o.log.info(`${rel(path)} invalidated itself${message ? `: ${message}` : ""}; re-running its importers`);
    own.queueMicrotask(() => void this.changed(importers, true));
  }
}

/** `String(x)` that cannot throw (a thrown `Object.create(null)` has no toString). */
function safeString(x: unknown): string {
  try {
    return String(x);
  } catch {
    return Bun.inspect(x);
  }
}

/**
 * `Object.prototype.then` makes every object a thenable: no `await` of an object (a
 * reload's result, a Response from an async handler) can settle again, in hmr-run or in
 * the app. Such a module is named once and the property removed.
 */
function guardThenables(path: string, say: (message: string) => void): void {
  if (!Object.prototype.hasOwnProperty.call(Object.prototype, "then")) return;
  try {
    delete (Object.prototype as { then?: unknown }).then;
  } catch {
    return; // A non-configurable property cannot be removed: nothing more to do.
  }
  say(`${rel(path)} (or a module it loads) defines Object.prototype.then, which makes every object a thenable that never settles; hmr-run removed it`);
}
