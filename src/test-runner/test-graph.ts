/**
 * The import graph of a test suite, read without running any of it: each test file and
 * preload is scanned (`scanImports` + `Bun.resolveSync`, as the dev server's loader
 * does), then everything it imports, recursively. A save rescans only the saved files.
 */
import { readFileSync } from "node:fs";
import { ModuleGraph } from "../graph.ts";
import { loaderFor, scanModule } from "../loader/scan.ts";
import type { Project } from "./project.ts";
import { atFile } from "../errors.ts";

/** What one batch of saves changed, once no-op saves are dropped. */
export interface Update {
  /** Files whose content changed (or that were deleted) and that the graph knows. */
  changed: string[];
  /** Test files that appeared. */
  added: string[];
  /** Test files that were deleted. */
  removed: string[];
  /** Other known files that were deleted (also in `changed`: their importers should fail). */
  deleted: string[];
  /** Code files no test or preload imports. */
  unrelated: string[];
}

/** Which files a change reaches, each with its import chain down to the changed file. */
export type Reach = Map<string, string[]>;

export class TestGraph {
  readonly graph = new ModuleGraph();
  readonly tests = new Set<string>();
  /** Files that do not parse, with the error (position pointing at the real file). */
  readonly broken = new Map<string, Error>();
  /** The text each known file had when last scanned: no-op saves change nothing. */
  private sources = new Map<string, string>();
  /** Modules with an import that resolved to nothing: a new file may be the one they want. */
  private unresolved = new Set<string>();

  constructor(
    private project: Project,
    private inScope: (path: string) => boolean,
  ) {}

  /** Scans every test file and preload and all they import. */
  build(): void {
    for (const p of [...this.graph.paths()]) this.graph.remove(p);
    this.tests.clear();
    this.sources.clear();
    this.broken.clear();
    this.unresolved.clear();
    for (const t of this.project.findTests()) this.tests.add(t);
    this.visit(...this.tests, ...this.project.preloads);
  }

  /** Applies a batch of saved (created, deleted) files to the graph. */
  update(files: Iterable<string>): Update {
    const out: Update = { changed: [], added: [], removed: [], deleted: [], unrelated: [] };
    const fresh: string[] = [];
    for (const f of files) {
      const text = read(f);
      const known = this.sources.has(f) || this.graph.has(f);
      if (text === undefined) {
        if (!known) continue;
        this.sources.delete(f);
        this.broken.delete(f);
        if (this.tests.delete(f)) {
          out.removed.push(f);
          this.graph.remove(f);
        } else {
          this.graph.setDeps(f, []);
          out.changed.push(f);
          out.deleted.push(f);
        }
        continue;
      }
      if (known) {
        if (this.sources.get(f) === text) continue;
        this.visit(...this.scan(f, text));
        out.changed.push(f);
      } else if (this.project.selects(f)) {
        this.tests.add(f);
        this.visit(...this.scan(f, text));
        out.added.push(f);
        out.changed.push(f);
      } else if (loaderFor(f)) {
        fresh.push(f);
      }
    }
    // A new file may be what an unresolved import was waiting for: rescan those importers.
    if (fresh.length) {
      for (const p of [...this.unresolved]) {
        const text = this.sources.get(p);
        if (text !== undefined) this.visit(...this.scan(p, text));
      }
      for (const f of fresh) (this.graph.has(f) ? out.changed : out.unrelated).push(f);
    }
    return out;
  }

  /**
   * Test files (and preloads) that `changed` reaches through imports of any kind, each
   * with its chain: [test, importer, ..., changed file]. A changed test's chain is itself.
   */
  reach(changed: Iterable<string>): { tests: Reach; preloads: Reach } {
    const toward = new Map<string, string>();
    const queue: string[] = [];
    for (const c of changed) {
      if (toward.has(c)) continue;
      toward.set(c, c);
      queue.push(c);
    }
    for (let i = 0; i < queue.length; i++) {
      const p = queue[i]!;
      for (const imp of this.graph.importers(p)) {
        if (toward.has(imp)) continue;
        toward.set(imp, p);
        queue.push(imp);
      }
    }
    const chain = (p: string) => {
      const out = [p];
      while (toward.get(out[out.length - 1]!) !== out[out.length - 1]) out.push(toward.get(out[out.length - 1]!)!);
      return out;
    };
    const preloads = new Set(this.project.preloads);
    const tests: Reach = new Map();
    const pre: Reach = new Map();
    for (const p of queue) {
      if (this.tests.has(p)) tests.set(p, chain(p));
      if (preloads.has(p)) pre.set(p, chain(p));
    }
    return { tests, preloads: pre };
  }

  /** Forgets files no test or preload imports any more (so a later import rescans them). */
  prune(): void {
    const roots = [...this.tests, ...this.project.preloads];
    for (const p of this.graph.unreachable(roots)) {
      this.graph.remove(p);
      this.sources.delete(p);
      this.broken.delete(p);
      this.unresolved.delete(p);
    }
  }

  /** Scans files not seen yet, then what they import. */
  private visit(...roots: string[]): void {
    const stack = [...roots];
    while (stack.length) {
      const p = stack.pop()!;
      if (this.sources.has(p)) continue;
      const text = read(p);
      if (text === undefined) continue;
      for (const d of this.scan(p, text)) if (!this.sources.has(d)) stack.push(d);
    }
  }

  /** Records a file's text and edges; returns its in-scope dependencies. Keeps old edges when it does not parse. */
  private scan(p: string, text: string): string[] {
    this.sources.set(p, text);
    this.graph.add(p);
    if (!loaderFor(p)) return [];
    let scanned;
    try {
      scanned = scanModule(p, text);
    } catch (err) {
      this.broken.set(p, atFile(err, p));
      return [];
    }
    this.broken.delete(p);
    if (scanned.missing.length) this.unresolved.add(p);
    else this.unresolved.delete(p);
    const deps = scanned.deps.filter(([d]) => this.inScope(d));
    this.graph.setDeps(p, deps);
    return deps.map(([d]) => d).filter((d) => !this.sources.has(d));
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // Deleted (or a folder): the caller treats both as "not a file now".
  }
}
