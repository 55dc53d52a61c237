/**
 * `hmr-run main.ts`: the process the user started. It keeps the terminal, the keys, the
 * watcher and the options, and runs no user code. What each save, key, crash or hang
 * means is the decision core's call (src/core/core.ts); this file only feeds it events
 * and carries out its commands: messages to the app process (src/dev.ts), restarts, the
 * log.
 */
import pkg from "../../package.json" with { type: "json" };
import type { ConsolaInstance } from "consola/core";
import { keysOn, listenKeys } from "../keys.ts";
import { createLogger, printLines } from "../log.ts";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { inScope, isFile, makeScope, type Scope, watchRoots } from "../loader/scope.ts";
import { shown } from "../paths.ts";
import { UsageError, type RunOptions } from "../options.ts";
import { AppProcess, type ExitStatus } from "./app-process.ts";
import { envFilesOf } from "../env/files.ts";
import { shellEnv } from "../env/shell.ts";
import { ConfigFiles } from "./config-files.ts";
import { Watcher } from "../watcher.ts";
import type { FromApp } from "./protocol.ts";
import { Driver } from "../core/driver.ts";
import type { Command, Signal } from "../core/events.ts";
import { POLICY } from "../core/policy.ts";
import { kindOf } from "../core/kind.ts";
import { render } from "../core/render.ts";
import { inspectUrls, type Inspect } from "../inspect.ts";
import { forwardedExecArgv, type ExecArgv } from "../own-args.ts";
import { Holder, type Address } from "./holder.ts";
import { addressKey } from "../server/reuse-port.ts";

const rel = (p: string) => shown(p) || ".";
/** hmr-run's own sources, always excluded from the scope; not worth showing in the banner. */
const OWN_SRC = join(import.meta.dir, "..");
const SIGNALS: Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Runs hmr-run until Ctrl+C; throws UsageError when the app cannot start at all. */
export async function runSupervisor(o: RunOptions): Promise<void> {
  await new Supervisor(o).start();
}

class Supervisor {
  private readonly log: ConsolaInstance;
  private readonly scope: Scope;
  private readonly configs: ConfigFiles;
  private readonly stdin: "inherit" | "ignore";
  private readonly driver: Driver;
  private watcher: Watcher | undefined;
  /** The app process the core talks to; undefined while a restart is between processes. */
  private app: AppProcess | undefined;
  /** Every app process not yet exited (one, plus the old one during a restart). */
  private readonly live = new Set<AppProcess>();
  /** The MCP stdio session the app process serves, as it last reported it. */
  private mcpSession: object[] | undefined;
  /** Lines said once per run by an app process: the next one, after a restart, does not repeat them. */
  private readonly said = new Set<string>();
  private readonly started = Promise.withResolvers<void>();
  /** hmr-run is stopping: a restart under way does not start a new process. */
  private stopping = false;
  /** App processes started so far. */
  private spawns = 0;
  /** The TCP addresses the app served at when it last started: held during a restart. */
  private listening: Address[] = [];
  /** Holds those addresses from a restart's start until the new process serves (or says why not). */
  private holder: Holder | undefined;
  /** The files Bun would load into the app's environment: --env-file, else .env and friends. */
  private readonly envFiles: string[];

  constructor(private readonly o: RunOptions) {
    this.envFiles = envFilesOf(o, shellEnv(o.cwd));
    this.log = createLogger(o.logLevel, o.logFormat);
    this.scope = makeScope(o.include, o.exclude, o.cwd);
    this.configs = new ConfigFiles([o.cwd, ...watchRoots(this.scope).filter((d) => !isFile(d))]);
    this.stdin = keysOn() ? "ignore" : "inherit";
    // Under a debugger, an app that answers nothing may be paused at a breakpoint: never restarted for it.
    const policy = { ...POLICY, debugger: !!o.inspect, firstStartWaits: !!o.inspect && o.inspect.mode !== "inspect" };
    this.driver = new Driver({ configChanged: (p) => this.configs.changed(p) }, policy, (c) => this.exec(c));
  }

  async start(): Promise<void> {
    for (const signal of SIGNALS) process.on(signal, () => this.driver.feed({ t: "signal", signal }));
    // Said before the app runs: with --inspect-wait it runs only once a debugger attaches there.
    if (this.o.inspect) this.sayInspector(this.o.inspect);
    // Watch before the entry loads: a save made while it starts is not lost.
    // OS file events, or polling where they cannot arrive; a watch limit falls back to polling.
    const extra = [...this.envFiles, ...this.configs.paths];
    const onChange = (path: string) => this.driver.feed({ t: "changed", path, kind: kindOf(path, this.envFiles) });
    this.watcher = new Watcher(this.scope, onChange, { extra, poll: this.o.poll, pollMs: this.o.pollMs, log: this.log });
    this.watcher.start();
    this.spawn();
    try {
      await this.started.promise;
    } catch (err) {
      this.watcher.close();
      this.driver.close();
      throw err;
    }
    listenKeys(
      { r: () => this.driver.feed({ t: "key", key: "r" }), R: () => this.driver.feed({ t: "key", key: "R" }), q: () => this.driver.feed({ t: "key", key: "q" }) },
      () => this.log.info("keys: r + Enter reloads everything, R + Enter restarts the app, q + Enter or Ctrl+C stops"),
    );
  }

  private spawn(): void {
    // A restarted app process takes over the MCP client's session (stdin is the same pipe).
    const options = this.mcpSession ? { ...this.o, mcpSession: this.mcpSession } : this.o;
    const app: AppProcess = new AppProcess(
      options,
      [...this.said],
      this.stdin,
      this.spawns++ === 0,
      this.holder ? this.listening.map((a) => addressKey(a.hostname, a.port)) : [],
      (m) => app === this.app && this.onMessage(m),
      () => app === this.app && this.driver.feed({ t: "gone" }),
      (status) => {
        this.live.delete(app);
        if (app !== this.app) return;
        this.app = undefined;
        this.driver.feed({ t: "exited", ...status });
      },
    );
    this.app = app;
    this.live.add(app);
  }

  /** Every message from the app process: facts for the core, or bookkeeping of the run. */
  private onMessage(m: FromApp): void {
    switch (m.t) {
      case "ready":
        // A restart must come back where the browser is: `--port 0` keeps the port it got.
        if (this.o.port === 0 && m.port) this.o.port = m.port;
        if (m.listening.length) this.listening = m.listening;
        return this.driver.feed({ t: "ready", loaded: m.loaded, urls: m.urls, mcpStdio: m.mcpStdio, failure: m.failure });
      case "checked":
        return this.driver.feed({ t: "checked", id: m.id, verdict: m.verdict, reloading: m.reloading });
      case "reloaded":
        return this.driver.feed({ t: "reloaded", id: m.id, reply: m.reply });
      case "pong":
        return this.driver.feed({ t: "pong" });
      case "fatal":
        return this.driver.feed({ t: "fatal", message: m.message });
      case "asked":
        return this.driver.feed({ t: "asked", ask: m.ask, ticket: m.ticket });
      case "quit":
        return this.driver.feed({ t: "quit" });
      case "slow":
        return this.driver.feed({ t: "slow", module: m.module });
      case "stopping":
        return this.driver.feed({ t: "stopping", handled: m.handled });
      case "mcpSession":
        this.mcpSession = m.messages;
        return;
      case "said":
        this.said.add(m.line);
        return;
      default:
        return unreachable(m);
    }
  }

  /** Carries out one of the core's commands. */
  private exec(c: Command): void {
    switch (c.do) {
      case "check":
        return this.app?.send({ t: "check", id: c.id, files: c.files, force: c.force, full: c.full, env: c.env, then: c.then });
      case "reload":
        return this.app?.send({ t: "reload", id: c.id, full: c.full, env: c.env });
      case "report":
        // The app process first: its MCP endpoint and open pages then know of it as the line appears.
        this.app?.send({ t: "outcome", outcome: c.outcome, tickets: c.tickets });
        return printLines(this.log, render(c.outcome, { entry: this.o.entry }));
      case "banner":
        this.banner(c.urls, c.state === "ready", c.mcpStdio, c.state === "loading" ? `still loading ${c.loading ? rel(c.loading) : rel(this.o.entry)}` : "waiting for a fix");
        return this.started.resolve();
      case "hold":
        return this.hold();
      case "restart":
        return void this.restart(c.graceMs);
      case "ping":
        return this.app?.send({ t: "ping" });
      case "signal":
        this.stopping = true;
        this.watcher?.close();
        for (const app of this.live) app.signal(c.signal);
        return;
      case "stop":
        this.stopping = true;
        this.watcher?.close();
        for (const app of this.live) app.send({ t: "stop" });
        return;
      case "kill":
        for (const app of this.live) app.kill();
        return;
      case "serve":
        this.holder?.release();
        this.holder = undefined;
        return;
      case "unavailable":
        return this.holder?.down(c.why === "down" ? "the app is down until a file is saved" : "the app waits for a fix to its code");
      case "exit":
        return this.exit(c.code, c.signal);
      case "fatal":
        return this.started.reject(new UsageError(c.message));
      default:
        return unreachable(c);
    }
  }

  /** Stops the app process (dispose hooks, bounded; at once when it is stuck) and starts a fresh one. */
  private async restart(graceMs: number): Promise<void> {
    const old = this.app;
    this.app = undefined;
    // Listening beside the old process before it stops: no connection is refused in between.
    this.hold();
    let status: ExitStatus = { code: 0, signal: null };
    if (old) status = await old.stop(graceMs, POLICY.appShutdownMs);
    // A killed app leaves its socket file behind: a stale one is replaced, as at start-up
    // (something else listening there is left alone, and the new app says so).
    if (this.o.unix) await (await import("../server/unix-socket.ts")).claimSocketPath(this.o.unix);
    // Stopped meanwhile (Ctrl+C during the restart): the old process's end is hmr-run's.
    if (this.stopping) return this.driver.feed({ t: "exited", ...status });
    this.spawn();
    this.driver.feed({ t: "spawned" });
  }

  /** Listens at the app's last addresses until a new process serves (see holder.ts). */
  private hold(): void {
    if (this.holder || !this.listening.length) return;
    this.holder = new Holder(this.listening);
    this.holder.hold();
  }

  /** hmr-run ends as the app did: with its exit code, or by the same signal. */
  private exit(code: number, signal?: Signal): never {
    this.watcher?.close();
    this.holder?.close();
    this.driver.close();
    for (const app of this.live) app.kill();
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code);
  }

  private sayInspector(i: Inspect): void {
    const { ws, browser } = inspectUrls(i);
    const wait = i.mode === "inspect" ? "" : `; the app waits for a debugger to attach${i.mode === "brk" ? `, then pauses at the first line of ${rel(this.o.entry)}` : ""}`;
    this.log.info({ message: `debugger: ${ws} (in a browser: ${browser}), the same address after every restart${wait}`, event: { type: "inspect", url: ws, browser, mode: i.mode } });
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
    for (const line of execArgvNotes(forwardedExecArgv(process.execArgv))) this.log.warn(line);
    // The entry is loaded either way, but outside the scope it is never re-run: say so once.
    if (!inScope(o.entry, scope)) this.log.warn(`${rel(o.entry)} is outside the watched paths: edits to it will not reload`);
  }
}

/** What `bun <flags> hmr-run` did that the user may not expect, one line each. */
function execArgvNotes(e: ExecArgv): string[] {
  const out: string[] = [];
  if (e.inspect) out.push(`${e.inspect} opened Bun's debugger in hmr-run's own process, which runs none of your code: write hmr-run --inspect <entry> to debug the app`);
  if (e.preloads.length) out.push(`${e.preloads.join(", ")} also ran in hmr-run's own process (given to bun before hmr-run); write --preload after hmr-run to run it in the app alone`);
  if (e.ignored.length) out.push(`${e.ignored.join(" ")} given to bun applies to hmr-run's own process only: hmr-run reloads the app by itself`);
  return out;
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown message ${JSON.stringify(x)}`);
}
