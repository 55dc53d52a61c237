/**
 * The app process: `hmr-run` starts this file in a child Bun process, the only one that
 * runs user code. It loads the app, applies the batches of saved files the supervisor
 * sends (src/supervisor/), answers its heartbeat, and stops when told. Data flows one
 * way: supervisor → app (reloader → graph/loader → host).
 */
import { App, EntryError } from "./app.ts";
import { dirname, relative } from "node:path";
import { EnvFiles, envFilesOf } from "./env/files.ts";
import { createLogger, muteErrors } from "./log.ts";
import { makeScope } from "./loader/scope.ts";
import { ServeError } from "./server/host.ts";
import { dieWithParent } from "./child/die-with-parent.ts";
import { own } from "./runtime/own.ts";
import { installMcpStdio, SERVER_HOOK } from "./mcp/stdio.ts";
import { hookMcpServer } from "./mcp/server-hook.ts";
import type { Message } from "./mcp/stdio-hub.ts";
import { enableMcpSessions } from "./server/mcp-sessions.ts";
import type { RunOptions } from "./options.ts";
import type { FromApp, ToApp } from "./supervisor/protocol.ts";

const send = (m: FromApp) => process.send?.(m);

/** Runs the app until the supervisor says stop; every outcome the supervisor needs goes back over IPC. `said`: see "start" in protocol.ts. */
export async function runApp(o: RunOptions, said: string[] = []): Promise<void> {
  const log = createLogger(o.logLevel, o.logFormat);
  // Ctrl+C in a terminal (and a closing terminal, or a service manager stopping the whole
  // group) reaches this process too: the supervisor decides, and sends "stop" so dispose
  // hooks run here. If it dies instead, this process dies with it (die-with-parent.ts).
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
  // This process was started with --no-env-file, from the shell's environment: the env
  // files are applied here, so an edit of one can be applied again.
  const env = new EnvFiles(envFilesOf(o), process.env);
  for (const w of env.apply().warnings) log.warn(w);
  const app = new App({
    entry: o.entry,
    exportName: o.exportName,
    scope: makeScope(o.include, o.exclude, o.cwd),
    log,
    serve: { hostname: o.hostname, port: o.port, unix: o.unix, tls: o.tls, explicit: o.explicit },
    servesElsewhere: () => mcp.connected,
    beforeReload: o.clear ? () => process.stderr.write("\x1B[2J\x1B[3J\x1B[H") : undefined,
    onSlowLoad: (path) => send({ t: "slow", path }),
    // After "idle": a process with no reload running is stopped gracefully, hooks included.
    restart: (why) => void app.idle().then(() => own.setImmediate(() => send({ t: "restart", why }))),
  });
  for (const line of said) app.host.placement.said.add(line);
  app.host.placement.onSaid = (line) => send({ t: "said", line });
  enableMcpSessions(app);
  if (o.mcp) {
    const { enableMcp } = await import("./server/mcp.ts");
    enableMcp(app, o.cwd, () => send({ t: "restart", why: "the MCP reload tool" }));
  }
  if (o.refresh) {
    const { enableRefresh } = await import("./server/refresh.ts");
    enableRefresh(app);
  }

  const envSet = new Set(env.files);
  /** The last batch received; "idle" says every batch up to it has been applied. */
  let received = 0;
  const settled = (p: Promise<void>, seq: number) => void p.then(() => send({ t: "idle", seq: Math.max(seq, received) }));
  const changed = (files: Set<string>) => {
    const envChanged = [...files].filter((f) => envSet.has(f));
    if (envChanged.length) {
      for (const f of envSet) files.delete(f);
      const { changed, warnings } = env.apply();
      for (const w of warnings) log.warn(w);
      const names = envChanged.map((f) => relative(process.cwd(), f)).join(", ");
      // A comment or a reordering changes no variable: nothing would run differently.
      if (changed.length) {
        log.info(`env files changed (${changed.join(", ")}): reloading the app`);
        return app.reloadAll(`${names} changed ${changed.join(", ")}`, envChanged);
      }
      log.info(`${names} changed no variable: nothing to reload`);
    }
    return app.changed(files);
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // A reload stuck on a top-level await must not keep the dispose hooks from running.
    app
      .stop(500)
      .catch((err) => log.error("shutdown failed", err))
      .finally(() => process.exit(0));
  };
  let readySent = false;
  // How the last reload that ran something ended, for the MCP stdio hub.
  let outcome: "ok" | "rolled-back" | "failed" = "ok";
  app.listeners.add((r) => void (r.kind !== "skipped" && (outcome = r.kind)));
  const mcp = installMcpStdio({
    settled: async () => {
      await app.idle();
      return outcome;
    },
    // The client closed stdin: the session is over, for hmr-run too.
    onEnd: () => send({ t: "quit", why: "stdin" }),
    warn: (m) => log.warn(m),
    // Before "ready", the banner says so; a server that connects later gets a line of its own.
    onConnect: () => void (readySent && log.info("serving an MCP server on stdio")),
    session: o.mcpSession as Message[] | undefined,
    onSession: (messages) => send({ t: "mcpSession", messages }),
    projectDirs: [process.cwd(), dirname(o.entry)],
  });
  // An McpServer shared across reloads: registrations belong to the module that made them.
  (globalThis as Record<symbol, unknown>)[SERVER_HOOK] = (cls: Parameters<typeof hookMcpServer>[0]) =>
    hookMcpServer(cls, {
      owner: () => app.hot.caller(),
      onDispose: (owner, fn) => app.hot.context(owner).dispose(fn),
      settled: () => app.idle(),
    });
  process.on("message", (m: ToApp) => {
    if (m.t === "ping") send({ t: "pong" });
    else if (m.t === "more") app.more();
    else if (m.t === "changed") settled(changed(new Set(m.files)), (received = m.seq));
    else if (m.t === "reloadAll") {
      log.info("reloading the whole app (r)");
      settled(app.reloadAll("r + Enter"), (received = m.seq));
    } else if (m.t === "stop") stop();
  });

  // A server that cannot bind or an export that cannot be served ends the run with one
  // line; a broken module instead waits for a fix, logged as usual.
  const isFatal = (err: unknown) => err instanceof ServeError || err instanceof EntryError;
  const unmute = muteErrors(log, isFatal);
  // `import.meta.main` and `Bun.main` name the app's entry, as under `bun main.ts`: apps
  // start their server only `if (import.meta.main)`.
  (Bun as { main: string }).main = o.entry;
  try {
    await app.start();
  } finally {
    unmute();
  }
  if (!app.loaded && isFatal(app.lastError)) {
    await app.stop();
    fatal((app.lastError as Error).message);
  }
  const servers = app.host.servers();
  const urls = app.host.urls();
  readySent = true;
  send({ t: "ready", urls, loaded: app.loaded, port: servers[0]?.port, mcpStdio: mcp.connected });
}

function fatal(message: string): never {
  send({ t: "fatal", message });
  process.exit(2);
}

if (import.meta.main) {
  if (!process.send) {
    console.error("hmr-run: src/dev.ts is started by hmr-run itself; run `hmr-run <entry>` instead");
    process.exit(2);
  }
  // The options come as the first message, never in the environment (see "start" in protocol.ts).
  const { options, parent, said } = await new Promise<Extract<ToApp, { t: "start" }>>((resolve) => {
    const first = (m: ToApp) => {
      if (m.t !== "start") return;
      process.off("message", first);
      resolve(m);
    };
    process.on("message", first);
    // hmr-run died before sending it: nothing to run for.
    process.once("disconnect", () => process.exit(0));
  });
  dieWithParent(parent);
  // The app sees the argv `bun entry ...args` would give it; apps read their own arguments from index 2.
  process.argv = [process.execPath, options.entry, ...(options.args ?? [])];
  await runApp(options, said);
}
