/**
 * A ReloadWorld made of plain objects, for testing the reloader without Bun's module
 * registry: each module is a function of its source and of the namespaces of the
 * modules it imports, run dependencies first the way ES modules are.
 */
import { ModuleGraph, type EdgeKind } from "../../src/graph.ts";
import { Registry } from "../../src/runtime/registry.ts";
import type { HotContext } from "../../src/runtime/hot.ts";
import type { ModuleRegistry, ReloadWorld } from "../../src/reloader.ts";

/** What a module's body sees: its hot context, and the namespaces of what it imports. */
export interface ModuleApi {
  hot: HotContext;
  /** A dependency's namespace; throws as Bun does when it has not finished running (a cycle). */
  get(dep: string): Record<string, unknown>;
}

export type Body = (source: string, api: ModuleApi) => Record<string, unknown>;

export interface FakeModule {
  source: string;
  deps?: Array<string | [string, EdgeKind]>;
  /** Default: exports `{ v: source }`; a source starting with "throw" throws. */
  body?: Body;
}

const defaultBody: Body = (source) => {
  if (source.startsWith("throw")) throw new Error(`${source}`);
  return { v: source };
};

export class FakeWorld {
  readonly graph = new ModuleGraph();
  readonly ran: string[] = [];
  readonly served: Array<Record<string, unknown>> = [];
  readonly warnings: string[] = [];
  readonly sources = new Map<string, string>();
  private cache = new Map<string, Record<string, unknown>>();
  private running = new Set<string>();
  private pins = new Map<string, string>();
  private edges = new Map<string, NonNullable<FakeModule["deps"]>>();
  readonly hot: Registry;
  readonly world: ReloadWorld;

  constructor(
    readonly modules: Record<string, FakeModule>,
    readonly entry = "main.ts",
  ) {
    this.hot = new Registry(() => true, {
      resolve: (spec) => spec,
      current: (p) => this.cache.get(p),
      invalidate: () => {},
      watchFile: () => {},
    });
    const registry: ModuleRegistry = {
      evict: (p) => {
        this.cache.delete(p);
        this.pins.delete(p);
      },
      load: (p) => this.load(p),
      namespaceOf: (p) => this.cache.get(p),
      pin: (p, source) => void this.pins.set(p, source),
    };
    this.world = {
      graph: this.graph,
      hot: this.hot,
      entry,
      modules: registry,
      isCode: (p) => !p.endsWith(".json"),
      sourceOf: (p) => this.sources.get(p),
      index: () => this.index(),
      loading: (fn) => fn(),
      serveEntry: (ns) => {
        if (ns.unservable) throw new Error("not servable");
        this.served.push(ns);
      },
      warn: (err, where) => void this.warnings.push(`${where}: ${String(err)}`),
      forget: (p) => void this.sources.delete(p),
      disposeTimeoutMs: 200,
    };
  }

  /** Edits a module's source (and its imports, when given). */
  edit(path: string, source: string, deps?: FakeModule["deps"]): void {
    this.modules[path] = { ...this.modules[path], source, ...(deps ? { deps } : {}) };
  }

  /** The served entry's `v`. */
  get serving(): unknown {
    return this.served[this.served.length - 1]?.v;
  }

  /** As the app does: the edges of the source each module last ran with. */
  private index(): void {
    for (const [p, deps] of this.edges) this.graph.setDeps(p, deps.map((d) => (typeof d === "string" ? [d, "static"] : d)));
    this.edges.clear();
  }

  private async load(p: string): Promise<Record<string, unknown>> {
    const done = this.cache.get(p);
    if (done) return done;
    const m = this.modules[p];
    if (!m) throw new Error(`Cannot find module '${p}'`);
    this.running.add(p);
    try {
      for (const d of m.deps ?? []) {
        if (typeof d !== "string" || d.endsWith(".json")) continue;
        if (!this.running.has(d)) await this.load(d);
      }
      const source = this.pins.get(p) ?? m.source;
      this.sources.set(p, source);
      this.edges.set(p, m.deps ?? []);
      this.ran.push(`${p}@${source}`);
      const api: ModuleApi = {
        hot: this.hot.context(p),
        get: (dep) => {
          const ns = this.cache.get(dep);
          if (!ns) throw new ReferenceError(`Cannot access '${dep}' before initialization`);
          return ns;
        },
      };
      const ns = Object.freeze((m.body ?? defaultBody)(source, api));
      this.cache.set(p, ns);
      return ns;
    } finally {
      this.running.delete(p);
    }
  }
}
