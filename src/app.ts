/**
 * The running app: loads the entry through the loader, serves what it exports, and
 * carries out what the decision core (src/core/) asks of it: check a batch of saved
 * files (nothing runs), then reload what the check accepted. It decides nothing about
 * saves: it reports facts (a verdict, an outcome) and the core decides.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { ConsolaInstance } from "consola";
import { ModuleGraph } from "./graph.ts";
import { Registry, installRuntime, runtime } from "./runtime/registry.ts";
import { stackProbe, topLevelFile } from "./runtime/caller.ts";
import { installLoader, type Loader } from "./loader/plugin.ts";
import { needsRewrite } from "./loader/rewrite.ts";
import { inScope, type Scope } from "./loader/scope.ts";
import { loaderFor, scanModule } from "./loader/scan.ts";
import { SaveCheck } from "./save-check.ts";
import { ModuleIndex } from "./module-index.ts";
import { SelfWrites } from "./reload/self-writes.ts";
import { observeReads, trackReads } from "./loader/reads.ts";
import { Listings, trackListings } from "./loader/listings.ts";
import { trackProcessListeners } from "./loader/listeners.ts";
import { breakOnce, evict, load, namespaceOf, pin, recordEvictions, recordOf, stopRecordingEvictions } from "./loader/registry.ts";
import { reloadBoxed, retire, type ReloadResult, type ReloadWorld } from "./reloader.ts";
import { backgroundTimer, own } from "./runtime/own.ts";
import { Host, type ServeDefaults } from "./server/host.ts";
import { Workers } from "./server/workers.ts";
import { servesExport } from "./server/shape.ts";
import { EntryServer } from "./server/entry.ts";
import { logError } from "./log.ts";
import { beforeRunning, messageOf, report } from "./errors.ts";
import { reloadsAtOnce, type Ask, type ReloadReply, type Verdict } from "./core/events.ts";
import type { Outcome } from "./core/outcome.ts";
import { outcomeOf } from "./reload/outcome-of.ts";
import type { EnvFiles } from "./env/files.ts";
import { stalePath } from "./reload/batch.ts";
import { verifiedResult, type Before } from "./reload/verify.ts";
import { dict, listed, newlyReplacedBuiltins } from "./runtime/builtins.ts";
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
  /** A module has been loading for a second: the core names it if the load never ends. */
  onSlowLoad?: (path: string) => void;
  /** Dispose hooks that take longer are reported and left behind (ms). */
  disposeTimeoutMs?: number;
  /** The env files the app process applies (their edits reload every module). */
  env?: EnvFiles;
  /** `--inspect-brk` on the first start: an attached debugger pauses before the entry's first line. */
  breakAtEntry?: boolean;
  /** A reload asked from inside the app (`import.meta.hot.invalidate()`, the MCP tool): the core decides when; returns a ticket its outcome will carry. */
  ask?: (ask: Ask) => number | undefined;
}

/** A check of a batch (see "check" in src/supervisor/protocol.ts). */
export interface CheckRequest {
  files: string[];
  force: boolean;
  /** Every module of the app runs again, for this reason. */
  full?: string;
  /** Env files changed: say which variables they change. */
  env: boolean;
}

/** What a check accepted, kept for the reload that follows it. */
interface Accepted {
  files: Set<string>;
  force: boolean;
  full?: string;
  /** The files to name in the line instead of the modules (an env file). */
  shown?: string[];
  /** Env files of the batch, named when their values make every module run. */
  envFiles: string[];
  forWorkers: ReturnType<Workers["using"]>;
  /** The files of the batch that workers load. */
  workerFiles: string[];
  /** Every file of the graph the batch touched. */
  relevant: Set<string>;
  started: number;
}

export { EntryError } from "./server/entry.ts";

/** A load running this long is named to the core, which reports it if it never ends (ms). */
const SLOW_MS = 1000;

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
  private readonly entryServer: EntryServer;
  private readonly saves: SaveCheck;
  private readonly selfWrites = new SelfWrites();
  /** What the last check accepted, for the reload that follows it. */
  private accepted: Accepted | undefined;
  /** The reload (or the start) running now, if any. */
  private running: Promise<unknown> | undefined;
  /** Every outcome the core reported, for listeners such as the refresh channel, the MCP endpoint and the test API. */
  readonly listeners = new Set<(o: Outcome, tickets?: number[]) => void>();
  /** The last reload's result as the reloader gave it (errors as thrown), for hmr-run/testing. */
  lastResult: ReloadResult | undefined;
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
      debug: (msg) => o.log.debug(msg),
      isUserFile: (f) => this.isUserFile(f),
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

  /** Installs the loader and interceptors, then loads and serves the entry; a broken entry waits for a fix. */
  async start(): Promise<ReloadReply> {
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
    // A call with no user module on the stack (a tail call, a library's callback) gets a
    // key of its own: "entry" is the server hmr-run starts for the entry's export.
    this.uninstall.push(this.host.intercept(() => {
      const owner = this.hot.caller();
      return owner ? relative(process.cwd(), owner) : "the app";
    }));
    this.guardProcess();
    this.uninstall.push(this.workers.install());
    this.host.placement.entryExports = servesExport(this.o.entry, this.o.exportName ?? "default");
    this.graph.add(this.o.entry);
    if (this.o.breakAtEntry) {
      // Bun's own --inspect-brk would pause in hmr-run's runtime, not in the app.
      this.loader?.cover([this.o.entry]);
      breakOnce(this.o.entry);
    }
    return this.track(this.load({ files: new Set([this.o.entry]), force: true, envFiles: [], forWorkers: [], workerFiles: [], relevant: new Set([this.o.entry]), started: performance.now() }));
  }

  /** Resolves once no reload (or start) is running in this process. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  /** Asks the core for a reload or a restart (an invalidate, the MCP tool). */
  ask(ask: Ask): void {
    this.o.ask?.(ask);
  }

  /** Asks the core for a reload and resolves with its outcome (undefined if none came within `ms`). */
  askAndWait(ask: Ask, ms = 30_000): Promise<Outcome | undefined> {
    const ticket = this.o.ask?.(ask);
    if (ticket === undefined) return own.Promise.resolve(undefined);
    return new own.Promise((resolve) => {
      const timer = own.setTimeout(() => done(undefined), ms);
      const listener = (o: Outcome, tickets?: number[]) => void (tickets?.includes(ticket) && done(o));
      const done = (o: Outcome | undefined) => {
        own.clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(o);
      };
      this.listeners.add(listener);
    });
  }

  /** An outcome the core reported: to the listeners. */
  told(o: Outcome, tickets?: number[]): void {
    for (const fn of this.listeners) fn(o, tickets);
    if (o.kind === "reloaded" || o.kind === "rolled-back" || o.kind === "failed") this.collectSoon();
  }

  /** Disposes every module and stops the servers; a reload still running after `idleWaitMs` (a top-level await that never settles) is left behind. */
  async stop(idleWaitMs = Infinity): Promise<void> {
    await (idleWaitMs === Infinity ? this.idle() : Promise.race([this.idle(), Bun.sleep(idleWaitMs)]));
    this.stopped = true;
    // Every module leaves the graph: prune hooks (and so persisted values) close too, each
    // bounded in time and reported like during a reload.
    for (const p of [...this.modules.sources.keys()]) await retire(this.world, p, true);
    await this.host.stopAll();
    for (const undo of this.uninstall.splice(0).reverse()) undo();
  }

  private stopped = false;

  /**
   * The process is exiting (the app's own signal handler called `process.exit`): every
   * dispose and prune hook is called, and none is waited for.
   */
  disposeNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of [...this.modules.sources.keys()]) {
      const ctx = this.hot.retire(p, true);
      for (const fn of ctx ? [...ctx.disposers, ...ctx.pruners] : []) {
        try {
          const r = fn(ctx!.data) as unknown;
          if (r && typeof (r as Promise<unknown>).catch === "function") (r as Promise<unknown>).catch(() => {});
        } catch (err) {
          this.world.warn(err, `a dispose hook of ${rel(p)}`);
        }
      }
    }
  }

  /**
   * Checks a batch before anything runs: which of its files the app runs, whether they
   * parse and resolve, what the env files would change. Nothing is disposed; what it
   * accepts is kept for `reload`.
   */
  check(req: CheckRequest): Verdict {
    const started = performance.now();
    this.accepted = undefined;
    const batch = new Set(req.files);
    const selfWrites: Array<{ file: string; reader: string }> = [];
    const envFiles = this.o.env ? req.files.filter((f) => this.o.env!.files.includes(f)) : [];
    for (const f of envFiles) batch.delete(f);
    const envVars = req.env && this.o.env ? this.o.env.diff() : undefined;
    if (req.full) for (const p of this.graph.paths()) if (this.isCode(p)) batch.add(p);
    if (!req.force) {
      this.selfWrites.drop(batch, (file, reader) => selfWrites.push({ file, reader }));
      // A file created in (or removed from) a listed folder changes that listing.
      for (const l of this.listings.changed([...batch])) batch.add(l);
    }
    // Only a fresh process loads an app whose start threw part-way (see failedAfterRunning).
    const fresh = !this.loaded && this.failedAfterRunning ? true : undefined;
    const facts = { selfWrites: selfWrites.length ? selfWrites : undefined, envVars, fresh };
    const forWorkers = this.workers.using(batch);
    const workerFiles = forWorkers.length ? [...batch].filter((f) => forWorkers.some((w) => w.modules.has(f))) : [];
    const relevant = new Set<string>();
    const lookAgain: string[] = [];
    // Forced reloads are checked too (a broken file on disk must not cost every dispose
    // hook), except while the entry has not loaded: Bun reports a broken entry itself.
    const checked = req.force && !this.loaded ? batch : this.saves.check(batch, relevant, req.force, lookAgain);
    if (req.force) for (const f of batch) relevant.add(f);
    const files = req.full ? [] : [...new Set([...relevant, ...workerFiles])];
    if (lookAgain.length) Object.assign(facts, { lookAgain });
    if (checked instanceof Error) {
      this.saves.failed(relevant, checked);
      this.lastError = checked;
      this.lastResult = { kind: "failed", phase: "check", files, error: checked, ms: performance.now() - started };
      if (this.loaded) this.hot.emit("hmr:error", { error: checked, files }, this.world.warn);
      return { kind: "refused", files, error: report(checked, this.isUserFile), ...facts };
    }
    // Kept even when nothing changed: the core may still reload every module for the env files.
    this.accepted = { files: checked, force: req.force, full: req.full, envFiles, forWorkers, workerFiles, relevant, started };
    if (checked.size === 0 && !forWorkers.length) return { kind: relevant.size ? "unchanged" : "unused", files, ...facts };
    return { kind: "ok", files, ...facts };
  }

  /**
   * Runs what the last check accepted. `full`: every module instead (env values changed).
   * `env`: the env files are applied first.
   */
  async reload(req: { full?: string; env: boolean }): Promise<ReloadReply> {
    if (req.env && this.o.env) {
      const { warnings } = this.o.env.apply();
      for (const w of warnings) this.o.log.warn(w);
    }
    let a = this.accepted;
    this.accepted = undefined;
    if (!a) throw new Error("hmr-run: a reload was asked for without a check before it");
    if (req.full) {
      const all = new Set([...this.graph.paths()].filter(this.isCode));
      a = { ...a, files: all, force: true, full: req.full, shown: a.envFiles.length ? a.envFiles : undefined };
    }
    return this.track(this.load(a));
  }

  /** `check`, a bug of hmr-run's own reported as a refusal rather than thrown into the channel. */
  safeCheck(req: CheckRequest): Verdict {
    try {
      return this.check(req);
    } catch (err) {
      return { kind: "refused", files: req.files, error: report(new Error(`hmr-run failed while checking: ${messageOf(err)}`), this.isUserFile) };
    }
  }

  /**
   * Carries out the core's `check` command: the verdict goes to `checked`; under the
   * standing order (`then: "reload"`) a verdict that leaves nothing to decide reloads at
   * once, its reply to `reloaded`.
   */
  answerCheck(c: CheckRequest & { then?: "reload" }, checked: (verdict: Verdict, reloading: boolean) => void, reloaded: (reply: ReloadReply) => void): void {
    const verdict = this.safeCheck(c);
    const reloading = c.then === "reload" && reloadsAtOnce(verdict);
    checked(verdict, reloading);
    if (reloading) void this.safeReload({ env: c.env }).then(reloaded);
  }

  /** `reload`, a bug of hmr-run's own reported as a failed reload rather than a rejection nobody answers. */
  async safeReload(req: { full?: string; env: boolean }): Promise<ReloadReply> {
    try {
      return await this.reload(req);
    } catch (err) {
      const error = report(new Error(`hmr-run failed while reloading: ${messageOf(err)}`), this.isUserFile);
      return { outcome: { kind: "failed", phase: "run", files: [], error, ms: 0 }, loaded: this.loaded, urls: this.host.urls() };
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const running = p.finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** One reload (or the first load) of an accepted batch, as an outcome. */
  private async load(a: Accepted): Promise<ReloadReply> {
    const wasLoaded = this.loaded;
    // A full reload names its cause (an env file) or nobody: listing every module says nothing.
    const label = a.shown ?? (a.full ? [] : [...new Set([...a.relevant, ...a.workerFiles])]);
    let stale: string | undefined;
    let res: ReloadResult;
    if (a.files.size === 0) {
      res = { kind: "ok", files: label, executed: [], evicted: [], stoppedAt: [], because: new Map(), ms: 0 };
    } else {
      if (this.loaded) this.o.beforeReload?.();
      this.host.beginReload();
      this.modules.willReload(a.files);
      // What Bun's registry held before, so that what a reload claims can be checked
      // against the registry itself before it is called a success (src/reload/verify.ts).
      // A start claims nothing of the kind: every module it runs is the first of its name.
      let before: Before | undefined;
      if (this.loaded) {
        const changed = dict<unknown>();
        for (const f of a.files) changed[f] = recordOf(f);
        before = { entry: recordOf(this.o.entry), changed, evictions: recordEvictions() };
      }
      try {
        res = (await reloadBoxed(this.world, { files: a.files, force: a.force, full: a.full, initial: !this.loaded })).value;
      } finally {
        if (before) stopRecordingEvictions();
      }
      if (before) {
        res = verifiedResult(res, this.o.entry, before, { recordOf, namespaceOf }, {
          importers: () => this.modules.staticImporters(),
          stops: (importer, dep) => !!this.hot.peek(dep)?.selfAccept || !!this.hot.peek(importer)?.depAccepts.has(dep),
        });
      }
      this.modules.reloadEnded(res.kind === "ok");
      res.files = label;
      // A server that could not bind or take over leaves the old one serving: not a success.
      const [failed] = this.host.takeFailures();
      if (res.kind === "ok" && failed) res = { kind: "failed", phase: "serve", files: res.files, error: failed, full: res.full, ms: res.ms };
      const ran = res.kind === "ok" ? res.executed : res.kind === "rolled-back" ? res.restored : undefined;
      if (ran) {
        const reran = new Set(ran.map((p) => relative(process.cwd(), p)));
        this.host.endReload(reran);
      }
      // No import in this process runs that module's new code again: a fresh process does.
      if (res.kind === "failed" || res.kind === "rolled-back") stale = stalePath(res.error);
    }
    if (res.kind === "failed" || res.kind === "rolled-back") {
      if (!this.loaded && res.phase === "run" && !beforeRunning(res.error)) this.failedAfterRunning = true;
      this.saves.failed(a.relevant, res.error);
      this.lastError = res.error;
    } else if (res.kind === "ok") {
      this.saves.succeeded();
      this.lastError = undefined;
      this.loaded = true;
      // The first load skips scanning to answer sooner; the graph is built right after.
      if (!wasLoaded) this.modules.indexInBackground();
    }
    this.lastResult = res;
    let workers: string[] | undefined;
    if ((res.kind === "ok" || a.files.size === 0) && a.forWorkers.length) {
      const w = this.workers.restartFor(a.forWorkers, new Set(a.workerFiles));
      if ("error" in w) {
        res = { kind: "failed", phase: "check", files: label, error: w.error, ms: performance.now() - a.started };
        this.lastResult = res;
      } else workers = w.restarted;
    }
    const outcome: Outcome =
      a.files.size === 0 && res.kind === "ok"
        ? { kind: "workers-restarted", files: label, workers: workers ?? [], ms: performance.now() - a.started }
        : outcomeOf(res, this.isUserFile, workers);
    return { outcome, stale, loaded: this.loaded, urls: this.host.urls() };
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
        for (const p of this.modules.takeBlindPlugins()) {
          this.o.log.warn(
            `${rel(p)} registers a runtime plugin and imports node:fs by name before hmr-run starts, so hmr-run cannot see the files its modules are made from: an edit of one reloads nothing (R + Enter restarts). Reading through \`import fs from "node:fs"\` (fs.readFileSync) lets hmr-run follow them`,
          );
        }
        // A top-level await that never settles holds every later reload: the core names it.
        const slow = own.setTimeout(() => this.o.onSlowLoad?.(path), SLOW_MS);
        // A runtime plugin's `build.module()` factory runs while its importer links: what it
        // reads is the virtual module's input, not its caller's (see settlePluginReads).
        const unobserve = observeReads((file) => {
          if (!inScope(file, this.o.scope) || this.isCode(file)) return;
          const top = topLevelFile();
          const owner = this.hot.caller();
          if (top === undefined || top !== owner) this.modules.notePluginRead(owner, file, top === undefined);
        });
        try {
          return await fn();
        } finally {
          unobserve();
          own.clearTimeout(slow);
          this.loadingDepth--;
          this.modules.ran();
          this.modules.settlePluginReads();
          guardThenables(path, (m) => this.o.log.error(m));
          // Said once per builtin: a reload is still checked before it is called a success.
          const replaced = newlyReplacedBuiltins();
          if (replaced.length) {
            this.o.log.warn(
              `${rel(path)} (or a module it loads) replaced ${listed(replaced)}, which hmr-run relies on: hmr-run keeps the original where it decides what ran, and checks each reload before calling it a success`,
            );
          }
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
    own.queueMicrotask(() => this.ask({ what: "invalidate", files: importers }));
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
