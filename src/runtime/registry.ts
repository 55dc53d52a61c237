/**
 * The one runtime shared by the CLI and every copy of `hmr-run` a user's app imports:
 * it lives on `globalThis` so two copies of this file still see the same state.
 */
import { HotContext, normalizeEvent, type HotHost } from "./hot.ts";
import { callerFile } from "./caller.ts";

const KEY = Symbol.for("hmr-run.runtime");

/** The live hot contexts and reload hooks of one hmr-run process. */
export class Registry {
  private contexts = new Map<string, HotContext>();
  private datas = new Map<string, Record<string, any>>();
  /** Values from `persist()`, per owning module and key, with the factory source that made them. */
  readonly persisted = new Map<string, Map<string, { source: string; value: unknown }>>();

  constructor(
    /** Is this file one of the user's modules that hmr-run manages? */
    readonly isModule: (path: string) => boolean,
    readonly host: HotHost & { watchFile(owner: string, file: string): void },
  ) {}

  /** The context of the current execution of `path`, made on first use. */
  context(path: string): HotContext {
    let ctx = this.contexts.get(path);
    if (!ctx) {
      let data = this.datas.get(path);
      if (!data) this.datas.set(path, (data = {}));
      ctx = new HotContext(path, data, this.host);
      this.contexts.set(path, ctx);
    }
    return ctx;
  }

  peek(path: string): HotContext | undefined {
    return this.contexts.get(path);
  }

  /** The module whose code is calling, if it is a managed one. */
  caller(): string | undefined {
    return callerFile(this.isModule);
  }

  /**
   * Ends the current execution of `path`: its next run gets a fresh context (same `data`).
   * `forget`: the module left the graph, so its `data` and persisted values go too.
   */
  retire(path: string, forget = false): HotContext | undefined {
    const ctx = this.contexts.get(path);
    this.contexts.delete(path);
    if (forget) {
      this.datas.delete(path);
      this.persisted.delete(path);
    }
    return ctx;
  }

  /** Calls every listener of `event` in every live module; a throwing listener is reported, not fatal. */
  emit(event: string, payload: unknown, report: (err: unknown, where: string) => void): void {
    const name = normalizeEvent(event);
    for (const ctx of this.contexts.values()) {
      for (const cb of ctx.listeners.get(name) ?? []) {
        try {
          cb(payload);
        } catch (err) {
          report(err, `${name} listener in ${ctx.path}`);
        }
      }
    }
  }

  /** The `onBeforeReload` / `onAfterReload` hooks of every live module. */
  hooks(which: "beforeReload" | "afterReload"): Array<[string, () => unknown]> {
    const out: Array<[string, () => unknown]> = [];
    for (const ctx of this.contexts.values()) for (const fn of ctx[which]) out.push([ctx.path, fn]);
    return out;
  }
}

/** The registry of this process, or undefined when the code runs under plain `bun`. */
export function runtime(): Registry | undefined {
  return (globalThis as any)[KEY];
}

/** Installs the process-wide registry (the CLI does this once, before the entry loads). */
export function installRuntime(registry: Registry): void {
  (globalThis as any)[KEY] = registry;
}
