/**
 * Wires the dev server's MCP endpoint into a running app: the view the tools read, the
 * reload listener that remembers outcomes, and the route. Loaded only without `--no-mcp`.
 */
import type { App } from "../app.ts";
import type { ReloadResult } from "../reloader.ts";
import { OutputTail } from "../output-tail.ts";
import { mcpHandler, MCP_PATH } from "./mcp-endpoint.ts";
import { devTools, type DevView } from "./mcp-tools.ts";

/** Adds `POST /__hmr-run/mcp` to every server the app starts; tees output for the `logs` tool. */
export function enableMcp(app: App, cwd: string): void {
  const tail = new OutputTail();
  tail.install();
  const startedAt = Date.now();
  let last: { result: ReloadResult; at: number } | undefined;
  let lastOk: Extract<ReloadResult, { kind: "ok" }> | undefined;
  let started = false;
  app.listeners.add((result) => {
    if (result.kind === "skipped") return;
    // The first successful load is the start, not a reload.
    const first = !started && result.kind === "ok";
    started ||= first;
    if (first) return;
    last = { result, at: Date.now() };
    if (result.kind === "ok") lastOk = result;
  });
  const view: DevView = {
    entry: app.o.entry,
    cwd,
    startedAt,
    urls: () => app.host.servers().flatMap((s) => (s.url ? [s.url.href] : [])),
    graph: app.graph,
    isUserFile: app.isUserFile,
    last: () => last,
    lastOk: () => lastOk,
    lastError: () => app.lastError,
    reloadAll: () => app.reloadAll(),
    logs: (n) => tail.last(n),
  };
  const tools = devTools(view);
  app.host.ownRoutes[MCP_PATH] = mcpHandler(() => tools);
  app.host.refreshAll();
}
