/**
 * The running app: loads the entry through the loader, serves what it exports, and
 * applies batches of changed files one reload at a time. It is the glue between the
 * watcher (input), the reloader, and the host (output).
 */
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import type { ConsolaInstance } from "consola";
import { ModuleGraph } from "./graph.ts";
import { Registry, installRuntime } from "./runtime/registry.ts";
import { callerIn, stackProbe } from "./runtime/caller.ts";
import { installLoader } from "./loader/plugin.ts";
import { inScope, type Scope } from "./loader/scope.ts";
import { loaderFor, scanModule } from "./loader/scan.ts";
import { SaveCheck } from "./save-check.ts";
import { SelfWrites } from "./reload/self-writes.ts";
import { trackReads } from "./loader/reads.ts";
import { Listings, trackListings } from "./loader/listings.ts";
import { trackProcessListeners } from "./loader/listeners.ts";
import { evict, load, namespaceOf, pin } from "./loader/registry.ts";
import { reloadBoxed, retire, type ReloadResult, type ReloadWorld } from "./reloader.ts";
import { errorOf } from "./reload/result.ts";
import { backgroundTimer, own } from "./runtime/own.ts";
import { Host, type ServeDefaults } from "./server/host.ts";
import { Workers } from "./server/workers.ts";
import { servesExport, servableOf, SERVABLE_SHAPES, unsupportedShape } from "./server/shape.ts";
import { logError, logResult } from "./log.ts";
import { parentDir } from "./paths.ts";

const rel = (p: string) => relative(process.cwd(), p);

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
}

/** Why the entry cannot be served; printed as one line. */
export class EntryError extends Error {
  override name = "EntryError";
}

export class App {
  readonly graph = new ModuleGraph();
  readonly host: Host;
  readonly hot: Registry;
  /** The app's worker threads: an edit of a module one loads restarts it. */
  readonly workers: Workers;
  /** The source each module was last loaded with: for scanning, and for telling no-op saves apart. */
  private sources = new Map<string, string>();
  private unscanned = new Set<string>();
  /** Data files each module read while it ran (tracked like imports). */
  private reads = new Map<string, Set<string>>();
  /** Folders modules listed while they ran (file-system routers), tracked like reads. */
  private listings = new Listings();
  /** Modules each module imported through an import() of a computed path while it loaded. */
  private imported = new Map<string, Set<string>>();
  /** Stacks taken as modules loaded, not read yet: who imported them, if a module did. */
  private probes: Array<{ path: string; stack: Error; loading: boolean }> = [];
  /** Modules each module imported by a computed path after it loaded (in a request): lazy edges. */
  private importedLater = new Map<string, Set<string>>();
  private loadingDepth = 0;
  private stopped = false;
  /** Set while hmr-run itself starts the entry's app: what it registers belongs to the entry. */
  private servingEntry: string | undefined;
  private queue = new Set<string>();
  private force = false;
  /** Why the queued forced reload runs every module, for the log line. */
  private fullReason: string | undefined;
  /** The files a forced reload is for, shown instead of the modules it runs. */
  private shown: string[] | undefined;
  private running: Promise<void> | undefined;
  private readonly saves: SaveCheck;
  private readonly selfWrites = new SelfWrites();
  /** Files read by the module running now, with their reader. */
  private freshReads = new Map<string, string>();
  /** Resolves when the app has no reload running or queued (tests wait on it). */
  private idleWaiters: Array<() => void> = [];
  /** Every finished reload, for listeners such as the refresh channel and the test API. */
  readonly listeners = new Set<(r: ReloadResult) => void>();
  /** The entry loaded at least once. */
  loaded = false;
  /** The app served nothing: it runs as a script. */
  script = false;
  lastError: unknown;

  constructor(readonly o: AppOptions) {
    this.saves = new SaveCheck({
      graph: this.graph,
      sources: this.sources,
      entry: o.entry,
      loaded: () => this.loaded,
      lookAgain: (f) => own.setTimeout(() => void this.changed([f]), 30),
      namespaceOf,
      index: () => this.index(),
    });
    this.hot = new Registry((p) => this.sources.has(p), {
      resolve: (spec, from) => Bun.resolveSync(spec, parentDir(from)),
      current: (p) => namespaceOf(p),
      invalidate: (p, message) => this.invalidate(p, message),
      watchFile: (owner, file) => {
        this.noteRead(owner, file);
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
  }

  readonly isUserFile = (f: string) => inScope(f, this.o.scope);
  private isCode = (p: string) => loaderFor(p) !== undefined;

  /** Installs the loader and interceptors, then loads and serves the entry (waits for a fix if it is broken). */
  async start(): Promise<void> {
    installRuntime(this.hot);
    installLoader(this.o.scope, (path, source) => this.onModuleLoad(path, source));
    trackReads((file) => {
      if (this.loadingDepth === 0 || !inScope(file, this.o.scope) || this.isCode(file)) return;
      const owner = this.hot.caller();
      if (owner) this.noteRead(owner, file);
    });
    trackListings((listing) => {
      if (this.loadingDepth === 0 || !inScope(listing.root, this.o.scope)) return;
      const owner = this.hot.caller();
      if (!owner) return;
      const key = this.listings.remember(listing);
      this.noteRead(owner, key);
      // In the graph at once: a file may be created before the next scan links it to its owner.
      this.graph.add(key);
    });
    trackProcessListeners(
      () => this.servingEntry ?? (this.loadingDepth > 0 ? this.hot.caller() : undefined),
      (owner, undo) => this.hot.context(owner).dispose(undo),
    );
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

  /** Queues changed files; reloads run one at a time and saves made meanwhile join the next one. */
  changed(files: Iterable<string>, force = false, full?: string, shown?: string[]): Promise<void> {
    // A late timer (a file seen empty mid-save, an invalidation) must not reload a stopped app.
    if (this.stopped) return own.Promise.resolve();
    const list = [...files];
    for (const f of list) this.queue.add(f);
    // A file created in (or removed from) a listed folder changes that listing.
    if (!force) for (const key of this.listings.changed(list)) this.queue.add(key);
    if (force) this.force = true;
    if (full) this.fullReason = full;
    if (shown) this.shown = [...(this.shown ?? []), ...shown];
    // Assigned before draining starts: an empty queue drains synchronously, and its
    // `finally` must see (and clear) this promise, or every later save waits on it forever.
    if (this.running) return this.running;
    let done!: () => void;
    const running = new own.Promise<void>((r) => (done = r));
    this.running = running;
    void this.drain().then(done, done);
    return running;
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
    if (!this.running) return own.Promise.resolve();
    return new own.Promise((r) => this.idleWaiters.push(r));
  }

  /** Disposes every module and stops the servers; a reload still running after `idleWaitMs` (a top-level await that never settles) is left behind. */
  async stop(idleWaitMs = Infinity): Promise<void> {
    await (idleWaitMs === Infinity ? this.idle() : Promise.race([this.idle(), Bun.sleep(idleWaitMs)]));
    this.stopped = true;
    // Every module leaves the graph: prune hooks (and so persisted values) close too, each
    // bounded in time and reported like during a reload.
    for (const p of [...this.sources.keys()]) await retire(this.world, p, true);
    await this.host.stopAll();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.size) {
        const batch = new Set(this.queue);
        const force = this.force;
        const full = this.fullReason;
        const shown = this.shown;
        this.queue.clear();
        this.force = false;
        this.fullReason = undefined;
        this.shown = undefined;
        try {
          await this.reloadNow(batch, force, full, shown);
        } catch (err) {
          // A bug of ours (or a value thrown that defies printing) must not wedge the queue.
          this.o.log.error(`hmr-run failed while reloading: ${safeString(err)}`);
        }
      }
    } finally {
      this.running = undefined;
      for (const r of this.idleWaiters.splice(0)) r();
    }
  }

  private async reloadNow(batch: Set<string>, force: boolean, full: string | undefined, shown: string[] | undefined): Promise<void> {
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
    } else {
      if (this.loaded) this.o.beforeReload?.();
      this.host.beginReload();
      res = (await reloadBoxed(this.world, { files, force, full, initial: !this.loaded })).value;
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
    if (res.kind === "failed" || res.kind === "rolled-back") {
      this.saves.failed(relevant, res.error);
      this.lastError = res.error;
    } else if (res.kind === "ok") {
      this.saves.succeeded();
      this.lastError = undefined;
      this.loaded = true;
      // The first load skips scanning to answer sooner; the graph is built right after.
      if (!wasLoaded) this.indexInBackground();
    }
    if (!this.loaded && res.kind === "failed" && batch.has(this.o.entry) && batch.size === 1) {
      logError(this.o.log, "the app failed to start; waiting for a fix", errorOf(res), this.isUserFile);
    } else if (wasLoaded || res.kind !== "ok") {
      logResult(this.o.log, res, this.isUserFile);
    }
    for (const fn of this.listeners) fn(res);
    if (res.kind !== "skipped") this.collectSoon();
    if (res.kind === "ok" || res.kind === "skipped") this.workers.restartFor(forWorkers, batch, started);
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
      modules: { evict, load, namespaceOf, pin },
      sourceOf: (p: string) => this.sources.get(p),
      isCode: this.isCode,
      index: () => this.index(),
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
          guardThenables(path, (m) => this.o.log.error(m));
          // What the run read, as it is now that the run ended (see SelfWrites).
          if (this.freshReads.size) this.selfWrites.ran(from, this.freshReads);
          this.freshReads = new Map();
        }
      },
      serveEntry: (ns: Record<string, unknown>) => this.serveEntry(ns),
      warn: (err: unknown, where: string) => logError(this.o.log, `${where} failed`, err, this.isUserFile),
      forget: (p: string) => {
        this.sources.delete(p);
        this.reads.delete(p);
        this.imported.delete(p);
        this.importedLater.delete(p);
        this.unscanned.delete(p);
      },
      disposeTimeoutMs: this.o.disposeTimeoutMs ?? 3000,
    });
  }

  /** Serves the entry's export, unless the app already started its own server while loading. */
  private serveEntry(ns: Record<string, unknown>): void {
    const { exportName } = this.o;
    const name = exportName ?? "default";
    if (exportName && !(exportName in ns)) {
      const have = Object.keys(ns);
      throw new EntryError(
        `${relative(process.cwd(), this.o.entry)} has no export "${exportName}"; it exports: ${have.length ? have.join(", ") : "nothing"}`,
      );
    }
    const value = ns[name];
    // An app that starts its own servers and exports one of them (or nothing servable) is served already.
    if (!exportName && this.host.hasOwnServers() && (!servableOf(value) || this.host.serves(value))) return;
    const servable = servableOf(value);
    if (!servable) {
      if (exportName) throw new EntryError(`export "${exportName}" is not servable: expected ${SERVABLE_SHAPES}`);
      if (this.host.has("entry")) {
        throw new EntryError(`${rel(this.o.entry)} no longer exports a servable ${name} export (keeping the previous handler): expected ${SERVABLE_SHAPES}`);
      }
      const quiet = this.script || this.host.urls().length > 0 || this.o.servesElsewhere?.();
      const unsupported = unsupportedShape(value);
      if (unsupported && !this.script) this.o.log.warn(unsupported);
      else if (!quiet) this.o.log.info("the entry serves nothing: running it as a script");
      this.script = true;
      return;
    }
    this.script = false;
    if (servable.kind === "options") this.host.serve(servable.options, "entry");
    else {
      // Elysia's .listen() adds a process listener per call; it belongs to the entry, so
      // the entry's next run removes it instead of keeping every old app alive.
      this.servingEntry = this.o.entry;
      try {
        this.host.withKey("entry", () => servable.app.listen({}));
      } finally {
        this.servingEntry = undefined;
      }
    }
  }

  private onModuleLoad(path: string, source: string): void {
    this.sources.set(path, source);
    this.reads.delete(path);
    this.unscanned.add(path);
    this.graph.add(path);
    // Imported by a module while it loads, through an import() of a computed path that no
    // scan can read (a file-system router importing what it listed): the importer holds
    // what it got, so it depends on it like on a static import. (The importer is on the
    // stack when Bun calls the loader for an import(); measured on Bun 1.4.5.)
    // Kept across the importer's runs: when it runs again, import() hands it the cached
    // module and the loader is not called. A file that no longer exists drops out at the
    // next scan, so a deleted route leaves the graph once its importer ran again.
    // Imported later (a request handler's import() of a computed path): a lazy edge, so an
    // edit evicts the module and the next import() runs the new code, as for a literal one.
    // Read later (index()): reading a stack costs ~6 µs, 10 to 28 ms over the 1000 loads of
    // the bench app's start-up; taking one costs a tenth of that.
    this.probes.push({ path, stack: stackProbe(), loading: this.loadingDepth > 0 });
  }

  /** Turns the stacks taken while modules loaded into computed-import edges. */
  private readProbes(max = Infinity): void {
    for (const { path, stack, loading } of this.probes.splice(0, max)) {
      const importer = callerIn(stack, (f) => f !== path && this.sources.has(f));
      if (!importer || !this.sources.has(path)) continue;
      const into = loading ? this.imported : this.importedLater;
      let set = into.get(importer);
      if (!set) into.set(importer, (set = new Set()));
      set.add(path);
      this.unscanned.add(importer);
    }
  }

  private noteRead(owner: string, file: string): void {
    if (this.loadingDepth > 0) this.freshReads.set(file, owner);
    let set = this.reads.get(owner);
    if (!set) this.reads.set(owner, (set = new Set()));
    if (set.has(file)) return;
    set.add(file);
    this.unscanned.add(owner);
  }

  /** Scans modules loaded since last time; cheap when nothing is pending. */
  private index(): void {
    this.readProbes();
    for (const p of this.unscanned) this.scan(p);
    this.unscanned.clear();
  }

  private scan(p: string): void {
    const source = this.sources.get(p);
    if (source === undefined) return;
    let deps: Array<[string, "static" | "dynamic"]>;
    try {
      deps = scanModule(p, source).deps.filter(([d]) => inScope(d, this.o.scope));
    } catch {
      return; // A module that does not parse keeps its old edges; the reload reports the error.
    }
    for (const f of this.reads.get(p) ?? []) deps.push([f, "static"]);
    for (const [map, kind] of [[this.imported, "static"], [this.importedLater, "dynamic"]] as const) {
      const imported = map.get(p);
      for (const f of imported ?? []) {
        if (existsSync(f)) deps.push([f, kind]);
        else imported!.delete(f);
      }
    }
    this.graph.setDeps(p, deps);
    // Code the plugin does not see (`.cjs`, files Bun loads natively) is scanned from disk,
    // so what it requires is in the graph too.
    for (const [d] of deps) {
      if (!this.isCode(d) || this.sources.has(d)) continue;
      try {
        this.sources.set(d, readFileSync(d, "utf8"));
      } catch {
        continue; // Not there (yet): the reload that needs it will say so.
      }
      this.scan(d);
    }
  }

  /**
   * Scanning is not on the start-up path: the graph is only needed at the first save,
   * so modules are scanned in small slices after the app is up.
   */
  private indexInBackground(): void {
    const step = () => {
      if (this.probes.length) {
        this.readProbes(100);
        return void own.setTimeout(step, 1);
      }
      let n = 0;
      for (const p of this.unscanned) {
        this.scan(p);
        this.unscanned.delete(p);
        if (++n >= 50) return void own.setTimeout(step, 1);
      }
    };
    own.setTimeout(step, 1);
  }

  /** A stray rejection or exception in user code is reported; it never takes the dev server down. */
  private guardProcess(): void {
    process.on("unhandledRejection", (reason) => logError(this.o.log, "unhandled promise rejection in the app", reason, this.isUserFile));
    process.on("uncaughtException", (err) => logError(this.o.log, "uncaught exception in the app", err, this.isUserFile));
  }

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
