/**
 * `hmr-run main.ts`: the process the user started. It keeps the terminal, the keys, the
 * watcher and the options, runs no user code, and decides what each save means: a hot
 * reload in the app process (src/dev.ts), a restart of that process, or nothing.
 */
import pkg from "../../package.json" with { type: "json" };
import type { ConsolaInstance } from "consola/core";
import { keysOn, listenKeys } from "../keys.ts";
import { createLogger } from "../log.ts";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { inScope, isFile, makeScope, type Scope, watchRoots } from "../loader/scope.ts";
import { shown } from "../paths.ts";
import { UsageError, type RunOptions } from "../options.ts";
import { AppProcess } from "./app-process.ts";
import { envFilesOf } from "../env/files.ts";
import { shellEnv } from "../env/shell.ts";
import { ConfigFiles } from "./config-files.ts";
import { Watcher } from "../watcher.ts";
import type { FromApp } from "./protocol.ts";

/** No heartbeat answered for this long while a reload runs: an endless loop (ms). */
const WATCHDOG_MS = 3000;
/** A save made while the app has not answered for this long restarts it (ms). */
const STUCK_MS = 1000;
/** Dispose hooks get this long before a restart, and at Ctrl+C, before SIGKILL (ms). */
const RESTART_GRACE_MS = 1000;
const STOP_GRACE_MS = 2500;
/** An app that exits this soon after serving would exit again: wait for a change (ms). */
const EXIT_SOON_MS = 1000;
/** Restarts after exits with no save in between; past this, a crash loop waits for a save. */
const MAX_AUTO_RESTARTS = 3;

/** Files whose save may fix an app that exited or hangs (not logs, not editor leftovers). */
const CODE_OR_DATA = /\.(?:[cm]?[jt]sx?|json[c5]?|toml|ya?ml|env)$|\/\.env[^/]*$/;
const rel = (p: string) => shown(p) || ".";
const names = (files: Iterable<string>) => [...files].map(rel).join(", ");
/** hmr-run's own sources, always excluded from the scope; not worth showing in the banner. */
const OWN_SRC = join(import.meta.dir, "..");

/** Runs hmr-run until Ctrl+C; throws UsageError when the app cannot start at all. */
export async function runSupervisor(o: RunOptions): Promise<void> {
  await new Supervisor(o).start();
}

class Supervisor {
  private readonly log: ConsolaInstance;
  private readonly scope: Scope;
  private readonly configs: ConfigFiles;
  private readonly stdin: "inherit" | "ignore";
  private watcher: Watcher | undefined;
  private app: AppProcess | undefined;
  /** Every app process not yet exited (one, plus the old one during a restart). */
  private readonly live = new Set<AppProcess>();
  /** Why the app is restarting and since when: said in one line once it serves again. */
  private restart: { reason: string; at: number } | undefined;
  private restarting = false;
  /** The MCP stdio session the app process serves, as it last reported it. */
  private mcpSession: object[] | undefined;
  /** Lines said once per run by an app process: the next one, after a restart, does not repeat them. */
  private readonly said = new Set<string>();
  private readyAt: number | undefined;
  /** What the app process is running now, for the watchdog's line. */
  private busyWith: string;
  private slowPath: string | undefined;
  private fatal: string | undefined;
  private stopping = false;
  /** Restarts after the app exited by itself since the last save (a crash loop guard). */
  private autoRestarts = 0;
  private started = Promise.withResolvers<void>();
  private bannerShown = false;
  /** The banner said "waiting for a fix": a later first success says where it serves. */
  private waitingBanner = false;

  /** The files Bun would load into the app's environment: --env-file, else .env and friends. */
  private readonly envFiles: string[];

  constructor(private readonly o: RunOptions) {
    this.envFiles = envFilesOf(o, shellEnv(o.cwd));
    this.log = createLogger(o.logLevel, o.logFormat);
    this.scope = makeScope(o.include, o.exclude, o.cwd);
    this.configs = new ConfigFiles([o.cwd, ...watchRoots(this.scope).filter((d) => !isFile(d))]);
    this.stdin = keysOn() ? "ignore" : "inherit";
    this.busyWith = rel(o.entry);
  }

  async start(): Promise<void> {
    this.onSignals();
    // Watch before the entry loads: a save made while it starts is not lost.
    // OS file events, or polling where they cannot arrive; a watch limit falls back to polling.
    const extra = [...this.envFiles, ...this.configs.paths];
    const onMore = () => void (!this.stopping && !this.restarting && this.app?.more());
    this.watcher = new Watcher(this.scope, (files) => this.onSaves(files), { extra, poll: this.o.poll, pollMs: this.o.pollMs, log: this.log, onMore });
    this.watcher.start();
    this.spawn();
    try {
      await this.started.promise;
    } catch (err) {
      this.watcher.close();
      throw err;
    }
    listenKeys(
      {
        r: () => this.reloadAll(),
        R: () => {
          this.autoRestarts = 0;
          void this.restartApp("R + Enter");
        },
        q: () => this.stop("q"),
      },
      () => this.log.info("keys: r + Enter reloads everything, R + Enter restarts the app, q + Enter or Ctrl+C stops"),
    );
  }

  private spawn(): void {
    this.readyAt = undefined;
    this.slowPath = undefined;
    this.fatal = undefined;
    const app: AppProcess = new AppProcess(
      // A restarted app process takes over the MCP client's session (stdin is the same pipe).
      this.mcpSession ? { ...this.o, mcpSession: this.mcpSession } : this.o,
      [...this.said],
      this.stdin,
      {
        message: (m) => app === this.app && this.onMessage(m),
        exit: (code, signal, reloading) => {
          this.live.delete(app);
          if (app === this.app) this.onExit(app, code, signal, reloading);
        },
        stuck: (before) => app === this.app && this.onStuck(app, before),
      },
      WATCHDOG_MS,
    );
    this.app = app;
    this.live.add(app);
  }

  /** What a batch of saves means: restart for config files or a stuck app, else a hot reload. */
  private onSaves(files: Set<string>): void {
    if (this.stopping) return;
    this.autoRestarts = 0;
    const configs = [...files].filter((f) => this.configs.is(f));
    for (const f of configs) files.delete(f);
    const changed = configs.filter((f) => this.configs.changed(f));
    if (changed.length) return void this.restartApp(`${names(changed)} changed`);
    // A restart under way loads every file fresh.
    if (!files.size || this.restarting) return void this.app?.noMore();
    const app = this.app;
    // Only a save of code or data can fix an app that is gone or stuck; a log file it (or a
    // shell redirect of hmr-run's output) writes in the watched folder must not restart it.
    const fixes = [...files].filter((f) => CODE_OR_DATA.test(f) || this.envFiles.includes(f));
    if (!app || app.unresponsive(STUCK_MS) || (this.slowPath && app.busySince !== undefined)) {
      if (!fixes.length) return;
      const before = !app
        ? ""
        : this.slowPath
          ? `${rel(this.slowPath)} never finished loading; `
          : app.busySince !== undefined && !app.hungBeforeReload()
            ? `${this.busyWith} stopped answering; `
            : "the app stopped answering (a request handler in an endless loop?); ";
      return void this.restartApp(`${before}${names(fixes)} changed`);
    }
    this.busyWith = names(files);
    app.changed(files);
  }

  private reloadAll(): void {
    if (!this.app) return void this.restartApp("r + Enter");
    this.busyWith = "the whole app";
    this.app.reloadAll();
  }

  private onMessage(m: FromApp): void {
    if (m.t === "ready") this.onReady(m);
    else if (m.t === "idle") this.slowPath = undefined;
    else if (m.t === "fatal") this.fatal = m.message;
    else if (m.t === "quit") this.stop(m.why);
    else if (m.t === "restart") void this.restartApp(m.why);
    else if (m.t === "mcpSession") this.mcpSession = m.messages;
    else if (m.t === "said") this.said.add(m.line);
    else if (m.t === "slow") {
      this.slowPath = m.path;
      this.log.warn(`${rel(m.path)} has been loading for 5 s (a top-level await that never settles?); the next save restarts the app`);
      // Still starting: say what is watched, and take keys, without waiting any longer.
      if (!this.bannerShown) this.firstBanner([], false, false, `still loading ${rel(m.path)}`);
    }
  }

  private onReady(m: Extract<FromApp, { t: "ready" }>): void {
    this.readyAt = performance.now();
    // A restart must come back where the browser is: `--port 0` keeps the port it got.
    if (this.o.port === 0 && m.port) this.o.port = m.port;
    const r = this.restart;
    this.restart = undefined;
    if (!this.bannerShown) return this.firstBanner(m.urls, m.loaded, m.mcpStdio);
    // The banner went out while the first start was still loading: now it serves.
    if (!r && m.urls.length && this.waitingBanner) this.log.info(`serving ${m.urls.join(", ")}`);
    this.waitingBanner = false;
    if (!r) return;
    const ms = Math.round(this.readyAt - r.at);
    const state = !m.loaded ? `the app waits for a fix (${ms} ms)` : m.urls.length ? `serving again in ${ms} ms` : `running again in ${ms} ms`;
    this.log.info({ message: `restarted (${r.reason}): ${state}`, event: { type: "restart", reason: r.reason, ms, loaded: m.loaded, urls: m.urls } });
  }

  private onExit(app: AppProcess, code: number | null, signal: string | null, reloading: boolean): void {
    this.app = undefined;
    if (this.stopping) return;
    if (this.fatal !== undefined) {
      if (!this.bannerShown) return this.started.reject(new UsageError(this.fatal));
      return this.failed(`the app cannot start: ${this.fatal}`, app.savedWhileBusy);
    }
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    // Exiting during a hot reload may be the saved code's doing, or not: a restart tells.
    if (this.readyAt === undefined || (!reloading && performance.now() - this.readyAt < EXIT_SOON_MS)) {
      return this.failed(`the app ${why} ${this.readyAt === undefined ? "while starting" : "right after starting"}`, app.savedWhileBusy);
    }
    if (++this.autoRestarts > MAX_AUTO_RESTARTS) {
      return this.failed(`the app ${why} again, after ${MAX_AUTO_RESTARTS} restarts with no save in between`, app.savedWhileBusy);
    }
    void this.restartApp(`the app ${why}`);
  }

  /**
   * The watchdog: the app is killed (a loop lets no dispose hook run). Started again, the
   * same code would loop again, so the next save restarts it.
   */
  private onStuck(app: AppProcess, before: boolean): void {
    app.kill();
    this.app = undefined;
    // Stuck before the save reached it (a request handler in a loop): the save is likely the fix.
    if (before) return void this.restartApp(`the app stopped answering (a request handler in an endless loop?); ${this.busyWith} changed`);
    const who = this.readyAt === undefined ? `${rel(this.o.entry)} (or a module it imports)` : this.busyWith;
    this.failed(`${who} did not finish running within ${WATCHDOG_MS / 1000} s (an endless loop?): stopped the app`, app.savedWhileBusy);
  }

  /**
   * The app cannot run as it is on disk: one line says why, and the next save restarts it;
   * when a save reached the app while it hung (perhaps the fix), it restarts now.
   */
  private failed(why: string, savedMeanwhile: boolean): void {
    const r = this.restart;
    this.restart = undefined;
    const next = savedMeanwhile ? "restarting for the save made meanwhile" : "saving a file restarts it";
    const message = `${r ? `restarted (${r.reason}), but ` : ""}${why}; ${next}`;
    this.log.error({ message, event: { type: "restart", reason: r?.reason ?? why, failed: why } });
    if (!this.bannerShown) this.firstBanner([], false, false);
    if (savedMeanwhile) void this.restartApp("a save made meanwhile");
  }

  /** Stops the app process (dispose hooks, bounded; at once when it is stuck) and starts a fresh one. */
  private async restartApp(reason: string): Promise<void> {
    if (this.stopping || this.restarting) return;
    this.restarting = true;
    this.restart = { reason, at: performance.now() };
    const old = this.app;
    this.app = undefined;
    try {
      if (old) await old.stop(old.busySince !== undefined ? 0 : RESTART_GRACE_MS);
      // A killed app leaves its socket file behind: a stale one is replaced, as at start-up
      // (something else listening there is left alone, and the new app says so).
      if (this.o.unix) await (await import("../server/unix-socket.ts")).claimSocketPath(this.o.unix);
    } finally {
      this.restarting = false;
    }
    if (!this.stopping) this.spawn();
  }

  /** First signal: dispose hooks run (bounded), exit 0. A second one exits at once with 130. */
  private stop(signal: string): void {
    if (this.stopping) {
      this.log.warn({ message: `${signal} again: exiting now`, event: { type: "stop", signal, forced: true } });
      for (const app of this.live) app.kill();
      process.exit(130);
    }
    this.stopping = true;
    const message = signal === "stdin" ? "stdin closed (the MCP client disconnected): shutting down" : "shutting down (Ctrl+C again to force)";
    this.log.info({ message, event: { type: "stop", signal } });
    this.watcher?.close();
    void Promise.all([...this.live].map((app) => app.stop(STOP_GRACE_MS))).finally(() => process.exit(0));
  }

  private onSignals(): void {
    process.on("SIGINT", () => this.stop("SIGINT"));
    process.on("SIGTERM", () => this.stop("SIGTERM"));
    process.on("SIGHUP", () => this.stop("SIGHUP"));
  }

  /** The banner, once: the first start is over (or still loading, or failed). */
  private firstBanner(urls: string[], loaded: boolean, mcpStdio: boolean, pending = "waiting for a fix"): void {
    this.bannerShown = true;
    this.waitingBanner = !loaded;
    this.banner(urls, loaded, mcpStdio, pending);
    this.started.resolve();
  }

  /** Where it serves, what it watches, and on which Bun: the first thing a user reads. */
  private banner(urls: string[], loaded: boolean, mcpStdio: boolean, pending: string): void {
    const { o, scope } = this;
    const served = [...urls, ...(mcpStdio ? ["an MCP server on stdio"] : [])];
    const where = served.length ? `serving ${served.join(", ")}` : loaded ? "running as a script (no server)" : pending;
    const ex = [...scope.exclude.filter((e) => !e.startsWith(OWN_SRC)).map(rel), ...(scope.excludeGlobs ?? []).map((g) => g.text)];
    const watching = [...scope.include.map(rel), ...(scope.includeGlobs ?? []).map((g) => g.text)];
    // Bun's own env files are named once they exist; --env-file ones always.
    const envFrom = (o.envFiles.length ? o.envFiles : [...this.envFiles].reverse()).filter((f) => o.envFiles.length || existsSync(f));
    const event = {
      type: "start",
      version: pkg.version,
      bun: Bun.version,
      entry: o.entry,
      export: o.exportName,
      urls,
      mcpStdio,
      loaded,
      watching: [...scope.include, ...(scope.includeGlobs ?? []).map((g) => g.text)],
      excluding: [...scope.exclude.filter((e) => !e.startsWith(OWN_SRC)), ...(scope.excludeGlobs ?? []).map((g) => g.text)],
      envFiles: envFrom,
    };
    this.log.info({
      event,
      message:
        `hmr-run ${pkg.version} on Bun ${Bun.version}: ${where}\n` +
        `  entry ${rel(o.entry)}${o.exportName ? ":" + o.exportName : ""}, watching ${watching.join(", ")}` +
        (ex.length ? `, excluding ${ex.join(", ")}` : "") +
        (envFrom.length ? `, env from ${envFrom.map(rel).join(", ")}` : "") +
        `\n  r + Enter reloads everything, R + Enter restarts, Ctrl+C stops`,
    });
    // The entry is loaded either way, but outside the scope it is never re-run: say so once.
    if (!inScope(o.entry, scope)) this.log.warn(`${rel(o.entry)} is outside the watched paths: edits to it will not reload`);
  }
}
