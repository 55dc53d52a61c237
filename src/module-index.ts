/**
 * What hmr-run knows about the app's modules between reloads: the source each one last
 * ran with, the files it read and the modules it imported by computed paths while it
 * ran, and the graph built from them by scanning. Scanning is lazy: `index()` scans
 * only what loaded since the last call.
 */
import { existsSync, readFileSync } from "node:fs";
import type { EdgeKind, ModuleGraph } from "./graph.ts";
import { scanModule } from "./loader/scan.ts";
import { own } from "./runtime/own.ts";
import { callerIn } from "./runtime/caller.ts";

export class ModuleIndex {
  /** The source each module was last loaded with: for scanning, and for telling no-op saves apart. */
  readonly sources = new Map<string, string>();
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

  constructor(
    readonly graph: ModuleGraph,
    /** Is this file one of the user's (in the watched scope)? */
    private inScope: (path: string) => boolean,
    private isCode: (path: string) => boolean,
  ) {}

  /**
   * The loader is about to run `path` with `source`. `stack` was taken in the loader: the
   * module on it, if any, imported `path` through an import() of a computed path that no
   * scan can read (a file-system router); `loading` says whether it was still running its
   * top level. The stack is read later (index()): reading one costs ~6 µs, 10 to 28 ms
   * over the 1000 loads of the bench app's start-up; taking one costs a tenth of that.
   */
  loaded(path: string, source: string, stack: Error, loading: boolean): void {
    this.sources.set(path, source);
    this.reads.delete(path);
    this.unscanned.add(path);
    this.graph.add(path);
    this.probes.push({ path, stack, loading });
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

  /** The files read since the last call, with a reader each. */
  takeFreshReads(): Map<string, string> {
    const out = this.fresh;
    this.fresh = new Map();
    return out;
  }

  /** A module left the graph: forget what was kept about it. */
  forget(path: string): void {
    this.sources.delete(path);
    this.reads.delete(path);
    this.imported.delete(path);
    this.importedLater.delete(path);
    this.unscanned.delete(path);
  }

  /** Scans modules loaded since last time; cheap when nothing is pending. */
  index(): void {
    this.readProbes();
    for (const p of this.unscanned) this.scan(p);
    this.unscanned.clear();
  }

  /**
   * Scanning is not on the start-up path: the graph is only needed at the first save,
   * so modules are scanned in small slices after the app is up.
   */
  indexInBackground(): void {
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

  private scan(p: string): void {
    const source = this.sources.get(p);
    if (source === undefined) return;
    let deps: Array<[string, EdgeKind]>;
    try {
      deps = scanModule(p, source).deps.filter(([d]) => this.inScope(d));
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
}
