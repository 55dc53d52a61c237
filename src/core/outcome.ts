/**
 * Everything a save (or a key, a crash, a hang) can end in, as data: the decision core
 * reports one of these, and src/core/render.ts is the one place that turns it into a
 * log line, a JSON event, a browser overlay or an MCP summary. Plain data only (no Error,
 * no Map): outcomes cross the IPC channel between the two processes.
 */
import type { ErrorReport } from "../errors.ts";

/** Where a reload stopped: the pre-dispose check, dispose hooks, running modules, serving the entry. */
export type ReloadPhase = "check" | "dispose" | "run" | "serve";

/** Why the app process was started again. A new reason is one more case here and in render.ts. */
export type RestartReason =
  /** A file Bun reads only at start-up changed (package.json, a lockfile, bunfig.toml, tsconfig.json). */
  | { why: "config"; files: string[] }
  /** The app process exited (or was killed) by itself. */
  | { why: "exited"; code: number | null; signal: string | null }
  /** A save arrived while a start or reload had been running for long (a loop, an await that never settles). */
  | { why: "stuck"; module?: string; files: string[]; ms: number; answering: boolean }
  /** A save arrived while the app, idle, answered nothing (a request handler in an endless loop). */
  | { why: "unresponsive"; files: string[] }
  /** A module's new code cannot run in this process: Bun's registry kept its old instance out of reach. */
  | { why: "stale"; module: string; files: string[] }
  /** A module threw at start-up: Bun keeps the modules the throw left unrun, so the fix needs a fresh process. */
  | { why: "failed-start"; files: string[] }
  /** The app had stopped (exited, or could not start) and a save came. */
  | { why: "saved"; files: string[] }
  /** R + Enter. */
  | { why: "key" }
  /** The dev server's MCP `reload` tool with `restart: true`. */
  | { why: "mcp" };

/** Why a save ran nothing. */
export type IgnoredReason =
  /** Same text, or the same code once transpiled (a comment, formatting, a type). */
  | { why: "unchanged" }
  /** The file is not part of what the app runs (a log it writes, an editor's temp file). */
  | { why: "unused" }
  /** The app itself wrote the file while a module that reads it was loading. */
  | { why: "self-write"; file: string; reader: string }
  /** An env file changed, but no variable did. */
  | { why: "env-same" }
  /** A config file was saved with the same content (a touch). */
  | { why: "config-same" }
  /** A reload or restart asked for (`by`: a key, the MCP tool) while the app restarts, which loads every module anew. */
  | { why: "restarting"; by: string };

interface Base {
  /** The files that caused it (saved files, an env file, the modules of a forced reload). */
  files: string[];
}

/** The new code is served. */
export interface Reloaded extends Base {
  kind: "reloaded";
  ms: number;
  /** Modules that ran again, in the order they ran. */
  executed: string[];
  evicted: string[];
  /** Modules that ran again with identical exports, so their importers did not. */
  stoppedAt: string[];
  /** For each executed module, the module it was run again for (itself when it changed). */
  because: Record<string, string>;
  /** Modules of a batch that its one import did not run, imported one by one after it. */
  ranAlone?: string[];
  /** Set when every module ran again, with the reason. */
  full?: string;
  /** Workers restarted after the main thread's part succeeded. */
  workers?: string[];
  /** The first load that worked after a failed start: where the app serves now. */
  nowServing?: string[];
}

/** A module threw while running (or the entry could not be served): the last good code runs and serves again. */
export interface RolledBack extends Base {
  kind: "rolled-back";
  ms: number;
  phase: "run" | "serve";
  error: ErrorReport;
  /** Modules whose last good source ran again, in order. */
  restored: string[];
  full?: string;
}

/** Nothing new is served: refused before any dispose, or bringing the old code back failed too. */
export interface Failed extends Base {
  kind: "failed";
  ms: number;
  phase: ReloadPhase;
  error: ErrorReport;
  /** Why the old code could not run again, when a rollback was tried. */
  rollbackError?: ErrorReport;
  full?: string;
  /** The app's first load failed: it waits for a fix. */
  start?: boolean;
}

/** A failure not told: more of the same write arrived, and the next reload retries with it. */
export interface Held extends Base {
  kind: "held";
  error: ErrorReport;
}

/** A save that runs nothing. */
export interface Ignored extends Base {
  kind: "ignored";
  reason: IgnoredReason;
}

/** A new app process serves (or waits for a fix). */
export interface Restarted {
  kind: "restarted";
  reason: RestartReason;
  ms: number;
  state: "serving" | "running" | "waiting";
  urls: string[];
}

/** The app process is gone and no new one runs until a save (it exits again, or cannot start). */
export interface Down {
  kind: "down";
  /** Why it is down: exited while starting, right after starting, or in a crash loop; or cannot start. */
  cause: { why: "exited"; code: number | null; signal: string | null; when: "starting" | "soon" | "again" } | { why: "fatal"; message: string };
  /** The restart that led here, if any. */
  after?: RestartReason;
  /** A save arrived meanwhile: restarting for it now. */
  restarting: boolean;
}

/** Worker threads restarted for a save that reached only them. */
export interface WorkersRestarted extends Base {
  kind: "workers-restarted";
  workers: string[];
  ms: number;
}

/** A start or reload has been running for long: said once. */
export interface Long {
  kind: "long";
  phase: "start" | "reload";
  /** The module loading, when the app said (it cannot while a loop holds its thread). */
  module?: string;
  files: string[];
  ms: number;
  /** The app still answers (an await that never settles) or not (a loop, a debugger pause). */
  answering: boolean;
}

/** The app is paused in a debugger (or answers nothing): a save waits for it. */
export interface Waiting extends Base {
  kind: "waiting";
  paused: boolean;
}

/** hmr-run is stopping (Ctrl+C, SIGTERM, `q`, stdin closed); `forced`: a second signal, exiting at once; `cutOff`: the app's shutdown ran past its bound (ms) and is ended. */
export interface Stopping {
  kind: "stopping";
  signal: string;
  forced?: boolean;
  cutOff?: number;
}

/** A first start the banner called still loading is over: where the app serves now. */
export interface Serving {
  kind: "serving";
  urls: string[];
  /** How long the start took (ms). */
  ms: number;
}

export type Outcome = Reloaded | RolledBack | Failed | Held | Ignored | Restarted | Down | WorkersRestarted | Long | Waiting | Stopping | Serving;

/** The error of an outcome that did not serve new code, if any. */
export function errorOf(o: Outcome): ErrorReport | undefined {
  return o.kind === "failed" || o.kind === "rolled-back" ? o.error : undefined;
}
