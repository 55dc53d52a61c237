/**
 * The one place where an outcome becomes words: a line for people (`--log-format text`),
 * an event for programs (`--log-format json`, docs/log-format.md), and the summaries the
 * browser overlay and the MCP `status` tool show. A new outcome is one new case here;
 * the compiler points at every switch that must handle it.
 */
import type { ErrorReport } from "../errors.ts";
import { where } from "../errors.ts";
import { errorJson, type LogEvent } from "../log-json.ts";
import { shown } from "../paths.ts";
import type { Down, Outcome, ReloadPhase, RestartReason } from "./outcome.ts";

export type Level = "success" | "info" | "warn" | "error" | "debug";

/** One line of hmr-run's log: `message` is the text line (frame included), `event` its JSON form. */
export interface Line {
  level: Level;
  message: string;
  event: LogEvent;
}

const rel = (p: string) => shown(p) || ".";
const list = (files: string[]) => files.map(rel).join(", ");
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const round = (ms: number) => Math.round(ms * 10) / 10;

/** What the renderer needs to know besides the outcome. */
export interface RenderContext {
  /** The entry, named when a start hangs before any module said what it loads. */
  entry: string;
}

/** The lines an outcome prints, first the main one; debug lines after it. */
export function render(o: Outcome, ctx: RenderContext): Line[] {
  switch (o.kind) {
    case "reloaded": {
      const files = o.files.length ? list(o.files) : "every module";
      const full = o.full ? ` (full reload: ${o.full})` : "";
      const event = {
        type: "reload", ok: true, outcome: "ok", files: o.files, executed: o.executed, evicted: o.evicted,
        stoppedAt: o.stoppedAt, full: o.full, ranAlone: o.ranAlone, workers: o.workers, ms: round(o.ms),
      };
      const n = o.executed.length;
      const workers = o.workers?.length ? `; ${plural(o.workers.length, "worker")} ${list(o.workers)} restarted` : "";
      const serving = o.nowServing?.length ? `; serving ${o.nowServing.join(", ")}` : "";
      if (n === 0 && o.evicted.length) {
        // Only import() reaches these modules: nothing runs now, the next import() loads them fresh.
        return [line("success", `${files} → evicted in ${o.ms.toFixed(1)} ms; the next import() loads the new code${full}${workers}${serving}`, event)];
      }
      const stop = o.stoppedAt.length ? `, stopped at ${list(o.stoppedAt)} (exports unchanged)` : "";
      const alone = o.ranAlone?.length ? `; ${o.ranAlone.length} the one import did not reach ran on their own after it (${list(o.ranAlone)})` : "";
      const out = [line("success", `${files} → ${plural(n, "module")} re-ran in ${o.ms.toFixed(1)} ms${stop}${full}${alone}${workers}${serving}`, event)];
      for (const p of o.executed) {
        const why = o.because[p];
        const because = why && why !== p ? why : undefined;
        out.push(line("debug", `  ${rel(p)}${because ? ` re-ran because it imports ${rel(because)}` : " changed"}`, { type: "ran", module: p, because }));
      }
      const lazy = o.evicted.filter((p) => !o.executed.includes(p));
      if (lazy.length) out.push(line("debug", `  evicted (next import() loads them fresh): ${list(lazy)}`, { type: "evicted", modules: lazy }));
      return out;
    }
    case "rolled-back": {
      const full = o.full ? ` (${o.full})` : "";
      const title = `reload failed after ${list(o.files)} changed${full}; rolled back in ${o.ms.toFixed(1)} ms: the previous code of ${plural(o.restored.length, "module")} runs and serves again`;
      const event = { type: "reload", ok: false, outcome: "rolled-back", phase: o.phase, files: o.files, restored: o.restored, full: o.full, ms: round(o.ms) };
      return [errorLine(title, o.error, event)];
    }
    case "failed": {
      const full = o.full ? ` (${o.full})` : "";
      const files = o.files.length ? list(o.files) : "every module";
      const event = { type: "reload", ok: false, outcome: "failed", phase: o.phase, files: o.files, full: o.full, ms: round(o.ms) };
      if (o.start) return [errorLine("the app failed to start; waiting for a fix", o.error, { ...event, type: "error" })];
      if (o.phase === "check") return [errorLine(`reload failed after ${files} changed; nothing was disposed, the previous code keeps running`, o.error, event)];
      if (!o.rollbackError) return [errorLine(`reload failed after ${files} changed, ${PHASE[o.phase]}${full}`, o.error, event)];
      // The old code failing the same way means what changed is outside it (an env variable, a data file).
      const same = o.rollbackError.message === o.error.message;
      const then = same
        ? "; the previous code fails the same way now, so the handlers from before keep answering until a save fixes it"
        : "; running the previous code again failed too, so the handlers from before keep answering until a save fixes it";
      const out = [errorLine(`reload failed after ${files} changed, ${PHASE[o.phase]}${full}${then}`, o.error, event)];
      if (!same) out.push(errorLine("the previous code failed with", o.rollbackError, { type: "error" }));
      return out;
    }
    case "held":
      return [line("debug", `${list(o.files)} failed (${o.error.message.split("\n")[0]}), but more of the same write arrived: trying again with it`, { type: "held", files: o.files, error: errorJson(o.error) })];
    case "ignored": {
      const event = { type: "skip", files: o.files, reason: o.reason };
      switch (o.reason.why) {
        case "unchanged":
          return [line("debug", `${list(o.files)}: nothing the app runs changed`, event)];
        case "unused":
          return [line("debug", `${list(o.files)}: not part of the app`, event)];
        case "self-write":
          return [line("warn", `${rel(o.reason.reader)} writes ${rel(o.reason.file)}, which it reads while it loads: that write does not reload it (edits made elsewhere still do)`, event)];
        case "env-same":
          return [line("info", `${list(o.files)} changed no variable: nothing to reload`, event)];
        case "config-same":
          return [line("debug", `${list(o.files)} saved with the same content: nothing to restart`, event)];
        case "restarting":
          return [line("info", `${o.reason.by}: the app is restarting already, which runs every module anew`, event)];
        default:
          return unreachable(o.reason);
      }
    }
    case "restarted": {
      const ms = Math.round(o.ms);
      const state = o.state === "waiting" ? `the app waits for a fix (${ms} ms)` : o.state === "serving" ? `serving again in ${ms} ms` : `running again in ${ms} ms`;
      const event = { type: "restart", reason: o.reason, ms, loaded: o.state !== "waiting", urls: o.urls };
      return [line("info", `restarted (${restartText(o.reason, ctx)}): ${state}`, event)];
    }
    case "down": {
      const why = downText(o.cause, o.after);
      const next = o.restarting ? "restarting for the save made meanwhile" : "saving a file restarts it";
      const message = `${o.after ? `restarted (${restartText(o.after, ctx)}), but ` : ""}${why}; ${next}`;
      return [line("error", message, { type: "down", cause: o.cause, after: o.after, restarting: o.restarting })];
    }
    case "workers-restarted": {
      const message = `${list(o.files)} → ${o.workers.length === 1 ? "worker" : "workers"} ${list(o.workers)} restarted in ${o.ms.toFixed(1)} ms`;
      return [line("success", message, { type: "workers", files: o.files, workers: o.workers, ms: round(o.ms) })];
    }
    case "long": {
      const who = o.module ? rel(o.module) : o.files.length ? list(o.files) : `${rel(ctx.entry)} (or a module it imports)`;
      const s = Math.round(o.ms / 1000);
      const what = o.answering
        ? `has been loading for ${s} s (a top-level await that never settles, or a slow start?)`
        : `has been running for ${s} s without answering (an endless loop, or a long computation?)`;
      const message = `${who} ${what}; it keeps running: a save restarts the app with the new code, R + Enter restarts it now`;
      return [line("warn", message, { type: "long", phase: o.phase, module: o.module, files: o.files, ms: Math.round(o.ms), answering: o.answering })];
    }
    case "waiting": {
      const why = o.paused ? "the app is paused in the debugger" : "the app is not answering (paused in a debugger, or busy)";
      const message = `${why}: ${list(o.files)} will reload once it answers (R + Enter restarts it)`;
      return [line("warn", message, { type: "waiting", files: o.files, paused: o.paused })];
    }
    case "stopping": {
      if (o.forced) return [line("warn", `${o.signal} again: exiting now`, { type: "stop", signal: o.signal, forced: true })];
      if (o.cutOff !== undefined) {
        return [line("warn", `the app's shutdown did not end within ${(o.cutOff / 1000).toFixed(1)} s: ending it`, { type: "stop", signal: o.signal, cutOff: o.cutOff })];
      }
      const message =
        o.signal === "stdin" ? "stdin closed (the MCP client disconnected): shutting down"
        : o.signal === "SIGINT" ? "shutting down (Ctrl+C again to force)"
        : o.signal === "q" ? "shutting down"
        : `shutting down (${o.signal}; a second signal forces it)`;
      return [line("info", message, { type: "stop", signal: o.signal })];
    }
    case "serving":
      return [line("info", `serving ${o.urls.join(", ") || "(no server: running as a script)"} (the start took ${(o.ms / 1000).toFixed(1)} s)`, { type: "serving", urls: o.urls, ms: Math.round(o.ms) })];
    default:
      return unreachable(o);
  }
}

/** Why a restart happened, as the line says it. */
export function restartText(r: RestartReason, ctx: RenderContext): string {
  switch (r.why) {
    case "config":
      return `${list(r.files)} changed`;
    case "exited":
      return `the app ${exitText(r.code, r.signal)}`;
    case "stuck": {
      const who = r.module ? rel(r.module) : r.files.length ? "the reload" : `${rel(ctx.entry)}`;
      const what = r.answering ? `${who} never finished loading` : `${who} stopped answering`;
      return r.files.length ? `${what}; ${list(r.files)} changed` : what;
    }
    case "unresponsive":
      return `the app stopped answering (a request handler in an endless loop?)${r.files.length ? `; ${list(r.files)} changed` : ""}`;
    case "stale":
      return `${list(r.files)} changed; ${rel(r.module)} did not run again in this process`;
    case "failed-start":
    case "saved":
      return r.files.length ? `${list(r.files)} changed` : "a save";
    case "key":
      return "R + Enter";
    case "mcp":
      return "the MCP reload tool";
    default:
      return unreachable(r);
  }
}

function exitText(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function downText(c: Down["cause"], after?: RestartReason): string {
  if (c.why === "fatal") return `the app cannot start: ${c.message}`;
  const same = after?.why === "exited" && after.code === c.code && after.signal === c.signal;
  const how = `${exitText(c.code, c.signal)}${same ? " again" : ""}`;
  if (c.when === "starting") return `the app ${how} while starting`;
  if (c.when === "soon") return `the app ${how} right after starting`;
  return `the app ${how}${how.endsWith("again") ? "" : " again"}, after 3 restarts with no save in between`;
}

/** Where a reload stopped, as the line says it. */
const PHASE: Record<ReloadPhase, string> = {
  check: "before anything ran",
  dispose: "while disposing modules",
  run: "while running modules",
  serve: "while serving the entry",
};

function line(level: Level, message: string, event: LogEvent): Line {
  return { level, message, event: { ...event, message: message.split("\n")[0] } };
}

/** `title (file:line:column): message`, then the code frame; the event carries the error as data. */
export function errorLine(title: string, error: ErrorReport, event: LogEvent): Line {
  const at = error.location ? ` (${where(error.location)})` : "";
  const message = `${title}${at}: ${error.message}${error.frame ? "\n" + error.frame : ""}`;
  return { level: "error", message, event: { ...event, message: title, error: errorJson(error) } };
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown outcome ${JSON.stringify(x)}`);
}
