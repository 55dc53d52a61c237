/**
 * The per-module hot context behind `import.meta.hot` (Vite-compatible signatures).
 * One context lives per execution of a module; `data` outlives them all.
 */

/** Events a module can listen to with `import.meta.hot.on(...)`. */
export interface HotEvents {
  /** Before a reload starts: the changed files. */
  "hmr:beforeUpdate": { files: string[] };
  /** After a reload succeeded: the modules that ran again. */
  "hmr:afterUpdate": { files: string[]; executed: string[] };
  /** A reload failed (syntax error, missing import, a module threw); the old code keeps running. */
  "hmr:error": { error: unknown; files: string[] };
  /** A module called `invalidate()`: its importers run again next. */
  "hmr:invalidate": { path: string; message?: string };
}

/** `hmr:` events, their `vite:` and `bun:` aliases, or any other name (never emitted). */
export type HotEventName = keyof HotEvents | `vite:${string}` | `bun:${string}` | (string & {});
/** The payload of event `K`. */
export type HotPayload<K> = K extends keyof HotEvents
  ? HotEvents[K]
  : K extends `${"vite" | "bun"}:${infer E}`
    ? `hmr:${E}` extends keyof HotEvents
      ? HotEvents[`hmr:${E}`]
      : any
    : any;

type Listener = (payload: any) => void;
type DisposeFn = (data: Record<string, any>) => void | Promise<void>;
type ModuleNamespace = Record<string, any>;
type AcceptFn = (mod: ModuleNamespace | undefined) => void;

/** What user code sees as `import.meta.hot`: undefined under plain `bun`. */
export interface ImportMetaHot {
  /** Kept for this module across its re-executions: mutate it to carry state over. */
  readonly data: Record<string, any>;
  /** This module takes its own updates: its importers do not run again; `cb` gets the new module. */
  accept(cb?: (mod: ModuleNamespace | undefined) => void): void;
  /** This module takes a dependency's updates: `cb` gets the new module instead of this one running again. */
  accept(dep: string, cb?: (mod: ModuleNamespace | undefined) => void): void;
  /** As `accept(dep, cb)` for several dependencies: `cb` gets their modules in the same order. */
  accept(deps: readonly string[], cb?: (mods: Array<ModuleNamespace | undefined>) => void): void;
  /** Vite's partial accept; hmr-run treats it as `accept(cb)`. */
  acceptExports(names: string | readonly string[], cb?: (mod: ModuleNamespace | undefined) => void): void;
  /** Runs before this module runs again or leaves the graph; awaited, with a time limit; gets `data`. */
  dispose(cb: (data: Record<string, any>) => void | Promise<void>): void;
  /** Runs once no module imports this one any more (and when the app stops); gets `data`. */
  prune(cb: (data: Record<string, any>) => void | Promise<void>): void;
  /** Updates to this module cannot be applied live: an edit below it reloads every module. */
  decline(): void;
  /** Re-runs this module's importers, as if it could not take its own update. */
  invalidate(message?: string): void;
  /** Listens to a reload event; `vite:` and `bun:` names are aliases of the `hmr:` ones. */
  on<K extends HotEventName>(event: K, cb: (payload: HotPayload<K>) => void): void;
  /** Stops listening. */
  off<K extends HotEventName>(event: K, cb: (payload: HotPayload<K>) => void): void;
  /** Vite sends custom events to the browser; a server has none, so this does nothing. */
  send(event: string, data?: unknown): void;
}

/** The context of one execution of one module. */
export class HotContext implements ImportMetaHot {
  readonly data: Record<string, any>;
  /** @internal */ disposers: DisposeFn[] = [];
  /** @internal */ pruners: DisposeFn[] = [];
  /** @internal */ selfAccept: AcceptFn[] | undefined;
  /** @internal */ depAccepts = new Map<string, Array<(mods: Array<ModuleNamespace | undefined>) => void>>();
  /** @internal */ declined = false;
  /** @internal */ listeners = new Map<string, Set<Listener>>();
  /** @internal */ beforeReload: Array<() => unknown> = [];
  /** @internal */ afterReload: Array<() => unknown> = [];

  constructor(
    /** Absolute path of the module. */
    readonly path: string,
    data: Record<string, any>,
    private host: HotHost,
  ) {
    this.data = data;
  }

  accept(cb?: AcceptFn): void;
  accept(dep: string, cb?: AcceptFn): void;
  accept(deps: readonly string[], cb?: (mods: Array<ModuleNamespace | undefined>) => void): void;
  accept(a?: AcceptFn | string | readonly string[], cb?: (mods: any) => void): void {
    if (a === undefined || typeof a === "function") {
      (this.selfAccept ??= []).push(a ?? (() => {}));
      return;
    }
    const list = typeof a === "string" ? [a] : [...a];
    const resolved = list.map((spec) => this.host.resolve(spec, this.path));
    const wrap = (mods: Array<ModuleNamespace | undefined>) => cb?.(typeof a === "string" ? mods[0] : mods);
    for (const dep of resolved) {
      const fns = this.depAccepts.get(dep) ?? [];
      fns.push((mods) => wrap(resolved.map((d) => (d === dep ? mods[0] : this.host.current(d)))));
      this.depAccepts.set(dep, fns);
    }
  }

  acceptExports(_names: string | readonly string[], cb?: AcceptFn): void {
    this.accept(cb);
  }

  dispose(cb: DisposeFn): void {
    this.disposers.push(cb);
  }

  prune(cb: DisposeFn): void {
    this.pruners.push(cb);
  }

  decline(): void {
    this.declined = true;
  }

  invalidate(message?: string): void {
    this.host.invalidate(this.path, message);
  }

  on<K extends HotEventName>(event: K, cb: (payload: HotPayload<K>) => void): void {
    const name = normalizeEvent(event);
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(cb);
  }

  off<K extends HotEventName>(event: K, cb: (payload: HotPayload<K>) => void): void {
    this.listeners.get(normalizeEvent(event))?.delete(cb);
  }

  send(_event: string, _data?: unknown): void {}
}

/** What a hot context needs from the runtime that owns it. */
export interface HotHost {
  resolve(spec: string, from: string): string;
  current(path: string): ModuleNamespace | undefined;
  invalidate(path: string, message?: string): void;
}

/** `vite:beforeUpdate`, `bun:beforeUpdate` and `hmr:beforeUpdate` are the same event. */
export function normalizeEvent(event: string): string {
  if (event.startsWith("vite:")) return "hmr:" + event.slice(5);
  if (event.startsWith("bun:")) return "hmr:" + event.slice(4);
  return event;
}
