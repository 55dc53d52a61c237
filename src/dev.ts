/**
 * The app process: `hmr-run` starts this file in a child Bun process, the only one that
 * runs user code. It loads the app, then carries out what the supervisor's decision core
 * asks (check a batch, reload it, stop) and reports facts back. It decides nothing about
 * saves. Data flows one way: supervisor → app (reloader → graph/loader → host).
 */
import { App, EntryError } from "./app.ts";
import { dirname } from "node:path";
import { EnvFiles, envFilesOf } from "./env/files.ts";
import { createLogger, muteErrors } from "./log.ts";
import { makeScope } from "./loader/scope.ts";
import { ServeError } from "./server/host.ts";
import { dieWithParent } from "./child/die-with-parent.ts";
import { appListensFor, takeSignals } from "./child/lifecycle.ts";
import { installMcpStdio, SERVER_HOOK } from "./mcp/stdio.ts";
import { hookMcpServer } from "./mcp/server-hook.ts";
import type { Message } from "./mcp/stdio-hub.ts";
import { enableMcpSessions } from "./server/mcp-sessions.ts";
import type { RunOptions } from "./options.ts";
import type { FromApp, ToApp } from "./supervisor/protocol.ts";
import { POLICY } from "./core/policy.ts";
import { firstServer } from "./server/first-server.ts";
import { holding } from "./server/reuse-port.ts";
import { ownStderr } from "./runtime/own.ts";

const send = (m: FromApp) => process.send?.(m);

/** Runs the app until the supervisor says stop; every fact the core needs goes back over IPC. `said`: see "start" in protocol.ts. */
export async function runApp(o: RunOptions, said: string[] = [], first = true, held: string[] = []): Promise<void> {
  // Addresses hmr-run holds while this process starts: its servers bind beside them.
  holding(held);
  const log = createLogger(o.logLevel, o.logFormat);
  // This process was started with --no-env-file, from the shell's environment: the env
  // files are applied here, so an edit of one can be applied again.
  const env = new EnvFiles(envFilesOf(o), process.env);
  for (const w of env.apply().warnings) log.warn(w);
  let ticket = 0;
  const app: App = new App({
    entry: o.entry,
    exportName: o.exportName,
    scope: makeScope(o.include, o.exclude, o.cwd),
    log,
    serve: { hostname: o.hostname, port: o.port, unix: o.unix, tls: o.tls, explicit: o.explicit },
    servesElsewhere: () => mcp.connected,
    beforeReload: o.clear ? () => ownStderr("\x1B[2J\x1B[3J\x1B[H") : undefined,
    onSlowLoad: (module) => send({ t: "slow", module }),
    env,
    breakAtEntry: first && o.inspect?.mode === "brk",
    ask: (ask) => {
      send({ t: "asked", ask, ticket: ++ticket });
      return ticket;
    },
  });
  // Ctrl+C, SIGTERM and SIGHUP reach this process as they would reach `bun main.ts`.
  const stop = () => app.stop(500).catch((err) => log.error("shutdown failed", err));
  takeSignals({
    told: (handled) => send({ t: "stopping", handled }),
    stop,
    disposeNow: () => app.disposeNow(),
    appShutdownMs: POLICY.appShutdownMs,
  });
  for (const line of said) app.host.placement.said.add(line);
  app.host.placement.onSaid = (line) => send({ t: "said", line });
  enableMcpSessions(app);
  if (o.mcp) {
    const { enableMcp } = await import("./server/mcp.ts");
    enableMcp(app, o.cwd);
  }
  if (o.refresh) {
    const { enableRefresh } = await import("./server/refresh.ts");
    enableRefresh(app);
  }
  let readySent = false;
  // How the last reload that ran something ended, for the MCP stdio hub.
  let outcome: "ok" | "rolled-back" | "failed" = "ok";
  app.listeners.add((r) => {
    if (r.kind === "reloaded") outcome = "ok";
    else if (r.kind === "rolled-back" || r.kind === "failed") outcome = r.kind;
  });
  const mcp = installMcpStdio({
    settled: async () => {
      await app.idle();
      return outcome;
    },
    // The client closed stdin: the session is over, for hmr-run too.
    onEnd: () => send({ t: "quit" }),
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
    switch (m.t) {
      case "start":
        return; // Taken before runApp.
      case "ping":
        return void send({ t: "pong" });
      case "check":
        return app.answerCheck(
          m,
          (verdict, reloading) => send({ t: "checked", id: m.id, verdict, reloading }),
          (reply) => send({ t: "reloaded", id: m.id, reply }),
        );
      case "reload":
        return void app.safeReload(m).then((reply) => send({ t: "reloaded", id: m.id, reply }));
      case "outcome":
        return app.told(m.outcome, m.tickets);
      case "stop":
        // A restart runs the app's own SIGTERM handler when it has one, as `bun --watch` does.
        if (m.restart && appListensFor("SIGTERM")) return void process.kill(process.pid, "SIGTERM");
        return void stop().finally(() => process.exit(0));
      default:
        return unreachable(m);
    }
  });

  // A server that cannot bind or an export that cannot be served ends the run with one
  // line; a broken module instead waits for a fix, logged as usual.
  const isFatal = (err: unknown) => err instanceof ServeError || err instanceof EntryError;
  const unmute = muteErrors(log, isFatal);
  // `import.meta.main` and `Bun.main` name the app's entry, as under `bun main.ts`: apps
  // start their server only `if (import.meta.main)`.
  (Bun as { main: string }).main = o.entry;
  let started;
  try {
    started = await app.start();
  } finally {
    unmute();
  }
  if (!app.loaded && isFatal(app.lastError)) {
    await app.stop();
    fatal((app.lastError as Error).message);
  }
  // A server started once a promise settles (NestJS's bootstrap(), Fastify's start()) is
  // waited for a moment, so the banner does not call the app a script first.
  if (app.loaded && app.script) await firstServer(app.host, mcp);
  const servers = app.host.servers();
  // From now on a server the app starts is news, said in a line of its own.
  app.host.announce = true;
  readySent = true;
  send({
    t: "ready",
    urls: app.host.urls(),
    loaded: app.loaded,
    port: servers[0]?.port,
    mcpStdio: mcp.connected,
    failure: app.loaded ? undefined : started.outcome,
    listening: app.host.listening(),
  });
}

function fatal(message: string): never {
  send({ t: "fatal", message });
  process.exit(2);
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown message ${JSON.stringify(x)}`);
}

if (import.meta.main) {
  if (!process.send) {
    console.error("hmr-run: src/dev.ts is started by hmr-run itself; run `hmr-run <entry>` instead");
    process.exit(2);
  }
  // The options come as the first message, never in the environment (see "start" in protocol.ts).
  const { options, parent, said, first, held } = await new Promise<Extract<ToApp, { t: "start" }>>((resolve) => {
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
  // And the flags `bun <flags> entry` would: hmr-run's own --no-env-file is not the app's.
  process.execArgv = process.execArgv.filter((a) => a !== "--no-env-file");
  await runApp(options, said, first, held);
}
