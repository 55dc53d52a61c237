/**
 * hmr-run's own output: one consola instance per process, writing through stderr as it
 * was when hmr-run loaded. The words for outcomes are src/core/render.ts's.
 */
import { createConsola, type ConsolaInstance, type ConsolaReporter } from "consola/core";
import { formatWithOptions } from "node:util";
import { report } from "./errors.ts";
import { jsonLines, type LogEvent } from "./log-json.ts";
import { errorLine, type Line } from "./core/render.ts";
import { ownStderr } from "./runtime/own.ts";

/** Levels accepted by --log-level. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Formats accepted by --log-format: lines for people, NDJSON for programs. */
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL: Record<LogLevel, number> = { silent: -999, error: 0, warn: 1, info: 3, debug: 4 };

/**
 * `[type] [tag] message` lines, all on stderr: stdout belongs to the app (an MCP stdio
 * server's JSON-RPC stream, a script piped into another program), as uvicorn keeps its own
 * log on stderr. consola's own reporters are
 * not used: the fancy one restyles `backticks` and _underscores_ (corrupting code frames of
 * template literals and snake_case names), and importing the basic one costs 13 ms of
 * start-up where consola/core costs under 2.
 */
const lines: ConsolaReporter = {
  log(obj) {
    ownStderr(lineOf(obj));
  },
};

function lineOf(obj: { type: string; tag?: string; args: unknown[] }): string {
  const text = formatWithOptions({ colors: false }, ...obj.args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : a)));
  return `[${obj.type}]${obj.tag ? ` [${obj.tag}]` : ""} ${text}\n`;
}

/**
 * The logger for hmr-run's own output, at `--log-level` `level`, in `--log-format` `format`.
 * `tap` gets every line, whatever the level (hmr-run/testing keeps them for assertions).
 */
export function createLogger(level: LogLevel, format: LogFormat = "text", tap?: (line: string) => void): ConsolaInstance {
  const print = format === "json" ? jsonLines : lines;
  const reporter: ConsolaReporter = tap
    ? {
        log(obj, ctx) {
          tap(lineOf(obj).trimEnd());
          if (obj.level <= LEVEL[level]) print.log(obj, ctx);
        },
      }
    : print;
  return createConsola({ level: tap ? LEVEL.debug : LEVEL[level], reporters: [reporter], defaults: { tag: "hmr-run" }, formatOptions: { date: false } });
}

/** Prints an error with file:line:column and a code frame; `fields` start its JSON event. */
export function logError(
  log: ConsolaInstance,
  title: string,
  err: unknown,
  isUserFile: (f: string) => boolean,
  fields: LogEvent = { type: "error", message: title },
): void {
  const l = errorLine(title, report(err, isUserFile), fields);
  // The error rides along as `cause` so a reporter can tell what was logged (see muteErrors).
  log.error({ message: l.message, cause: err, event: l.event });
}

/**
 * Drops error lines whose cause matches `drop` until the returned function is called.
 * The CLI uses it at start-up, where a fatal error (port in use, missing export) is
 * reported once, as its one-line exit message, rather than also as a log line.
 */
export function muteErrors(log: ConsolaInstance, drop: (cause: unknown) => boolean): () => void {
  const reporters = log.options.reporters;
  log.setReporters([
    {
      log: (obj, ctx) => {
        if (obj.type === "error" && "cause" in obj && drop(obj.cause)) return;
        for (const r of reporters) r.log(obj, ctx);
      },
    },
  ]);
  return () => log.setReporters(reporters);
}

/** Prints rendered outcome lines (src/core/render.ts) at their levels. */
export function printLines(log: ConsolaInstance, lines: Line[]): void {
  for (const l of lines) log[l.level]({ message: l.message, event: l.event });
}
