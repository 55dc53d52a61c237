/**
 * hmr-run's own output: one consola instance, and the one place where a reload's
 * outcome becomes text.
 */
import { createConsola, type ConsolaInstance, type ConsolaReporter } from "consola/core";
import { formatWithOptions } from "node:util";
import { shown } from "./paths.ts";
import type { ReloadPhase, ReloadResult } from "./reloader.ts";
import { messageOf, report, where } from "./errors.ts";
import { errorJson, jsonLines, type LogEvent } from "./log-json.ts";

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
  log(obj, ctx) {
    const text = formatWithOptions({ colors: false }, ...obj.args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : a)));
    const line = `[${obj.type}]${obj.tag ? ` [${obj.tag}]` : ""} ${text}\n`;
    (ctx.options.stderr ?? process.stderr).write(line);
  },
};

/** The logger for hmr-run's own output, at `--log-level` `level`, in `--log-format` `format`. */
export function createLogger(level: LogLevel, format: LogFormat = "text"): ConsolaInstance {
  return createConsola({ level: LEVEL[level], reporters: [format === "json" ? jsonLines : lines], defaults: { tag: "hmr-run" }, formatOptions: { date: false } });
}

const rel = (p: string) => shown(p);

/** Prints an error with file:line:column and a code frame; `fields` start its JSON event. */
export function logError(
  log: ConsolaInstance,
  title: string,
  err: unknown,
  isUserFile: (f: string) => boolean,
  fields: LogEvent = { type: "error", message: title },
): void {
  const r = report(err, isUserFile);
  const at = r.location ? ` (${where(r.location)})` : "";
  // The error rides along as `cause` so a reporter can tell what was logged (see muteErrors).
  const event = { ...fields, error: errorJson(r) };
  log.error({ message: `${title}${at}: ${r.message}${r.frame ? "\n" + r.frame : ""}`, cause: err, event });
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

/** One line per reload: what changed, what ran or why nothing new is served, how long it took. */
export function logResult(log: ConsolaInstance, res: ReloadResult, isUserFile: (f: string) => boolean): void {
  const files = res.files.length ? res.files.map(rel).join(", ") : "every module";
  switch (res.kind) {
    case "skipped":
      log.debug({ message: `${files}: ${res.reason}`, event: { type: "skip", files: res.files, reason: res.reason } });
      return;
    case "failed": {
      const full = res.full ? ` (${res.full})` : "";
      const fields = { type: "reload", ok: false, outcome: res.kind, phase: res.phase, files: res.files, full: res.full, ms: round(res.ms) };
      if (res.phase === "check") {
        logError(log, `reload failed after ${files} changed; nothing was disposed, the previous code keeps running`, res.error, isUserFile, fields);
        return;
      }
      if (res.rollbackError === undefined) {
        logError(log, `reload failed after ${files} changed, ${PHASE[res.phase]}${full}`, res.error, isUserFile, fields);
        return;
      }
      // The old code failing the same way means what changed is outside it (an env variable, a data file).
      const same = messageOf(res.rollbackError) === messageOf(res.error);
      const then = same
        ? "; the previous code fails the same way now, so the handlers from before keep answering until a save fixes it"
        : "; running the previous code again failed too, so the handlers from before keep answering until a save fixes it";
      logError(log, `reload failed after ${files} changed, ${PHASE[res.phase]}${full}${then}`, res.error, isUserFile, fields);
      if (!same) logError(log, "the previous code failed with", res.rollbackError, isUserFile);
      return;
    }
    case "rolled-back": {
      const full = res.full ? ` (${res.full})` : "";
      const n = res.restored.length;
      const fields = { type: "reload", ok: false, outcome: res.kind, phase: res.phase, files: res.files, restored: res.restored, full: res.full, ms: round(res.ms) };
      const title = `reload failed after ${files} changed${full}; rolled back in ${res.ms.toFixed(1)} ms: the previous code of ${n} module${n === 1 ? "" : "s"} runs and serves again`;
      logError(log, title, res.error, isUserFile, fields);
      return;
    }
    case "ok": {
      const n = res.executed.length;
      const full = res.full ? ` (full reload: ${res.full})` : "";
      const event = {
        type: "reload", ok: true, outcome: res.kind, files: res.files, executed: res.executed, evicted: res.evicted,
        stoppedAt: res.stoppedAt, full: res.full, ranAlone: res.ranAlone, ms: round(res.ms),
      };
      if (n === 0 && res.evicted.length) {
        // Only import() reaches these modules: nothing runs now, the next import() loads them fresh.
        log.success({ message: `${files} → evicted in ${res.ms.toFixed(1)} ms; the next import() loads the new code${full}`, event });
        return;
      }
      const stop = res.stoppedAt.length ? `, stopped at ${res.stoppedAt.map(rel).join(", ")} (exports unchanged)` : "";
      const alone = res.ranAlone?.length ? `; ${res.ranAlone.length} the one import did not reach ran on their own after it (${res.ranAlone.map(rel).join(", ")})` : "";
      log.success({ message: `${files} → ${n} module${n === 1 ? "" : "s"} re-ran in ${res.ms.toFixed(1)} ms${stop}${full}${alone}`, event });
      for (const p of res.executed) {
        const why = res.because.get(p);
        const because = why && why !== p ? why : undefined;
        const message = `  ${rel(p)}${because ? ` re-ran because it imports ${rel(because)}` : " changed"}`;
        log.debug({ message, event: { type: "ran", module: p, because } });
      }
      const lazy = res.evicted.filter((p) => !res.executed.includes(p));
      if (lazy.length) log.debug({ message: `  evicted (next import() loads them fresh): ${lazy.map(rel).join(", ")}`, event: { type: "evicted", modules: lazy } });
      return;
    }
    default:
      return unreachable(res);
  }
}

/** Where a reload stopped, as the log line says it. */
const PHASE: Record<ReloadPhase, string> = {
  check: "before anything ran",
  dispose: "while disposing modules",
  run: "while running modules",
  serve: "while serving the entry",
};

function unreachable(x: never): never {
  throw new Error(`unhandled reload result ${JSON.stringify(x)}`);
}

/** Milliseconds to 0.1, as the text lines show them. */
const round = (ms: number) => Math.round(ms * 10) / 10;
