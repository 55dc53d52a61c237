/**
 * One run of the app in a child Bun process: spawns it, carries messages both ways, hands
 * it signals, and stops it (politely, then with SIGKILL). It decides nothing: the
 * decision core (src/core/) says when.
 */
import type { Subprocess } from "bun";
import type { RunOptions } from "../options.ts";
import type { FromApp, ToApp } from "./protocol.ts";
import { placeOf, spawnApp, takeEarlyApp, type Stdin } from "./app-spawn.ts";

/** How the process ended. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export class AppProcess {
  private readonly proc: Subprocess;
  private status: ExitStatus | undefined;
  /** The app said it runs its own shutdown (it has a handler for the signal). */
  private appShutdown = false;
  private readonly ended = Promise.withResolvers<ExitStatus>();

  /** `said`: lines earlier app processes of this run printed once already (see "start" in protocol.ts); `first`: the run's first start. */
  constructor(
    options: RunOptions,
    said: string[],
    stdin: Stdin,
    first: boolean,
    held: string[],
    onMessage: (m: FromApp) => void,
    /** At once when the process ends; `onExit` follows a moment later, once its last messages are read. */
    onGone: () => void,
    onExit: (status: ExitStatus) => void,
  ) {
    // src/dev.ts sets the app's process.argv from the options, as `bun entry ...args` would.
    const place = placeOf(options, first);
    const child = (first ? takeEarlyApp(stdin, place) : undefined) ?? spawnApp(stdin, place);
    this.proc = child.proc;
    // Queued until the child's channel is up; it loads nothing before this.
    this.send({ t: "start", options, parent: process.pid, said, first, held });
    // Last: an app process started early may have exited already, and says so now.
    child.attach((m) => {
      // The app's own signal handler runs its shutdown: a stop waits for it, up to its bound.
      if (m.t === "stopping" && m.handled) this.appShutdown = true;
      onMessage(m);
    }, (code, signal) => {
      this.status = { code, signal };
      onGone();
      // The last message (why it cannot start) was written before the exit, but the exit
      // can be noticed first: its reading gets a moment to come through.
      setTimeout(() => {
        this.ended.resolve(this.status!);
        onExit(this.status!);
      }, 10);
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): boolean {
    return this.status !== undefined;
  }

  send(m: ToApp): void {
    if (this.status) return;
    try {
      this.proc.send(m);
    } catch {
      // The process is exiting; its exit tells the core what to do.
    }
  }

  /** Hands the process a signal, as a terminal or a service manager would hand it to `bun`. */
  signal(signal: string): void {
    if (!this.status) this.proc.kill(signal as NodeJS.Signals);
  }

  /**
   * Asks for a clean exit: the app's own SIGTERM handler if it has one (as `bun --watch`
   * does at a restart), else hmr-run's dispose hooks. After `graceMs` (or at once when 0)
   * it is killed; an app running its own shutdown gets `appShutdownMs` on top.
   */
  async stop(graceMs: number, appShutdownMs = 0): Promise<ExitStatus> {
    if (this.status) return this.ended.promise;
    if (graceMs > 0) {
      this.send({ t: "stop", restart: true });
      const exited = (ms: number) => Promise.race([this.ended.promise.then(() => true), Bun.sleep(ms).then(() => false)]);
      if (await exited(graceMs)) return this.ended.promise;
      if (this.appShutdown && (await exited(appShutdownMs))) return this.ended.promise;
    }
    this.kill();
    return this.ended.promise;
  }

  /** SIGKILL: for a stuck app, or when hmr-run must exit at once. */
  kill(): void {
    if (!this.status) this.proc.kill("SIGKILL");
  }
}
