/**
 * `POST /__hmr-run/mcp`: an MCP endpoint on the dev server (Streamable HTTP, stateless,
 * JSON responses), so an agent can ask what the app is doing: status, reload, graph,
 * why, logs. Only loopback clients are answered, and a browser page from another origin
 * gets 403 (the MCP spec's DNS-rebinding guard). `--no-mcp` leaves the route out.
 *
 * Hand-written rather than built on `@modelcontextprotocol/sdk`: the SDK brings express,
 * hono, ajv, zod and jose (over 6 MB) for what is here a few JSON-RPC methods; the SDK's
 * own client checks this endpoint in test/mcp-endpoint.test.ts.
 */
import type { Server } from "bun";
import pkg from "../../package.json" with { type: "json" };
import type { DevTool } from "./mcp-tools.ts";
import { messageOf } from "../errors.ts";

/** The reserved path. */
export const MCP_PATH = "/__hmr-run/mcp";

/** Protocol versions this endpoint speaks; a client asking for another gets the newest. */
const VERSIONS = ["2025-06-18", "2025-03-26", "2024-11-05"];

type Rpc = { jsonrpc?: string; id?: string | number | null; method?: string; params?: Record<string, unknown> };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Is `address` this machine's loopback (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8)? */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

/**
 * Only pages of the dev server itself may call it from a browser: an `Origin`, when sent,
 * must be a loopback origin on the server's own port. The `Host` is checked the same way,
 * which stops DNS rebinding for clients that send no Origin.
 */
export function allowedOrigin(origin: string | null, host: string | null, port: number | undefined): boolean {
  const ok = (h: string) => {
    let u: URL;
    try {
      u = new URL(h.includes("://") ? h : `http://${h}`);
    } catch {
      return false;
    }
    const p = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    return LOOPBACK_HOSTS.has(u.hostname) && (port === undefined || p === port);
  };
  return (host === null || ok(host)) && (origin === null || ok(origin));
}

/** The route handler for `MCP_PATH`, answering with `tools`. */
export function mcpHandler(tools: () => DevTool[]) {
  return async (req: Request, server?: Server<any>): Promise<Response> => {
    const ip = server?.requestIP(req)?.address;
    // A Unix socket has no IP: only this machine can reach it.
    if (ip !== undefined && !isLoopback(ip)) return text(403, "the MCP endpoint answers loopback clients only");
    if (!allowedOrigin(req.headers.get("origin"), req.headers.get("host"), server?.port)) return text(403, "foreign Origin or Host");
    if (req.method !== "POST") return text(405, "POST JSON-RPC messages here; this endpoint has no event stream", { allow: "POST" });
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return Response.json(failure(null, -32700, "Parse error: the body is not JSON"), { status: 400 });
    }
    const batch = Array.isArray(body);
    const messages = (batch ? body : [body]) as Rpc[];
    const answers = (await Promise.all(messages.map((m) => answer(m, tools)))).filter((a) => a !== undefined);
    // Only notifications (or responses): nothing to say back.
    if (!answers.length) return new Response(null, { status: 202 });
    return Response.json(batch ? answers : answers[0]);
  };
}

async function answer(m: Rpc, tools: () => DevTool[]): Promise<object | undefined> {
  if (!m || typeof m !== "object" || typeof m.method !== "string") {
    return m && typeof m === "object" && "id" in m && !("result" in m || "error" in m) ? failure(m.id ?? null, -32600, "Invalid Request") : undefined;
  }
  if (m.id === undefined || m.id === null) return undefined; // A notification.
  const id = m.id;
  switch (m.method) {
    case "initialize": {
      const asked = String(m.params?.protocolVersion ?? "");
      return success(id, {
        protocolVersion: VERSIONS.includes(asked) ? asked : VERSIONS[0],
        capabilities: { tools: {} },
        serverInfo: { name: "hmr-run", version: pkg.version },
        instructions: "hmr-run's dev server: status, reload, graph, why and logs of the running app.",
      });
    }
    case "ping":
      return success(id, {});
    case "tools/list":
      return success(id, { tools: tools().map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) });
    case "tools/call": {
      const name = m.params?.name;
      const tool = tools().find((t) => t.name === name);
      if (!tool) return failure(id, -32602, `unknown tool ${String(name)}; tools: ${tools().map((t) => t.name).join(", ")}`);
      try {
        const out = await tool.run((m.params?.arguments as Record<string, unknown>) ?? {});
        return success(id, { content: [{ type: "text", text: typeof out === "string" ? out : JSON.stringify(out, null, 2) }] });
      } catch (err) {
        // A tool's failure is the tool's answer, for the agent to read (MCP's isError).
        return success(id, { content: [{ type: "text", text: messageOf(err) }], isError: true });
      }
    }
    default:
      return failure(id, -32601, `Method not found: ${m.method}`);
  }
}

const success = (id: string | number, result: unknown) => ({ jsonrpc: "2.0", id, result });
const failure = (id: string | number | null, code: number, message: string) => ({ jsonrpc: "2.0", id, error: { code, message } });
const text = (status: number, body: string, headers: Record<string, string> = {}) => new Response(body + "\n", { status, headers });
