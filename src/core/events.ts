/**
 * What goes into the decision core and what comes out of it. The core reads events and
 * returns commands; the processes around it carry the commands out and decide nothing.
 */
import type { ErrorReport } from "../errors.ts";
import type { Outcome, RestartReason } from "./outcome.ts";

/** What a changed path is, as far as deciding goes. */
export type FileKind =
  /** A module (.ts, .js, .tsx, ...). */
  | "code"
  /** A data file a module may import or read (.json, .toml, .yaml). */
  | "data"
  /** An env file the app process loads. */
  | "env"
  /** A file Bun reads once at start-up (package.json, bun.lock, bunfig.toml, tsconfig.json). */
  | "config"
  /** Anything else: a template a module reads, or a log the app writes. It never restarts anything. */
  | "other";

export type Signal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** What the app process found when it checked a batch, before anything was disposed. */
export type Verdict = VerdictFacts &
  (
    | { kind: "ok" }
    | { kind: "refused"; error: ErrorReport }
    /** Files of the app, but nothing it runs changed. */
    | { kind: "unchanged" }
    /** No file of the batch is part of the app. */
    | { kind: "unused" }
  );

interface VerdictFacts {
  /** The files the line names (the saved files of the app's graph). */
  files: string[];
  /** Files seen empty, probably mid-write: look again shortly. */
  lookAgain?: string[];
  /** Files the app wrote itself while a module that reads them ran (first time each). */
  selfWrites?: Array<{ file: string; reader: string }>;
  /** Variables the batch's env files change (empty: they change none). */
  envVars?: string[];
  /** Only a fresh process can run the app's new code (its start threw part-way). */
  fresh?: boolean;
}

/** A verdict after which the core could only say "reload": a plain ok, with no env value changed and no fresh process needed. */
export function reloadsAtOnce(v: Verdict): boolean {
  return v.kind === "ok" && !v.fresh && !v.envVars?.length;
}

/** How a reload the core asked for ended, as the app process reports it. */
export interface ReloadReply {
  outcome: Outcome;
  /** A module whose new code cannot run in this process: only a fresh one runs it. */
  stale?: string;
  /** The app has served its entry at least once (it may have been waiting for a fix). */
  loaded: boolean;
  urls: string[];
}

export type Event =
  /** One path changed on disk. */
  | { t: "changed"; path: string; kind: FileKind }
  /** The time the core asked to be woken at has come (or any time: ticks are idempotent). */
  | { t: "tick" }
  /** A new app process was started. */
  | { t: "spawned" }
  /** The app process finished its start: `loaded` false while its entry waits for a fix (`failure` says why). */
  | { t: "ready"; loaded: boolean; urls: string[]; mcpStdio: boolean; failure?: Outcome }
  /** `reloading`: the verdict left nothing to decide and the app went on to reload (see "check"). */
  | { t: "checked"; id: number; verdict: Verdict; reloading?: boolean }
  | { t: "reloaded"; id: number; reply: ReloadReply }
  | { t: "pong" }
  /** The app says which module has been loading for a while (it can, unless a loop holds its thread). */
  | { t: "slow"; module: string }
  /** The app process cannot start for a reason no save fixes (a port in use, a missing export). */
  | { t: "fatal"; message: string }
  /** The app process has ended (its last messages may still be on their way; "exited" follows). */
  | { t: "gone" }
  | { t: "exited"; code: number | null; signal: string | null }
  | { t: "key"; key: "r" | "R" | "q" }
  | { t: "signal"; signal: Signal }
  /** The app process has a signal handler of its own (it takes up to its bound to stop), or not. */
  | { t: "stopping"; handled: boolean }
  /** Asked from inside the app: the MCP reload tool, `import.meta.hot.invalidate()`. */
  | { t: "asked"; ask: Ask; ticket?: number }
  /** A debugger paused (or resumed) the app's thread. */
  | { t: "paused"; paused: boolean }
  /** The app's MCP stdio client closed stdin: the session, and hmr-run, are over. */
  | { t: "quit" };

export type Ask = { what: "restart" } | { what: "reloadAll" } | { what: "invalidate"; files: string[] };

export type Command =
  /**
   * Check a batch in the app process (no dispose, no run). `full`: every module runs, for
   * this reason. `then: "reload"`: when the verdict leaves nothing to decide
   * (`reloadsAtOnce`), reload at once rather than wait for a reload command: the core
   * would send that command anyway, and the round trip costs a save half a millisecond.
   */
  | { do: "check"; id: number; files: string[]; force: boolean; full?: string; env: boolean; then?: "reload" }
  /** Reload what check `id` accepted; `full`: every module instead (the env changed). */
  | { do: "reload"; id: number; full?: string; env: boolean }
  /** Tell the user (and the app's listeners: the browser refresh, the MCP endpoint). */
  | { do: "report"; outcome: Outcome; tickets?: number[] }
  /** The first start is over, still loading (`loading`: the module, when known), or failed: print the banner. */
  | { do: "banner"; urls: string[]; state: "ready" | "loading" | "failed"; loading?: string; mcpStdio: boolean }
  /** No app process serves for now: listen at its addresses and hold what comes (until "serve" or "unavailable"). */
  | { do: "hold" }
  /** Stop the app process (dispose hooks for `graceMs`; killed at once when 0) and start a new one. */
  | { do: "restart"; reason: RestartReason; graceMs: number }
  | { do: "ping" }
  /** The restarted app serves: connections held during the restart go to it. */
  | { do: "serve" }
  /** The app cannot serve until a save: connections get a 503 saying so (`down`: no process; `fix`: its entry waits for a fix). */
  | { do: "unavailable"; why: "down" | "fix" }
  /** Hand the app process the signal the user sent hmr-run. */
  | { do: "signal"; signal: Signal }
  /** Ask the app process to stop: dispose hooks, servers closed, exit 0 (an MCP client went away). */
  | { do: "stop" }
  /** SIGKILL the app process. */
  | { do: "kill" }
  /** hmr-run ends: with the app's exit code, or by the signal that ended it. */
  | { do: "exit"; code: number; signal?: Signal }
  /** The first start cannot happen at all: one line, exit code 2. */
  | { do: "fatal"; message: string };
