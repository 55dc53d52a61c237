/**
 * Wires the dev server's MCP endpoint into a running app: the view the tools read, the
 * reload listener that remembers outcomes, and the route. Loaded only without `--no-mcp`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "bun";
import type { App } from "../app.ts";
import type { Outcome, Reloaded } from "../core/outcome.ts";
import { render } from "../core/render.ts";
import { OutputTail } from "../output-tail.ts";
import { mcpHandler, MCP_PATH } from "./mcp-endpoint.ts";
import { devTools, type DevView } from "./mcp-tools.ts";

/** Adds `POST /__hmr-run/mcp` to every server the app starts; tees output for the `logs` tool. */
export function enableMcp(app: App, cwd: string): void {
  const tail = new OutputTail();
  tail.install();
  const startedAt = Date.now();
  let last: { result: Outcome; at: number } | undefined;
  let lastOk: Reloaded | undefined;
  app.listeners.add((result) => {
    // hmr-run's own lines are printed by the hmr-run process: the tail gets them here.
    for (const l of render(result, { entry: app.o.entry })) if (l.level !== "debug") tail.push("stderr", `[${l.level}] [hmr-run] ${l.message}\n`);
    if (result.kind !== "reloaded" && result.kind !== "rolled-back" && result.kind !== "failed") return;
    last = { result, at: Date.now() };
    if (result.kind === "reloaded") lastOk = result;
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
    reloadAll: () => app.askAndWait({ what: "reloadAll" }),
    restart: () => app.ask({ what: "restart" }),
    logs: (n) => tail.last(n),
  };
  const tools = devTools(view);
  const handler = mcpHandler(() => tools);
  app.host.ownRoutes[MCP_PATH] = handler;
  app.host.refreshAll();
  // node:http servers (Express, Koa) have no native routes: their request events are checked instead.
  const inner = app.host.wrapNodeRequest;
  app.host.wrapNodeRequest = (req, res, bun, dispatch) => {
    if ((req.url ?? "").split("?")[0] !== MCP_PATH) return inner ? inner(req, res, bun, dispatch) : dispatch();
    void serveNode(req, res, bun, handler);
  };
}

/** Answers a node:http request with `handler`, as a Bun route would. */
async function serveNode(req: IncomingMessage, res: ServerResponse, bun: Server<any>, handler: ReturnType<typeof mcpHandler>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(Buffer.from(c as Uint8Array));
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : new Uint8Array(Buffer.concat(chunks));
  const request = new Request(new URL(req.url ?? "/", bun.url).href, { method, headers, body });
  // The server view the handler checks: the client's address, the port it was reached on.
  const view = { requestIP: () => (req.socket.remoteAddress ? { address: req.socket.remoteAddress } : null), port: bun.port } as unknown as Server<any>;
  const response = await handler(request, view);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}
