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
  /** A reload failed; the old code keeps running. */
  "hmr:error": { error: unknown; files: string[] };
  /** A module was invalidated and its importers will run again. */
  "hmr:invalidate": { path: string; message?: string };
}

export type HotEventName = keyof HotEvents | `vite:${string}` | (string & {});
type Listener = (payload: any) => void;
type DisposeFn = (data: Record<string, any>) => void | Promise<void>;
type AcceptFn = (mod: Record<string, any> | undefined) => void;

/** The API of `import.meta.hot` inside modules run by hmr-run. */
export class HotContext {
  /** Kept for this module across its re-executions: mutate it to carry state over. */
  readonly data: Record<string, any>;
  /** @internal */ disposers: DisposeFn[] = [];
  /** @internal */ pruners: DisposeFn[] = [];
  /** @internal */ selfAccept: AcceptFn[] | undefined;
  /** @internal */ depAccepts = new Map<string, Array<(mods: Array<Record<string, any> | undefined>) => void>>();
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

  /** accept() / accept(cb): this module takes its own updates, its importers do not run again. */
  accept(cb?: AcceptFn): void;
  /** accept(dep, cb) / accept([deps], cb): take a dependency's new module instead of re-running this one. */
  accept(deps: string | readonly string[], cb?: (mods: any) => void): void;
  accept(a?: AcceptFn | string | readonly string[], cb?: (mods: any) => void): void {
    if (a === undefined || typeof a === "function") {
      (this.selfAccept ??= []).push(a ?? (() => {}));
      return;
    }
    const list = typeof a === "string" ? [a] : [...a];
    const resolved = list.map((spec) => this.host.resolve(spec, this.path));
    const wrap = (mods: Array<Record<string, any> | undefined>) => cb?.(typeof a === "string" ? mods[0] : mods);
    for (const dep of resolved) {
      const fns = this.depAccepts.get(dep) ?? [];
      fns.push((mods) => wrap(resolved.map((d) => (d === dep ? mods[0] : this.host.current(d)))));
      this.depAccepts.set(dep, fns);
    }
  }

  /** Vite's name for accepting dependencies' exports; behaves as `accept()` here. */
  acceptExports(_names: string | readonly string[], cb?: AcceptFn): void {
    this.accept(cb);
  }

  /** Runs before this module runs again or leaves the graph; may be async (awaited, with a time limit). */
  dispose(cb: DisposeFn): void {
    this.disposers.push(cb);
  }

  /** Runs when no module imports this one any more. */
  prune(cb: DisposeFn): void {
    this.pruners.push(cb);
  }

  /** An update to this module cannot be applied live: hmr-run reloads the whole app graph instead. */
  decline(): void {
    this.declined = true;
  }

  /** Re-runs this module's importers as if this module had changed (after this reload). */
  invalidate(message?: string): void {
    this.host.invalidate(this.path, message);
  }

  /** Listens to a reload event (`hmr:beforeUpdate`, `hmr:afterUpdate`, `hmr:error`, `hmr:invalidate`; `vite:` names are aliases). */
  on<K extends HotEventName>(event: K, cb: (payload: K extends keyof HotEvents ? HotEvents[K] : any) => void): void {
    const name = normalizeEvent(event);
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(cb);
  }

  off<K extends HotEventName>(event: K, cb: (payload: any) => void): void {
    this.listeners.get(normalizeEvent(event))?.delete(cb);
  }

  /** Vite sends custom events to a dev server; hmr-run runs in the server, so this is a no-op. */
  send(_event: string, _data?: unknown): void {}
}

/** What a hot context needs from the runtime that owns it. */
export interface HotHost {
  resolve(spec: string, from: string): string;
  current(path: string): Record<string, any> | undefined;
  invalidate(path: string, message?: string): void;
}

/** `vite:beforeUpdate` and `hmr:beforeUpdate` are the same event. */
export function normalizeEvent(event: string): string {
  return event.startsWith("vite:") ? "hmr:" + event.slice(5) : event;
}
