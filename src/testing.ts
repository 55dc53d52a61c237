/**
 * `hmr-run/testing`: runs an app under hmr-run inside a `bun test` process, so a test
 * can call it, edit its files, await the reload and check what ran again, then stop it.
 *
 *   const app = await startApp("src/main.ts");
 *   expect(await (await app.fetch("/")).text()).toBe("one");
 *   const r = await app.edit("src/text.ts", "one", "two");
 *   expect(r.executed).toEqual(["text.ts", "main.ts"]);
 *   await app.stop();
 *
 * The loader plugin, `Bun.serve` and the hot runtime are process-wide, so one app runs
 * at a time per process.
 */
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { App } from "./app.ts";
import { createLogger, printLines, type LogLevel } from "./log.ts";
import { render } from "./core/render.ts";
import { makeScope, type Scope } from "./loader/scope.ts";
import { evict } from "./loader/registry.ts";
import { installRuntime, runtime, type Registry } from "./runtime/registry.ts";
import { messageOf } from "./errors.ts";
import { Watcher } from "./watcher.ts";
import type { ReloadResult } from "./reloader.ts";
import { errorOf } from "./reload/result.ts";
import { driveLocally } from "./core/local.ts";
import type { Driver } from "./core/driver.ts";
import type { Outcome } from "./core/outcome.ts";
import { kindOf } from "./core/kind.ts";

export type { ReloadResult } from "./reloader.ts";

/** How to start an app under test. */
export interface StartOptions {
  /** Folder that is watched and that file names are relative to (default: the entry's folder). */
  root?: string;
  /** The export to serve, as in `main.ts:app` (default: the default export, or the app's own servers). */
  exportName?: string;
  /** Paths (relative to `root`) that never reload. */
  exclude?: string[];
  /** Also reload on edits made by other means, through fs.watch (default: false; `write`/`edit` need no watcher). */
  watch?: boolean;
  /** hmr-run's own log output (default: "warn"). */
  logLevel?: LogLevel;
  /** Dispose hooks that take longer are reported and left behind, in ms (default: 3000). */
  disposeTimeoutMs?: number;
}

/** One finished reload, with paths relative to the app's root. */
export interface Reload {
  kind: ReloadResult["kind"];
  /** Modules that ran again, in the order they ran (empty unless `kind` is "ok"). */
  executed: string[];
  /** Why the reload failed (`kind` "failed" or "rolled-back"): the old code keeps serving. */
  error?: unknown;
  /** The full result, absolute paths included. */
  result: ReloadResult;
}

const realServe = Bun.serve;
let current: TestApp | undefined;
/** Scopes of apps started earlier in this process: their loader plugins are still registered. */
const earlier: Scope[] = [];

/** Starts `entry` under hmr-run in this process, serving on a free port of 127.0.0.1. Throws if it fails to start. */
export async function startApp(entry: string, options: StartOptions = {}): Promise<TestApp> {
  if (current) throw new Error(`hmr-run/testing: ${current.entry} is still running; stop() it before starting another app`);
  const file = real(resolve(entry));
  const root = real(resolve(options.root ?? dirname(file)));
  const scope = makeScope([root], options.exclude ?? [], root);
  // Bun lets the first matching plugin load a file and cannot remove one plugin, so an
  // earlier app's loader would shadow this one's (measured on Bun 1.4.5).
  if (earlier.some((s) => overlaps(s, scope))) Bun.plugin.clearAll();
  earlier.push(scope);
  // Each App wraps Bun.serve; start from the real one, not from the last app's wrapper.
  (Bun as any).serve = realServe;
  const logs: string[] = [];
  const app = new App({
    entry: file,
    exportName: options.exportName,
    scope,
    log: createLogger(options.logLevel ?? "warn", "text", (line) => logs.push(line)),
    serve: { hostname: "127.0.0.1", port: 0, explicit: { hostname: true, port: true, unix: false } },
    disposeTimeoutMs: options.disposeTimeoutMs,
  });
  const test = new TestApp(app, root, file, runtime(), logs);
  current = test;
  try {
    await app.start();
    app.host.announce = true;
    if (app.lastResult) test.results.push(app.lastResult);
  } catch (err) {
    await test.stop();
    throw err;
  }
  if (!app.loaded) {
    const why = app.lastError;
    await test.stop();
    throw new Error(`hmr-run/testing: ${relative(root, file)} failed to start: ${messageOf(why)}`, { cause: why });
  }
  test.drive(options.watch === true);
  if (options.watch) test.watch(scope);
  return test;
}

/** An app running under hmr-run in this process. */
export class TestApp {
  /** Every reload since the app started (the first load included), oldest first. */
  readonly results: ReloadResult[] = [];
  private watcher: Watcher | undefined;
  private driver: Driver | undefined;
  private waiters: Array<(r: ReloadResult) => void> = [];
  private stopped = false;

  constructor(
    /** The running app: its module graph, host and hot registry. */
    readonly app: App,
    /** The folder file names are relative to. */
    readonly root: string,
    /** The entry module, absolute. */
    readonly entry: string,
    /** The hot runtime installed before this app's, put back on stop. */
    private previousRuntime: Registry | undefined,
    /** Every line hmr-run logged for this app, at any level (what `logLevel` prints is a part of it). */
    readonly logs: string[] = [],
  ) {}

  /**
   * @internal Hands the app's saves to the decision core, as the CLI does. Without a
   * watcher each `write`/`changed` call is a whole batch already: nothing to wait for.
   */
  drive(watching: boolean): void {
    const batches = watching ? {} : { settleMs: 0, multiSettleMs: 0, stormWindowMs: 0 };
    this.driver = driveLocally(this.app, batches, ({ outcome }) => {
      // Said as the CLI says it, before a waiting test reads `logs`.
      printLines(this.app.o.log, render(outcome, { entry: this.entry }));
      const r = this.resultOf(outcome);
      if (!r) return;
      this.results.push(r);
      for (const w of this.waiters.splice(0)) w(r);
    });
  }

  /** The reload result an outcome reports: the reloader's own, errors as thrown. */
  private resultOf(o: Outcome): ReloadResult | undefined {
    switch (o.kind) {
      case "reloaded":
      case "rolled-back":
      case "failed":
        return this.app.lastResult;
      case "ignored":
        return { kind: "skipped", files: o.files, reason: "nothing the app runs changed" };
      case "workers-restarted":
        return { kind: "ok", files: o.files, executed: [], evicted: [], stoppedAt: [], because: new Map(), ms: o.ms };
      default:
        return undefined;
    }
  }

  /** The base URL of the app's first server, e.g. `http://127.0.0.1:40123/`. Throws when it serves nothing. */
  get url(): URL {
    const server = this.app.host.servers()[0];
    if (!server) throw new Error(`hmr-run/testing: ${relative(this.root, this.entry)} serves nothing (it ran as a script)`);
    return server.url;
  }

  /** `fetch` against the app: a path such as "/users" is resolved against `url`. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (input instanceof Request) return fetch(input, init);
    return fetch(new URL(input, this.url), init);
  }

  /** The absolute path of a file under the root. */
  path(file: string): string {
    return resolve(this.root, file);
  }

  /** Writes a file (creating folders) and waits for the reload it causes. */
  write(file: string, text: string): Promise<Reload> {
    const p = this.path(file);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return this.changed([p]);
  }

  /** Replaces the first match of `from` in a file and waits for the reload. Throws when nothing matches. */
  edit(file: string, from: string | RegExp, to: string): Promise<Reload> {
    const text = readFileSync(this.path(file), "utf8");
    const next = text.replace(from, to);
    if (next === text) throw new Error(`hmr-run/testing: ${String(from)} not found in ${file}`);
    return this.write(file, next);
  }

  /** Deletes a file and waits for the reload. */
  remove(file: string): Promise<Reload> {
    rmSync(this.path(file), { force: true });
    return this.changed([this.path(file)]);
  }

  /** Tells the app that files changed on disk and waits until every queued reload is done; returns the last one. */
  changed(files: string[]): Promise<Reload> {
    return this.settle(() => {
      for (const f of files) {
        const path = this.path(f);
        this.driver!.feed({ t: "changed", path, kind: kindOf(path, []) });
      }
    }, files.join(", "));
  }

  /** Reloads every module (like the `r` key) and waits for it. */
  reloadAll(): Promise<Reload> {
    return this.settle(() => this.driver!.feed({ t: "key", key: "r" }), "a full reload");
  }

  /** Waits for the next finished reload, e.g. one caused by an edit the watcher saw (`watch: true`). */
  nextReload(timeoutMs = 10_000): Promise<Reload> {
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== got);
        fail(new Error(`hmr-run/testing: no reload finished within ${timeoutMs} ms`));
      }, timeoutMs);
      const got = (r: ReloadResult) => {
        clearTimeout(timer);
        ok(this.view(r));
      };
      this.waiters.push(got);
    });
  }

  /** Runs dispose hooks, stops the servers and forgets the app's modules, so a later start runs them afresh. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watcher?.close();
    this.driver?.close();
    try {
      await this.app.stop();
    } finally {
      for (const p of this.app.graph.paths()) evict(p);
      (Bun as any).serve = realServe;
      installRuntime(this.previousRuntime as Registry);
      if (current === this) current = undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal Starts reloading on fs events under `scope`. */
  watch(scope: Scope): void {
    this.watcher = new Watcher(scope, (path) => this.driver?.feed({ t: "changed", path, kind: kindOf(path, []) }));
    this.watcher.start();
  }

  /** Runs `start` and returns the last reload that finished before the app went idle. */
  private async settle(start: () => void, what: string): Promise<Reload> {
    const from = this.results.length;
    start();
    await this.driver!.idle();
    const last = this.results[this.results.length - 1];
    if (this.results.length === from || !last) throw new Error(`hmr-run/testing: no reload ran for ${what}`);
    return this.view(last);
  }

  private view(r: ReloadResult): Reload {
    const rel = (p: string) => relative(this.root, p);
    return {
      kind: r.kind,
      executed: r.kind === "ok" ? r.executed.map(rel) : [],
      error: errorOf(r),
      result: r,
    };
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p; // Missing: App.start reports it with the path as given.
  }
}

function overlaps(a: Scope, b: Scope): boolean {
  const under = (x: string, y: string) => x === y || x.startsWith(y.endsWith(sep) ? y : y + sep);
  return a.include.some((x) => b.include.some((y) => under(x, y) || under(y, x)));
}
