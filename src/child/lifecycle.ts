/**
 * The app's life under hmr-run as under `bun`: Ctrl+C and SIGTERM reach the app process
 * as they would reach `bun main.ts`. An app that listens for the signal runs its own
 * handler and decides how (and with which code) it exits; its `exit` and `beforeExit`
 * listeners run as they would. An app that does not listen is stopped by hmr-run (dispose
 * hooks, servers closed, each bounded) and then ends by the signal, as `bun` would have
 * at once.
 */
import type { Signal } from "../core/events.ts";
import { own } from "../runtime/own.ts";

const SIGNALS: Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface Lifecycle {
  /** A signal arrived; `handled` when the app listens for it itself. */
  told(handled: boolean): void;
  /** hmr-run's own stop: dispose hooks and servers, bounded. */
  stop(): Promise<void>;
  /** Dispose hooks, without waiting for any: the process is exiting. */
  disposeNow(): void;
  /** How long the app's own handler may take before hmr-run stops it (ms). */
  appShutdownMs: number;
}

/** Our own listener for each signal, to tell the app's apart. */
const ours = new Map<Signal, () => void>();

/** Does the app listen for `signal` itself (a shutdown handler of its own)? */
export function appListensFor(signal: Signal): boolean {
  return process.listeners(signal).some((l) => l !== ours.get(signal));
}

/** Takes SIGINT, SIGTERM and SIGHUP for the app process; call before any of the app's code runs. */
export function takeSignals(life: Lifecycle): void {
  let stopping = false;
  for (const signal of SIGNALS) {
    const ours_ = () => {
      if (stopping) return;
      stopping = true;
      // Listeners other than this one are the app's: its handler runs in this same emit.
      const handled = appListensFor(signal);
      life.told(handled);
      if (handled) return appShutdown(signal, ours_, life);
      void life.stop().finally(() => raise(signal, ours_));
    };
    ours.set(signal, ours_);
    process.on(signal, ours_);
  }
}

/**
 * The app's handler runs its shutdown. If it exits, dispose hooks run as it does; if it
 * lets the event loop drain (servers closed), the process ends by itself as under `bun`,
 * `beforeExit` included; if it does neither within its bound, hmr-run stops it.
 */
function appShutdown(signal: Signal, ours: () => void, life: Lifecycle): void {
  process.once("exit", () => life.disposeNow());
  // hmr-run's own channel must not keep alive a process the app means to end.
  (process as { channel?: { unref?: () => void } }).channel?.unref?.();
  const bound = own.setTimeout(() => void life.stop().finally(() => raise(signal, ours)), life.appShutdownMs);
  (bound as { unref?: () => void }).unref?.();
}

/** Ends the process by `signal`, as it would have ended with no listener. */
function raise(signal: Signal, ours: () => void): void {
  process.off(signal, ours);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
