/**
 * One run of the app in a child Bun process: spawns it, talks to it over IPC, watches
 * its heartbeat, and stops it (politely, then with SIGKILL).
 */
import type { Subprocess } from "bun";
import type { RunOptions } from "../options.ts";
import type { FromApp, ToApp } from "./protocol.ts";
import { spawnApp, takeEarlyApp, type Stdin } from "./app-spawn.ts";
/** One ping a second: a few microseconds of the app's time, and a stuck app seen within 1 to 2 s. */
const PING_MS = 1000;

/** What the supervisor hears from one app process. */
export interface AppEvents {
  message(m: FromApp): void;
  /** The process ended; `signal` is set when a signal killed it, `reloading` when a reload was running. */
  exit(code: number | null, signal: string | null, reloading: boolean): void;
  /** A reload has been running and the process has not answered for `watchdogMs`; `before`: it had stopped answering before the reload began. */
  stuck(before: boolean): void;
}

export class AppProcess {
  readonly spawnedAt: number;
  /** When the running reload (or the start-up) began; undefined while the app is idle. */
  busySince: number | undefined;
  exited = false;
  /** A batch was sent while a reload (or the start-up) was still running: it may be a fix. */
  savedWhileBusy = false;
  private readonly proc: Subprocess;
  /** When the oldest ping still unanswered was sent; undefined while the app keeps up. */
  private unansweredSince: number | undefined;
  private heartbeat: Timer | undefined;
  private seq = 0;
  private moreSent = false;

  /** `said`: lines earlier app processes of this run printed once already (see "start" in protocol.ts). */
  constructor(
    options: RunOptions,
    said: string[],
    stdin: Stdin,
    private readonly events: AppEvents,
    private readonly watchdogMs: number,
  ) {
    // src/dev.ts sets the app's process.argv from the options, as `bun entry ...args` would.
    const child = takeEarlyApp(stdin, options.cwd) ?? spawnApp(stdin, options.cwd);
    this.proc = child.proc;
    this.spawnedAt = child.spawnedAt;
    // Queued until the child's channel is up; it loads nothing before this.
    this.send({ t: "start", options, parent: process.pid, said });
    // Starting counts as a reload: an endless loop at the top of a module shows here first.
    this.busy();
    // The heartbeat runs all along (an answer costs the app microseconds a second): a save
    // then knows whether the app was already stuck, in a request handler say, before it.
    this.heartbeat = setInterval(() => {
      if (this.busySince !== undefined && this.unresponsive(this.watchdogMs)) {
        const before = this.hungBeforeReload();
        this.idle();
        this.events.stuck(before);
      } else {
        this.unansweredSince ??= performance.now();
        this.send({ t: "ping" });
      }
    }, PING_MS);
    // Last: an app process started early may have exited already, and says so now.
    child.attach(
      (m) => this.onMessage(m),
      (code, signal) => {
        this.exited = true;
        clearInterval(this.heartbeat);
        const reloading = this.busySince !== undefined;
        this.idle();
        // The last message (why it cannot start) was written before the exit, but the exit
        // can be noticed first: its reading gets a moment to come through.
        setTimeout(() => this.events.exit(code, signal, reloading), 10);
      },
    );
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** A ping sent before the running reload began went unanswered: the app hung before it. */
  hungBeforeReload(): boolean {
    return this.busySince !== undefined && this.unansweredSince !== undefined && this.unansweredSince < this.busySince;
  }

  /**
   * A ping has gone unanswered for `ms`. Counted from a ping actually sent, so a hmr-run
   * process that was itself kept from running (a busy machine) never blames the app.
   */
  unresponsive(ms: number): boolean {
    return this.unansweredSince !== undefined && performance.now() - this.unansweredSince > ms;
  }

  /** Sends a batch of saved files; the app applies them as one hot reload. */
  changed(files: Iterable<string>): void {
    if (this.busySince !== undefined) this.savedWhileBusy = true;
    this.moreSent = false;
    this.busy();
    this.send({ t: "changed", files: [...files], seq: ++this.seq });
  }

  /** The batch sent last has more coming (see "more" in protocol.ts). */
  more(): void {
    this.moreSent = true;
    this.send({ t: "more" });
  }

  /** The "more" announced went nowhere (its files were not the app's): the app stops waiting. */
  noMore(): void {
    if (!this.moreSent) return;
    this.moreSent = false;
    this.busy();
    this.send({ t: "changed", files: [], seq: ++this.seq });
  }

  reloadAll(): void {
    this.busy();
    this.send({ t: "reloadAll", seq: ++this.seq });
  }

  /** Asks for dispose hooks and a clean exit; after `graceMs` (or at once when 0) kills it. */
  async stop(graceMs: number): Promise<void> {
    if (this.exited) return;
    if (graceMs > 0) {
      this.send({ t: "stop" });
      const done = await Promise.race([this.proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
      if (done) return;
    }
    this.kill();
    await this.proc.exited;
  }

  /** SIGKILL: for a stuck app, or when hmr-run must exit at once. */
  kill(): void {
    if (!this.exited) this.proc.kill("SIGKILL");
  }

  private send(m: ToApp): void {
    if (this.exited) return;
    try {
      this.proc.send(m);
    } catch {
      // The process is exiting; its exit event tells the supervisor what to do.
    }
  }

  private onMessage(m: FromApp): void {
    if (m.t === "pong") this.unansweredSince = undefined;
    else if (m.t === "ready" || (m.t === "idle" && m.seq >= this.seq)) this.idle();
    this.events.message(m);
  }

  private busy(): void {
    if (this.busySince !== undefined) return;
    this.savedWhileBusy = false;
    this.busySince = performance.now();
  }

  private idle(): void {
    this.busySince = undefined;
  }
}
