/**
 * The messages between the `hmr-run` process (the supervisor, where the decision core
 * runs) and the app process it starts, over Bun's IPC channel. Types only: neither side
 * loads the other's code. Each side handles every message in one exhaustive switch, so a
 * message added here is a compile error until both handle it.
 */

import type { Ask, ReloadReply, Verdict } from "../core/events.ts";
import type { Outcome } from "../core/outcome.ts";
import type { RunOptions } from "../options.ts";
import type { Address } from "./holder.ts";

/** Supervisor → app process. */
export type ToApp =
  /**
   * Always the first message; the app process loads nothing before it. Over IPC, not in
   * the environment: an env var stays readable in /proc/<pid>/environ (the --tls-key
   * PEM) and is capped at 128 KiB. `said`: lines earlier app processes of this run
   * already printed (`said` messages), so a restart does not print them again. `first`:
   * the run's first start (`--inspect-brk` pauses at the entry's first line then only).
   * `held`: addresses (`host:port`) hmr-run holds while this process starts, which it
   * binds beside (src/supervisor/holder.ts).
   */
  | { t: "start"; options: RunOptions; parent: number; said: string[]; first: boolean; held: string[] }
  /** Check these saved files (no dispose, nothing runs); answered with "checked" (and "reloaded", with `then: "reload"`: see the core's "check"). */
  | { t: "check"; id: number; files: string[]; force: boolean; full?: string; env: boolean; then?: "reload" }
  /** Reload what check `id` accepted (`full`: every module, for this reason); answered with "reloaded". */
  | { t: "reload"; id: number; full?: string; env: boolean }
  /** What was reported, for the app's listeners (browser refresh, the MCP endpoint); `tickets` name asks it answers. */
  | { t: "outcome"; outcome: Outcome; tickets?: number[] }
  /** Once a second; an app that stops answering is hung (or paused in a debugger). */
  | { t: "ping" }
  /**
   * Stop: run dispose hooks, close servers, exit 0 (`q`, a closed MCP stdin). `restart`:
   * the process is being replaced; an app with a SIGTERM handler of its own gets SIGTERM
   * instead, as `bun --watch` sends at a restart, so its shutdown runs.
   */
  | { t: "stop"; restart?: boolean };

/** App process → supervisor. */
export type FromApp =
  /** The first load finished: `urls` it serves on, `loaded` false while it waits for a fix (`failure` says why); `listening`: its TCP addresses. */
  | { t: "ready"; urls: string[]; loaded: boolean; port?: number; mcpStdio: boolean; failure?: Outcome; listening: Address[] }
  | { t: "checked"; id: number; verdict: Verdict; reloading?: boolean }
  | { t: "reloaded"; id: number; reply: ReloadReply }
  | { t: "pong" }
  /** The app cannot start for a reason no save fixes (port in use, missing export, bad env file). */
  | { t: "fatal"; message: string }
  /** A reload or a restart asked for from inside the app (the MCP endpoint's tool, `invalidate()`). */
  | { t: "asked"; ask: Ask; ticket?: number }
  /** An MCP stdio session's set-up messages changed: a restarted app process is introduced to them. */
  | { t: "mcpSession"; messages: object[] }
  /** The session is over (an MCP client closed stdin): hmr-run stops. */
  | { t: "quit" }
  /** Said once per run (`main.ts asks for port 3000`, overridden by --port): a restarted app process stays quiet about it. */
  | { t: "said"; line: string }
  /** A module has been loading for a while (a top-level await that never settles?). */
  | { t: "slow"; module: string }
  /** A signal reached the app: `handled` when the app listens for it itself (its shutdown takes its bound). */
  | { t: "stopping"; handled: boolean };
