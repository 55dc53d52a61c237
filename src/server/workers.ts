/**
 * Workers (`new Worker(url)`, `node:worker_threads`). Bun's runtime plugins do not reach
 * worker threads, so a worker's modules are found by scanning from its entry file, and an
 * edit of one of them restarts the worker: the old thread is terminated and a new one
 * starts with the same URL and options, behind the same object the app holds.
 *
 * The module that made a worker running again does not end it: code from before the
 * reload may still hold it (a logger a container handed out writes to pino's
 * thread-stream worker), and hmr-run cannot tell. Such a worker runs on, as under
 * `bun --hot`, unref'd so that it never keeps the process alive; the app's own dispose
 * hooks end one on purpose, and the app's stop ends them all.
 */
import { existsSync, readFileSync } from "node:fs";
import { loaderFor, transpiler } from "../loader/scan.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { patch } from "../runtime/patch.ts";
import { backgroundTimer, own as timers } from "../runtime/own.ts";
import { inDependencyTree, inNodeModules, shown } from "../paths.ts";

/** What the workers need from the app. */
export interface WorkerHost {
  /** The module creating a worker, when one of the app's modules is running. */
  owner(): string | undefined;
  /** Runs `fn` when `owner` is disposed (it runs again, or leaves the app). */
  onDispose(owner: string, fn: () => void): void;
  /** The app's modules `file` imports (resolved, in scope). */
  deps(file: string): string[];
  /** Says once that a shape is not reloaded (node:cluster workers). */
  warn(msg: string): void;
  /** hmr-run's debug log: workers a reload left running. Silent when absent. */
  debug?(msg: string): void;
  /**
   * Is `file` one of the app's modules (in scope)? Only such workers restart on a save.
   * When absent: any file outside node_modules and .git.
   */
  isUserFile?(file: string): boolean;
}

/** A worker the app started, as the reloader sees it. */
export interface Tracked {
  file: string;
  /** Every module the worker loads, found by scanning from `file`. */
  modules: Set<string>;
  restart(): void;
  dead: boolean;
}

/** What the wrappers give `track` to reach a worker's current thread. */
interface Controls {
  /** Replaces the thread (its code changed); a no-op once the app ended the worker. */
  restart(): void;
  /** Lets the thread run on without keeping the process alive, across restarts too. */
  leave(): void;
  terminate(): void;
}

/** A worker the app made and has not ended. */
interface Made {
  /** Its file as the log names it (a package's path from the package name). */
  label: string;
  controls: Controls;
  ended: boolean;
}

const KEY = Symbol.for("hmr-run.workers");
type Listener = Parameters<Worker["addEventListener"]>[1];

export class Workers {
  /** Workers whose code is the app's: a save of it restarts them. */
  private live = new Set<Tracked>();
  /** Every worker the app made and has not ended: the app's stop ends them. */
  private made = new Set<Made>();
  /** Per module, the workers its current run made (its dispose hook is registered once). */
  private runs = new Map<string, Made[]>();
  /** Timers that let go of disposed owners' workers: the app's stop cancels them. */
  private pending = new Set<Timer>();

  constructor(readonly host: WorkerHost) {}

  /**
   * Wraps `Worker`, `node:worker_threads`' Worker and `cluster.fork` until the returned
   * undo; they report to the latest app (hmr-run/testing starts several in one process).
   */
  install(): () => void {
    const g = globalThis as any;
    // One state per process, shared by every copy of hmr-run loaded in it.
    const state: { active: Workers | undefined } = (g[KEY] ??= { active: undefined });
    state.active = this;
    const active = () => state.active ?? this;
    const undo = [
      patch<typeof globalThis.Worker>(globalThis, "Worker", "Worker", (WebWorker) => {
        const wrapped = function Worker(url: string | URL, options?: WorkerOptions) {
          return active().web(WebWorker, url, options);
        } as unknown as typeof globalThis.Worker;
        wrapped.prototype = WebWorker.prototype;
        return wrapped;
      }),
      // Patched on the CommonJS exports before any ESM import of it: ESM namespaces of
      // node builtins are built from them on first import (measured, Bun 1.4.5).
      patch<any>(require("node:worker_threads"), "Worker", "worker_threads.Worker", (NodeWorker) => {
        const nodeWrapped = function Worker(url: string | URL, options?: Record<string, unknown>) {
          return active().node(NodeWorker, url, options);
        };
        nodeWrapped.prototype = NodeWorker.prototype;
        return nodeWrapped;
      }),
      // Cluster workers are processes of their own, out of hmr-run's reach: say so once.
      patch<(...a: unknown[]) => unknown>(require("node:cluster"), "fork", "cluster.fork", (fork) => {
        let said = false;
        return function (this: unknown, ...args: unknown[]) {
          if (!said) active().host.warn("node:cluster workers are separate processes: hmr-run reloads only this one; restart (R + Enter) to update the workers");
          said = true;
          return fork.apply(this, args);
        };
      }),
    ];
    return () => {
      if (state.active === this) state.active = undefined;
      for (const u of undo) u();
      this.stopAll();
    };
  }

  /** Workers that load any of `files`. */
  using(files: Iterable<string>): Tracked[] {
    const out: Tracked[] = [];
    const list = [...files];
    for (const w of this.live) if (!w.dead && list.some((f) => w.modules.has(f))) out.push(w);
    return out;
  }

  /**
   * Restarts `workers` (from `using`) after the main thread's part of the reload of
   * `batch` succeeded, once the changed files parse: the worker files restarted, or the
   * error that kept the old workers running.
   */
  restartFor(workers: Tracked[], batch: Set<string>): { restarted: string[] } | { error: unknown } {
    const changed = [...batch].filter((f) => workers.some((w) => w.modules.has(f)));
    const out = this.restart(workers, changed);
    return Array.isArray(out) ? { restarted: out } : out;
  }

  private restart(workers: Tracked[], changed: string[]): string[] | { error: unknown } {
    for (const f of changed) {
      const loader = loaderFor(f);
      if (!loader) continue;
      try {
        transpiler(loader).transformSync(readFileSync(f, "utf8"));
      } catch (err) {
        // The transpiler knows no file name: put the file and position in the message.
        const at = (err as { position?: { line: number; column: number } }).position;
        const where = at ? `${f}:${at.line}:${at.column}` : f;
        return { error: new SyntaxError(`${where}: ${(err as Error).message}`) };
      }
    }
    const files: string[] = [];
    for (const w of workers) {
      if (w.dead) continue;
      w.modules = this.scan(w.file);
      w.restart();
      files.push(w.file);
    }
    // Workers left running by earlier reloads restart too, behind the objects old code
    // holds: the file is named once.
    return [...new Set(files)];
  }

  /** The app stops: every worker it made ends with it, as its process would. */
  stopAll(): void {
    const made = [...this.made];
    this.live.clear();
    this.made.clear();
    this.runs.clear();
    for (const timer of this.pending) timers.clearTimeout(timer);
    this.pending.clear();
    for (const m of made) {
      try {
        m.controls.terminate();
      } catch {
        // Already gone: nothing to end.
      }
    }
  }

  /** Registers a worker the app made; call the returned `ended` when the app ends it. */
  private track(url: string | URL, controls: Controls): () => void {
    const owner = this.host.owner();
    const file = fileOf(url, owner);
    // A library's worker (pino's thread-stream) is not the app's code: no save restarts it.
    const t: Tracked | undefined = file && this.isUserFile(file) ? { file, modules: this.scan(file), restart: controls.restart, dead: false } : undefined;
    if (t) this.live.add(t);
    const m: Made = { label: file ? labelOf(file) : `a ${String(url).split(":")[0]}: URL`, controls, ended: false };
    this.made.add(m);
    if (owner) this.runOf(owner).push(m);
    return () => {
      m.ended = true;
      this.made.delete(m);
      if (t) (t.dead = true), this.live.delete(t);
    };
  }

  private isUserFile(file: string): boolean {
    return this.host.isUserFile ? this.host.isUserFile(file) : !inDependencyTree(file);
  }

  /** The workers `owner`'s current run made; the first one registers its dispose hook. */
  private runOf(owner: string): Made[] {
    const known = this.runs.get(owner);
    if (known) return known;
    const workers: Made[] = [];
    this.runs.set(owner, workers);
    // The owner runs again (or leaves the app). Its workers are not ended: hmr-run cannot
    // know whether code from before still reaches them (a logger a container handed out
    // before the reload), and bun --hot keeps them too.
    this.host.onDispose(owner, () => {
      if (this.runs.get(owner) === workers) this.runs.delete(owner);
      // Looked at once the turn ends: the app's own dispose hooks (registered after the
      // worker was made, so run after this one) may still end them on purpose.
      const timer = backgroundTimer(() => {
        this.pending.delete(timer);
        this.letGo(owner, workers);
      }, 0);
      this.pending.add(timer);
    });
    return workers;
  }

  /** Workers of a disposed run that the app did not end: unref'd, and said in one line. */
  private letGo(owner: string, workers: Made[]): void {
    const left = workers.filter((m) => !m.ended);
    if (!left.length) return;
    // Kept for code from before the reload, but never what keeps the process alive.
    for (const m of left) m.controls.leave();
    const n = left.length === 1 ? "1 worker" : `${left.length} workers`;
    const labels = [...new Set(left.map((m) => m.label))].join(", ");
    this.host.debug?.(`left ${n} of ${shown(owner)} running (${labels}): code from before the reload may still use it`);
  }

  private scan(file: string): Set<string> {
    const seen = new Set<string>([file]);
    const todo = [file];
    while (todo.length) for (const d of this.host.deps(todo.pop()!)) if (!seen.has(d)) seen.add(d), todo.push(d);
    return seen;
  }

  /** A web `Worker` whose thread can be replaced: the app keeps this object. */
  private web(Real: typeof globalThis.Worker, url: string | URL, options?: WorkerOptions): Worker {
    let real = new Real(url, options);
    // What the app added, and what is attached to the thread for it: a `once` listener
    // leaves the list when it fires, so restarts do not re-add one per request ever made.
    const listeners: Array<{ type: string; fn: Listener; opts: unknown; bound: Listener }> = [];
    const handlers: Record<string, unknown> = {};
    const view = Object.create(Real.prototype) as Worker;
    const own = (name: string, value: unknown) => Object.defineProperty(view, name, { value, configurable: true });
    own("postMessage", (...a: unknown[]) => (real.postMessage as Function)(...a));
    own("addEventListener", (type: string, fn: Listener, opts?: unknown) => {
      if (!fn || listeners.some((l) => l.type === type && l.fn === fn)) return;
      const once = typeof opts === "object" && opts !== null && (opts as AddEventListenerOptions).once;
      const entry = { type, fn, opts, bound: fn };
      if (once) {
        entry.bound = function (this: unknown, e: Event) {
          const i = listeners.indexOf(entry);
          if (i >= 0) listeners.splice(i, 1);
          return typeof fn === "function" ? fn.call(this, e) : fn.handleEvent(e);
        } as Listener;
      }
      listeners.push(entry);
      real.addEventListener(type, entry.bound, opts as AddEventListenerOptions);
    });
    own("removeEventListener", (type: string, fn: Listener, opts?: unknown) => {
      const i = listeners.findIndex((l) => l.type === type && l.fn === fn);
      if (i < 0) return;
      real.removeEventListener(type, listeners[i]!.bound, opts as EventListenerOptions);
      listeners.splice(i, 1);
    });
    // Whether the thread may keep the process alive: a restart keeps what the app (or a
    // reload that left the worker running) chose.
    let refed = true;
    own("ref", () => ((refed = true), real.ref()));
    own("unref", () => ((refed = false), real.unref()));
    let ended = false;
    own("terminate", () => {
      ended = true;
      untrack();
      real.terminate();
    });
    for (const name of ["onmessage", "onerror", "onmessageerror", "onopen", "onclose"]) {
      Object.defineProperty(view, name, {
        get: () => handlers[name] ?? null,
        set: (fn) => {
          handlers[name] = fn;
          (real as any)[name] = fn;
        },
        configurable: true,
      });
    }
    Object.defineProperty(view, "threadId", { get: () => real.threadId, configurable: true });
    const untrack = this.track(url, {
      restart: () => {
        if (ended) return;
        // The old thread's close is ours, not the app's: it would read as the worker ending.
        for (const l of listeners) real.removeEventListener(l.type, l.bound, l.opts as EventListenerOptions);
        for (const name of Object.keys(handlers)) (real as any)[name] = null;
        real.terminate();
        real = new Real(url, options);
        if (!refed) real.unref();
        for (const l of listeners) real.addEventListener(l.type, l.bound, l.opts as AddEventListenerOptions);
        for (const [name, fn] of Object.entries(handlers)) (real as any)[name] = fn;
      },
      leave: () => ((refed = false), real.unref()),
      terminate: () => view.terminate(),
    });
    return view;
  }

  /** A `node:worker_threads` Worker whose thread can be replaced, behind one EventEmitter. */
  private node(Real: any, url: string | URL, options?: Record<string, unknown>): unknown {
    const { EventEmitter } = require("node:events");
    const view = new EventEmitter();
    Object.setPrototypeOf(view, Real.prototype);
    let real = new Real(url, options);
    let ended = false;
    const EVENTS = ["message", "messageerror", "error", "online", "exit"];
    const attach = (w: any) => {
      for (const ev of EVENTS) w.on(ev, (...a: unknown[]) => EventEmitter.prototype.emit.call(view, ev, ...a));
    };
    attach(real);
    const own = (name: string, value: unknown) => Object.defineProperty(view, name, { value, configurable: true });
    own("postMessage", (...a: unknown[]) => real.postMessage(...a));
    // Whether the thread may keep the process alive, kept across restarts (see `web`).
    let refed = true;
    own("ref", () => ((refed = true), real.ref()));
    own("unref", () => ((refed = false), real.unref()));
    own("terminate", () => {
      ended = true;
      untrack();
      return real.terminate();
    });
    for (const name of ["threadId", "stdout", "stderr", "stdin", "resourceLimits", "performance"]) {
      Object.defineProperty(view, name, { get: () => real[name], configurable: true });
    }
    const untrack = this.track(url, {
      restart: () => {
        if (ended) return;
        // The old thread's exit is ours, not the app's: it would read as a crash.
        real.removeAllListeners();
        void real.terminate();
        real = new Real(url, options);
        if (!refed) real.unref();
        attach(real);
      },
      leave: () => ((refed = false), real.unref()),
      terminate: () => void view.terminate(),
    });
    return view;
  }
}

/** A worker file as the log names it: a package's from the package name (thread-stream/lib/worker.js). */
function labelOf(file: string): string {
  if (!inNodeModules(file)) return shown(file);
  const parts = file.split(/[\\/]/);
  return parts.slice(parts.lastIndexOf("node_modules") + 1).join("/");
}

/** The file a worker URL names: a `file:` URL, an absolute path, or a path relative to its creator or the working folder. */
function fileOf(url: string | URL, owner: string | undefined): string | undefined {
  const s = String(url);
  if (s.startsWith("file:")) return fileURLToPath(s);
  // Before the scheme test: a Windows path (C:\app\w.ts) starts like one.
  if (isAbsolute(s)) return s;
  if (/^[a-z]+:/i.test(s)) return undefined; // blob:, data:, http: workers have no file to watch.
  for (const base of [owner ? dirname(owner) : undefined, process.cwd()]) {
    if (!base) continue;
    const p = resolve(base, s);
    if (existsSync(p)) return p;
  }
  return undefined;
}
