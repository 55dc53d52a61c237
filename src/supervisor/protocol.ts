/**
 * The messages between the `hmr-run` process (the supervisor) and the app process it
 * starts, over Bun's IPC channel. Types only: neither side loads the other's code.
 * The app process writes its own log lines to the shared terminal, so reload results
 * never cross; only what the supervisor needs to decide restarts does.
 */

import type { RunOptions } from "../options.ts";

/** Supervisor → app process. */
export type ToApp =
  /**
   * Always the first message; the app process loads nothing before it. Over IPC, not in
   * the environment: an env var stays readable in /proc/<pid>/environ (the --tls-key
   * PEM) and is capped at 128 KiB. `said`: lines earlier app processes of this run
   * already printed (`said` messages), so a restart does not print them again.
   */
  | { t: "start"; options: RunOptions; parent: number; said: string[] }
  /** A settled batch of saved files (env files included: the app applies them). */
  | { t: "changed"; files: string[]; seq: number }
  /**
   * A change arrived right after the last batch went out: the rest of the same write
   * follows in the next "changed" (possibly with no files). The app holds that last batch
   * until then, so the write is one reload.
   */
  | { t: "more" }
  /** `r` + Enter: re-run every module in place. */
  | { t: "reloadAll"; seq: number }
  /** Once a second; an app that stops answering is stuck in a loop. */
  | { t: "ping" }
  /** Run dispose hooks, close servers, exit 0. */
  | { t: "stop" };

/** App process → supervisor. */
export type FromApp =
  /** The first load finished: `urls` it serves on, `loaded` false while it waits for a fix. */
  | { t: "ready"; urls: string[]; loaded: boolean; port?: number; mcpStdio: boolean }
  /** Every reload asked for up to batch `seq` has finished. */
  | { t: "idle"; seq: number }
  | { t: "pong" }
  /** The app cannot start for a reason no save fixes (port in use, missing export, bad env file). */
  | { t: "fatal"; message: string }
  /** A restart of the app process was asked for from inside it (the MCP endpoint's reload tool). */
  | { t: "restart"; why: string }
  /** An MCP stdio session's set-up messages changed: a restarted app process is introduced to them. */
  | { t: "mcpSession"; messages: object[] }
  /** The session is over (an MCP client closed stdin): hmr-run stops. */
  | { t: "quit"; why: "stdin" }
  /** Said once per run (`main.ts asks for port 3000`, overridden by --port): a restarted app process stays quiet about it. */
  | { t: "said"; line: string }
  /** A module has been loading for a while (a top-level await that never settles?). */
  | { t: "slow"; path: string };
