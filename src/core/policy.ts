/**
 * The times the decision core (src/core/core.ts) decides by, in one place, each with the
 * measurement or the promise behind it. Tests pass their own.
 */
import { SETTLE_DEFAULTS, type SettleOptions } from "./settle.ts";

export interface Policy extends SettleOptions {
  /** A failed reload waits this long for more of the same write before it is told (ms): a tool's next file comes sooner. */
  holdMs: number;
  /** A start or reload running this long is said once; a save made while it runs restarts the app (ms). */
  longMs: number;
  /** Pings unanswered this long: the app is not answering (a loop in a request handler, a debugger pause) (ms). */
  unansweredMs: number;
  /** How often the app is pinged: a few microseconds of its time, a hang seen within 1 to 2 s (ms). */
  pingMs: number;
  /** An app that exits this soon after serving would exit again: it waits for a save (ms). */
  exitSoonMs: number;
  /** Restarts after exits with no save in between; past this, a crash loop waits for a save. */
  maxAutoRestarts: number;
  /** A file seen empty right after a save is looked at again this much later (a truncate seen before the write) (ms). */
  lookAgainMs: number;
  /** Dispose hooks get this long at a restart before the old process is killed (ms). */
  restartGraceMs: number;
  /** hmr-run's own part of a stop (dispose hooks, servers closed) before the app process is killed (ms). */
  stopGraceMs: number;
  /** The app's own signal handler gets this long to finish its shutdown, on top of `stopGraceMs` (ms). */
  appShutdownMs: number;
  /** A fresh process can be started (the CLI); in one process (hmr-run/testing) every fix is applied in place. */
  canRestart: boolean;
  /** A debugger may be attached (`--inspect`): an app that answers nothing may be paused at a breakpoint, and is never restarted for it. */
  debugger: boolean;
  /** The first start waits for a debugger to attach (`--inspect-wait`, `--inspect-brk`): it is never long. */
  firstStartWaits: boolean;
  /** A save held up by an app that answers nothing is said only if it is still held this long (ms): a resumed debugger answers within it. */
  waitTellMs: number;
}

export const POLICY: Policy = {
  ...SETTLE_DEFAULTS,
  holdMs: 20,
  longMs: 3000,
  unansweredMs: 1000,
  pingMs: 1000,
  exitSoonMs: 1000,
  maxAutoRestarts: 3,
  lookAgainMs: 30,
  restartGraceMs: 1000,
  stopGraceMs: 2500,
  appShutdownMs: 5000,
  canRestart: true,
  debugger: false,
  firstStartWaits: false,
  waitTellMs: 300,
};
