/**
 * What hmr-run knows about the app's modules between reloads: the source each one last
 * ran with, the files it read and the modules it imported by computed paths while it
 * ran, and the graph built from them by scanning. Scanning is lazy: `index()` scans
 * only what loaded since the last call. Modules Bun loads without the plugin (see
 * loader/plugin.ts) get their source from the survey made before the entry loaded, or
 * from the save check when they reload, and join the graph from Bun's registry.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { EdgeKind, ModuleGraph } from "./graph.ts";
import { scanModule } from "./loader/scan.ts";
import { own } from "./runtime/own.ts";
import { survey } from "./loader/survey.ts";
import type { Scope } from "./loader/scope.ts";
import { callerIn } from "./runtime/caller.ts";
import { blindPlugins } from "./loader/preloads.ts";
import { append, dict, type Dict } from "./runtime/builtins.ts";

type Cache = Record<string, unknown>;
/** How far a file's modification time may lag the clock (Linux stamps files with a coarse one). */
const MTIME_SLACK_MS = 10;
const loadedByBun = (p: string) => (require.cache as Cache)[p] !== undefined;

export class ModuleIndex {
  /** The source each module was last loaded with: for scanning, and for telling no-op saves apart. */
  readonly sources = new Map<string, string>();
  /** When the last run began (epoch ms): the start, then each reload. */
  private runSince = Date.now();
  /** Modules loaded natively whose file was saved after their run began: what runs is unknown until they run again. */
  private unknown = new Set<string>();
  private unscanned = new Set<string>();
  /** Data files each module read while it ran (tracked like imports). */
  private reads = new Map<string, Set<string>>();
  /** Modules each module imported through an import() of a computed path while it loaded. */
  private imported = new Map<string, Set<string>>();
  /** Modules each module imported by a computed path after it loaded (in a request): lazy edges. */
  private importedLater = new Map<string, Set<string>>();
  /** Files read by the module running now, with their reader (see SelfWrites). */
  private fresh = new Map<string, string>();
  /** Stacks taken as modules loaded, not read yet: who imported them, if a module did. */
  private probes: Array<{ path: string; stack: Error; loading: boolean }> = [];
  /** Changed files of the reload under way, with the text they were checked with: recorded and scanned once they ran again. */
  private afterLoad = new Map<string, string | undefined>();
  /** The text each changed file was checked with, until its reload. */
  private incoming = new Map<string, string>();
  /** Modules evicted by the reload under way. */
  private gone = new Set<string>();
  /**
   * Each module's static dependencies, as the last scan found them, kept apart from the
   * graph in a dictionary without prototype: the check of a reload made after the app
   * replaced a builtin (src/reload/verify.ts) reads them without a method the app can reach.
   */
  private staticDeps = dict<string[]>();
  /** Reads made by a runtime plugin's hook during the load under way (see `notePluginRead`). */
  private pluginReads: Array<{ owner: string | undefined; file: string; move: boolean }> = [];
  /**
   * The record of each module a runtime plugin provides (a key of Bun's registry that is
   * no path: `virtual:config`), as last seen: a new record is a new run of its factory.
   */
  private plugged = dict<unknown>();
  /** The entry has loaded: Bun's registry holds the app. */
  private started = false;
  private adopted = false;

  constructor(
    readonly graph: ModuleGraph,
    /** Is this file one of the user's (in the watched scope)? */
    private inScope: (path: string) => boolean,
    private isCode: (path: string) => boolean,
  ) {
    for (const key of Object.keys(require.cache)) {
      // Made before the app loads (a preload's own imports): not the app's to follow.
      if (!isAbsolute(key)) this.plugged[key] = (require.cache as Cache)[key];
      else this.preloaded.push(key);
    }
  }

  /** What Bun loaded before hmr-run (bunfig preloads, hmr-run itself), until taken. */
  private preloaded: string[] = [];

  /** Once: the preloads whose runtime plugins read files hmr-run cannot see (src/loader/preloads.ts). */
  takeBlindPlugins(): string[] {
    const loaded = this.preloaded;
    if (!loaded.length) return loaded;
    this.preloaded = [];
    return blindPlugins(loaded, this.inScope);
  }

  /**
   * The loader is about to run `path` with `source`. `stack` was taken in the loader: the
   * module on it, if any, imported `path` through an import() of a computed path that no
   * scan can read (a file-system router); `loading` says whether it was still running its
   * top level. The stack is read later (index()): reading one costs ~6 µs, 10 to 28 ms
   * over the 1000 loads of the bench app's start-up; taking one costs a tenth of that.
   */
  loaded(path: string, source: string, stack: Error, loading: boolean): void {
    this.sources.set(path, source);
    this.unknown.delete(path);
    // What the plugin saw is what runs (a rollback's pinned source too): nothing to record later.
    this.afterLoad.delete(path);
    this.reads.delete(path);
    this.unscanned.add(path);
    this.graph.add(path);
    this.probes.push({ path, stack, loading });
  }

  /**
   * Reads every code file of `scope` before the entry loads: the sources of the modules
   * Bun will load without the plugin. Returns the files that need the plugin, or
   * undefined when every module must go through it (a computed import() somewhere).
   */
  survey(scope: Scope): string[] | undefined {
    const found = survey(scope);
    for (const [p, text] of found.sources) this.sources.set(p, text);
    return found.computed ? undefined : found.rewrite;
  }

  /** Is `path` part of the running app: in the graph, or loaded by Bun? */
  known(path: string): boolean {
    return this.graph.has(path) || (loadedByBun(path) && this.inScope(path));
  }

  /** `file` was checked with `text`: what it runs when it next loads. */
  willRun(file: string, text: string): void {
    this.incoming.set(file, text);
  }

  /**
   * These files are about to reload: a loaded module the graph missed joins it, and each
   * is recorded and scanned again once it ran. Before that, the edges it drops would be
   * gone before the reload could see which modules lost their last importer, and a
   * rollback would bring back the new text.
   */
  willReload(files: Iterable<string>): void {
    this.runSince = Date.now();
    for (const f of files) {
      if (!this.isCode(f)) continue;
      if (!this.graph.has(f) && loadedByBun(f) && this.inScope(f)) this.graph.add(f);
      this.afterLoad.set(f, this.incoming.get(f));
      this.incoming.delete(f);
    }
  }

  /** The reload under way evicted `path`: what it reads is what its next run reads. */
  evicted(path: string): void {
    this.gone.add(path);
    this.reads.delete(path);
  }

  /**
   * A load of the reload under way finished: changed files it ran (evicted, then back in
   * Bun's registry) are recorded and scanned.
   */
  ran(): void {
    for (const [f, text] of this.afterLoad) {
      if (!(this.gone.has(f) && loadedByBun(f))) continue;
      if (text !== undefined) this.sources.set(f, text);
      this.unknown.delete(f);
      this.unscanned.add(f);
      this.afterLoad.delete(f);
    }
  }

  /**
   * The reload ended. When it succeeded, changed files that did not run themselves (data
   * files, modules only import() reaches) are recorded too; after a rollback the sources
   * are those the rollback ran.
   */
  reloadEnded(ok: boolean): void {
    for (const [f, text] of this.afterLoad) {
      if (ok && text !== undefined) this.sources.set(f, text);
      if (ok) this.unknown.delete(f);
      this.unscanned.add(f);
    }
    this.afterLoad.clear();
    this.incoming.clear();
    this.gone.clear();
  }

  /**
   * Once, after the entry loaded: every project module in Bun's registry joins the graph
   * (later ones are found by scans and the plugin), and the surveyed sources of files the
   * app never loaded are dropped.
   */
  private adopt(): void {
    if (this.adopted || !this.started) return;
    this.adopted = true;
    for (const p of this.sources.keys()) if (!loadedByBun(p) && !this.graph.has(p)) this.sources.delete(p);
    for (const p of Object.keys(require.cache)) {
      if (!this.isCode(p) || !this.inScope(p)) continue;
      this.graph.add(p);
      this.unscanned.add(p);
    }
  }

  /** Turns the stacks taken while modules loaded into computed-import edges. */
  private readProbes(max = Infinity): void {
    for (const { path, stack, loading } of this.probes.splice(0, max)) {
      const importer = callerIn(stack, (f) => f !== path && this.sources.has(f));
      if (!importer || !this.sources.has(path)) continue;
      // While the importer loads, it holds what it got: it depends on it like on a static
      // import. Kept across the importer's runs: when it runs again, import() hands it the
      // cached module and the loader is not called. Imported later (a request handler), the
      // edge is lazy: an edit evicts the module and the next import() runs the new code.
      const into = loading ? this.imported : this.importedLater;
      let set = into.get(importer);
      if (!set) into.set(importer, (set = new Set()));
      set.add(path);
      this.unscanned.add(importer);
    }
  }

  /** `owner` read `file` (a template, a JSON file, a folder listing): it depends on it. */
  noteRead(owner: string, file: string, loading: boolean): void {
    if (loading) this.fresh.set(file, owner);
    let set = this.reads.get(owner);
    if (!set) this.reads.set(owner, (set = new Set()));
    if (set.has(file)) return;
    set.add(file);
    this.unscanned.add(owner);
  }

  /**
   * `file` was read during a load by code that is not a module's top level: maybe a
   * runtime plugin's `build.module()` factory, which Bun runs while the importer links,
   * from the plugin's file (often a bunfig preload), with no module's top level on the
   * stack when it is called for a static import (`move`). Settled once the load ends.
   */
  notePluginRead(owner: string | undefined, file: string, move: boolean): void {
    this.pluginReads.push({ owner, file, move });
  }

  /**
   * The load ended: if it made modules through a runtime plugin (new records under keys
   * that are no path), the plugin reads of the load are theirs. A read with no module's
   * top level on the stack leaves the module it was put on (the plugin's file, whose
   * run would only register the plugin again); another one stays there too, since a
   * helper function may have made it. A virtual module follows its files like an import:
   * when one changes it is evicted (its factory runs again on the next import) and its
   * importers run again.
   */
  settlePluginReads(): void {
    if (!this.pluginReads.length) return;
    const reads = this.pluginReads;
    this.pluginReads = [];
    const cache = require.cache as Cache;
    const made: string[] = [];
    for (const key of Object.keys(cache)) {
      if (isAbsolute(key) || this.plugged[key] === cache[key]) continue;
      this.plugged[key] = cache[key];
      made.push(key);
    }
    // None made: the reads were a function's (after an await, in a helper), where they are.
    if (!made.length) return;
    for (const v of made) {
      this.graph.add(v);
      for (const { owner, file, move } of reads) {
        if (move && owner && owner !== v && this.reads.get(owner)?.delete(file)) this.unscanned.add(owner);
        this.noteRead(v, file, true);
      }
    }
  }

  /** The files read since the last call, with a reader each. */
  takeFreshReads(): Map<string, string> {
    const out = this.fresh;
    this.fresh = new Map();
    return out;
  }

  /** A module left the graph: forget what was kept about it. */
  forget(path: string): void {
    this.sources.delete(path);
    this.unknown.delete(path);
    this.reads.delete(path);
    this.imported.delete(path);
    this.importedLater.delete(path);
    this.unscanned.delete(path);
    delete this.staticDeps[path];
  }

  /** The static importers of each module, from the last scans (see `staticDeps`). */
  staticImporters(): Dict<string[]> {
    const out = dict<string[]>();
    for (const p in this.staticDeps) {
      const deps = this.staticDeps[p]!;
      for (let i = 0; i < deps.length; i++) append((out[deps[i]!] ??= []), p);
    }
    return out;
  }

  /** Scans modules loaded since last time; cheap when nothing is pending. */
  index(): void {
    this.adopt();
    this.readProbes();
    for (const p of this.unscanned) this.scan(p);
    this.unscanned.clear();
  }

  /**
   * Scanning is not on the start-up path: the graph is only needed at the first save,
   * so modules are scanned in small slices after the app is up.
   */
  indexInBackground(): void {
    this.started = true;
    const step = () => {
      this.adopt();
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

  private scan(p: string, text?: string): void {
    // A module a runtime plugin made: its edges are the files its factory read.
    if (!isAbsolute(p)) {
      const deps: Array<[string, EdgeKind]> = [];
      for (const f of this.reads.get(p) ?? []) deps.push([f, "static"]);
      this.graph.setDeps(p, deps);
      this.staticDeps[p] = deps.map(([f]) => f);
      return;
    }
    let source = text ?? this.sources.get(p);
    if (source === undefined) {
      if (!this.isCode(p) || !loadedByBun(p)) return;
      source = this.fromDisk(p);
      if (source === undefined) return;
    }
    let deps: Array<[string, EdgeKind]>;
    try {
      const scanned = scanModule(p, source);
      deps = scanned.deps.filter(([d]) => this.inScope(d));
      // Modules a runtime plugin made, once loaded (keyed as Bun's registry keys them).
      for (const [key, kind] of scanned.plugins) if (loadedByBun(key)) deps.push([key, kind]);
    } catch {
      return; // A module that does not parse keeps its old edges; the reload reports the error.
    }
    for (const f of this.reads.get(p) ?? []) deps.push([f, "static"]);
    for (const [map, kind] of [[this.imported, "static"], [this.importedLater, "dynamic"]] as const) {
      const imported = map.get(p);
      for (const f of imported ?? []) {
        // A file that no longer exists drops out: a deleted route leaves the graph once its importer ran again.
        if (existsSync(f)) deps.push([f, kind]);
        else imported!.delete(f);
      }
    }
    this.graph.setDeps(p, deps);
    const statics: string[] = [];
    for (let i = 0; i < deps.length; i++) if (deps[i]![1] === "static") append(statics, deps[i]![0]);
    this.staticDeps[p] = statics;
    // Code the plugin does not see (`.cjs`, files Bun loads natively) is scanned from disk,
    // so what it requires is in the graph too.
    for (const [d] of deps) {
      if (!this.isCode(d) || this.sources.has(d) || this.unknown.has(d)) continue;
      const text = this.fromDisk(d);
      // Not there (yet): the reload that needs it will say so.
      if (text !== undefined) this.scan(d, text);
    }
  }

  /**
   * A module Bun loaded natively after the survey (a new file) ran what was on disk then:
   * its text now, unless it was saved since the run began. Then what ran is unknown, and
   * the save (its event is on the way) reloads it: a client answered by the new code can
   * save again before this read.
   */
  private fromDisk(p: string): string | undefined {
    let text: string;
    let saved: number;
    try {
      saved = statSync(p).mtimeMs;
      text = readFileSync(p, "utf8");
    } catch {
      return undefined; // Gone since: the reload that needs it will say so.
    }
    // File times come from a clock that lags by up to a tick: a margin keeps a save made
    // right after the run began from passing for an older one.
    if (saved >= this.runSince - MTIME_SLACK_MS) this.unknown.add(p);
    else this.sources.set(p, text);
    return text;
  }
}
