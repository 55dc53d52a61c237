/**
 * A reload's result as the reloader returns it (errors as thrown, a Map of causes) turned
 * into an outcome: plain data that crosses the IPC channel, errors read once into a
 * message, a location in the user's code and a code frame.
 */
import { report } from "../errors.ts";
import type { Outcome } from "../core/outcome.ts";
import type { ReloadResult } from "./result.ts";

export function outcomeOf(res: ReloadResult, isUserFile: (f: string) => boolean, workers?: string[]): Outcome {
  switch (res.kind) {
    case "ok":
      return {
        kind: "reloaded", files: res.files, ms: res.ms, executed: res.executed, evicted: res.evicted, stoppedAt: res.stoppedAt,
        because: Object.fromEntries(res.because), ranAlone: res.ranAlone, full: res.full, workers: workers?.length ? workers : undefined,
      };
    case "rolled-back":
      return { kind: "rolled-back", files: res.files, ms: res.ms, phase: res.phase, error: report(res.error, isUserFile, res.module), restored: res.restored, full: res.full };
    case "failed":
      return {
        kind: "failed", files: res.files, ms: res.ms, phase: res.phase, error: report(res.error, isUserFile, res.module), full: res.full,
        rollbackError: res.rollbackError === undefined ? undefined : report(res.rollbackError, isUserFile, res.rollbackModule),
      };
    case "skipped":
      return { kind: "ignored", files: res.files, reason: { why: "unchanged" } };
    default:
      return unreachable(res);
  }
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown reload result ${JSON.stringify(x)}`);
}
