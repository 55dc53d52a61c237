/**
 * What one reload did, as data: the reloader returns it, `logResult` prints it, the
 * refresh channel and `hmr-run/testing` read it. Every outcome is one of four kinds.
 */

/** Where a reload stopped: the pre-dispose check, dispose hooks, running modules, serving the entry. */
export type ReloadPhase = "check" | "dispose" | "run" | "serve";

interface Base {
  /** The files that caused it (saved files, an env file, the modules of a forced reload). */
  files: string[];
  ms: number;
  /** Set when every module of the app ran again, with the reason (a decline, an unknown importer, a retry). */
  full?: string;
}

/** The new code is served. */
export interface ReloadOk extends Base {
  kind: "ok";
  /** Modules that ran again, in the order they ran. */
  executed: string[];
  evicted: string[];
  /** Modules that ran again with identical exports, so their importers did not. */
  stoppedAt: string[];
  /** Why each executed module ran: the module it was re-run for. */
  because: Map<string, string>;
  /** Modules of a batch that its one import did not run, imported one by one after it. */
  ranAlone?: string[];
  /** The entry namespace handed to the server, if the entry ran (checked by src/reload/verify.ts). */
  served?: Record<string, unknown>;
}

/** A module threw while running (or the entry could not be served): the last good code runs again and serves. */
export interface ReloadRolledBack extends Base {
  kind: "rolled-back";
  phase: "run" | "serve";
  error: unknown;
  /** Modules whose last good source ran again, in order. */
  restored: string[];
  /** The module being imported when it was thrown (named when the error itself says nowhere). */
  module?: string;
  /** The entry namespace the rollback handed to the server, if the entry ran again. */
  served?: Record<string, unknown>;
}

/** Nothing new is served: the check refused it before any dispose, or bringing the old code back failed too. */
export interface ReloadFailed extends Base {
  kind: "failed";
  phase: ReloadPhase;
  error: unknown;
  /** Why the old code could not run again, when a rollback was tried. */
  rollbackError?: unknown;
  /** The module being imported when `error` was thrown (named when the error itself says nowhere). */
  module?: string;
  /** The same for `rollbackError`. */
  rollbackModule?: string;
}

/** Nothing the app runs changed. */
export interface ReloadSkipped {
  kind: "skipped";
  files: string[];
  reason: string;
}

export type ReloadResult = ReloadSkipped | ReloadOk | ReloadRolledBack | ReloadFailed;

/** The error of a reload that did not serve new code, if any. */
export function errorOf(r: ReloadResult): unknown {
  return r.kind === "rolled-back" || r.kind === "failed" ? r.error : undefined;
}
