/**
 * `hmr-run main.ts`: the dev server process. Starts the app, the watcher, env files,
 * the keyboard and signal handling, and prints the banner. The data flows one way:
 * watcher → app (reloader → graph/loader → host).
 */
import { relative } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { App, EntryError } from "./app.ts";
import { listenKeys } from "./keys.ts";
import { EnvFiles, EnvFileError } from "./env.ts";
import { createLogger, muteErrors } from "./log.ts";
import { inScope, makeScope, type Scope } from "./loader/scope.ts";
import { Watcher } from "./watcher.ts";
import { ServeError } from "./server/host.ts";
import type { RunOptions } from "./options.ts";
import { UsageError } from "./options.ts";
import { installMcpStdio } from "./mcp/stdio.ts";
import type { StdioHub } from "./mcp/stdio-hub.ts";

const rel = (p: string) => relative(process.cwd(), p) || ".";
/** hmr-run's own sources, always excluded from the scope; not worth showing in the banner. */
const OWN_SRC = import.meta.dir;

/** Runs the dev server until Ctrl+C; throws UsageError for input that cannot start. */
export async function runDev(o: RunOptions): Promise<void> {
  const log = createLogger(o.logLevel, o.logFormat);
  const env = new EnvFiles(o.envFiles);
  try {
    env.apply();
  } catch (err) {
    if (err instanceof EnvFileError) throw new UsageError(err.message);
    throw err;
  }
  const scope = makeScope(o.include, o.exclude, o.cwd);
  const app = new App({
    entry: o.entry,
    exportName: o.exportName,
    scope,
    log,
    serve: { hostname: o.hostname, port: o.port, unix: o.unix, tls: o.tls, explicit: o.explicit },
    servesElsewhere: () => mcp.connected,
    beforeReload: o.clear ? () => process.stderr.write("\x1B[2J\x1B[3J\x1B[H") : undefined,
  });
  if (o.refresh) {
    const { enableRefresh } = await import("./server/refresh.ts");
    enableRefresh(app);
  }


  const envSet = new Set(o.envFiles);
  const watcher = new Watcher(
    scope,
    (files) => {
      const envChanged = [...files].some((f) => envSet.has(f));
      if (envChanged) {
        try {
          const { changed } = env.apply();
          log.info(`env files changed (${changed.length ? changed.join(", ") : "no variable"}): reloading the app`);
          void app.reloadAll();
        } catch (err) {
          log.error(err instanceof Error ? err.message : String(err));
        }
        for (const f of envSet) files.delete(f);
      }
      if (files.size) void app.changed(files);
    },
    { extra: o.envFiles },
  );
  const shutdown = onSignals(log, async () => {
    watcher.close();
    await app.stop();
  });
  const mcp = installMcpStdio({
    settled: async () => {
      await app.idle();
      return app.lastError === undefined;
    },
    onEnd: () => shutdown("stdin"),
    warn: (m) => log.warn(m),
  });
  // Watch before the entry loads: a save made while it starts is not lost.
  watcher.start();
  // A server that cannot bind or an export that cannot be served ends the run with one
  // line (the UsageError below); a broken module instead waits for a fix, logged as usual.
  const fatal = (err: unknown) => err instanceof ServeError || err instanceof EntryError;
  const unmute = muteErrors(log, fatal);
  try {
    await app.start();
  } finally {
    unmute();
  }
  if (!app.loaded && fatal(app.lastError)) {
    watcher.close();
    await app.stop();
    throw new UsageError((app.lastError as Error).message);
  }
  banner(log, app, o, scope, mcp);

  listenKeys(
    {
      r: () => {
        log.info("reloading the whole app (r)");
        void app.reloadAll();
      },
      q: () => shutdown("q"),
    },
    () => log.info("keys: r + Enter reloads everything, q + Enter or Ctrl+C stops"),
  );
}

/** Where it serves, what it watches, and on which Bun: the first thing a user reads. */
function banner(log: ReturnType<typeof createLogger>, app: App, o: RunOptions, scope: Scope, mcp: StdioHub) {
  const urls = app.host.servers().map((s) => (s.url?.protocol === "unix:" ? `unix:${s.url.pathname}` : s.url?.href ?? `unix:${o.unix}`));
  const stdio = mcp.connected ? "an MCP server on stdio" : undefined;
  const served = [...urls, ...(stdio ? [stdio] : [])];
  const where = served.length ? `serving ${served.join(", ")}` : app.loaded ? "running as a script (no server)" : "waiting for a fix";
  const ex = scope.exclude.filter((e) => !e.startsWith(OWN_SRC));
  const event = {
    type: "start",
    version: pkg.version,
    bun: Bun.version,
    entry: o.entry,
    export: o.exportName,
    urls,
    mcpStdio: mcp.connected,
    loaded: app.loaded,
    watching: scope.include,
    excluding: ex,
    envFiles: o.envFiles,
  };
  log.info({
    event,
    message: `hmr-run ${pkg.version} on Bun ${Bun.version}: ${where}\n` +
      `  entry ${rel(o.entry)}${o.exportName ? ":" + o.exportName : ""}, watching ${scope.include.map(rel).join(", ")}` +
      (ex.length ? `, excluding ${ex.map(rel).join(", ")}` : "") +
      (o.envFiles.length ? `, env from ${o.envFiles.map(rel).join(", ")}` : "") +
      `\n  r + Enter reloads everything, Ctrl+C stops`,
  });
  // The entry is loaded either way, but outside the scope it is never re-run: say so once.
  if (!inScope(o.entry, scope)) log.warn(`${rel(o.entry)} is outside the watched paths: edits to it will not reload`);
}

/** First SIGINT/SIGTERM: dispose hooks run, servers stop, exit 0. A second one exits at once. */
function onSignals(log: ReturnType<typeof createLogger>, stop: () => Promise<void>): (why: string) => void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      log.warn({ message: `${signal} again: exiting now`, event: { type: "stop", signal, forced: true } });
      process.exit(130);
    }
    stopping = true;
    const message = signal === "stdin" ? "stdin closed (the MCP client disconnected): shutting down" : "shutting down (Ctrl+C again to force)";
    log.info({ message, event: { type: "stop", signal } });
    stop()
      .catch((err) => log.error("shutdown failed", err))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
  return handler;
}

