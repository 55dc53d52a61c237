/**
 * `--log-format json`: every line hmr-run logs becomes one JSON object (NDJSON) on
 * stderr, so an editor, an agent or a CI script reads reloads and failures as data.
 * The `type`s are documented in docs/log-format.md; keep the two in step.
 */
import type { ConsolaReporter } from "consola/core";
import { formatWithOptions } from "node:util";
import type { ErrorReport } from "./errors.ts";
import { ownStderr } from "./runtime/own.ts";

/** An error as it appears in JSON lines: absolute file, 1-based line and column, code frame. */
export interface ErrorJson {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  frame?: string;
}

/** A structured event riding on a log call as `{ message, event }`; the text reporter ignores it. */
export interface LogEvent {
  type: string;
  [field: string]: unknown;
}

export function errorJson(r: ErrorReport): ErrorJson {
  return { message: r.message, file: r.location?.file, line: r.location?.line, column: r.location?.column, frame: r.frame };
}

/** consola's levels to the `type` of a plain line; `success` only ever comes with an event. */
const TYPES: Record<string, string> = { fatal: "error", error: "error", warn: "warn", log: "info", info: "info", success: "info", debug: "debug", trace: "debug" };

/** One JSON object per line: the event when the call carried one, else `{type, message}`. */
export const jsonLines: ConsolaReporter = {
  log(obj) {
    const event = (obj as { event?: LogEvent }).event;
    const body = event ?? {
      type: TYPES[obj.type] ?? "info",
      message: formatWithOptions({ colors: false }, ...obj.args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : a))),
    };
    ownStderr(JSON.stringify({ ...body, time: obj.date.toISOString() }) + "\n");
  },
};
