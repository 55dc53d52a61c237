/**
 * The messages between the `hmr-run` process (the supervisor) and the app process it
 * starts, over Bun's IPC channel. Types and one name only: neither side loads the other's code.
 * The app process writes its own log lines to the shared terminal, so reload results
 * never cross; only what the supervisor needs to decide restarts does.
 */

/** The environment variable that hands the options to the app process (removed there at once). */
export const OPTIONS_ENV = "HMR_RUN_APP_OPTIONS";

/** Supervisor → app process. */
export type ToApp =
  /** A settled batch of saved files (env files included: the app applies them). */
  | { t: "changed"; files: string[]; seq: number }
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
  /** A module has been loading for a while (a top-level await that never settles?). */
  | { t: "slow"; path: string };
