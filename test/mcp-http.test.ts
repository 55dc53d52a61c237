/**
 * MCP servers on the SDK's Streamable HTTP transport, hot: the SDK's own client keeps
 * its session across reloads whether the app keeps one transport (Bun.serve) or a map
 * of them per session (Hono, Express), gets new code, and hears about a changed tool list.
 */
import { describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { scenarios } from "./support/scenario.ts";
import type { Fixture, Run } from "./support/fixture.ts";

const { start } = scenarios();

const TOOLS =
  `import { z } from "zod";\nimport type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\n` +
  `export function addTools(server: McpServer) {\n` +
  `  server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));\n` +
  `}\n`;

const IMPORTS =
  `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\n` +
  `import { WebStandardStreamableHTTPServerTransport as Transport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";\n` +
  `import { addTools } from "./tools.ts";\n`;

/** One transport for the whole server, made when the module runs, on a native route. */
const BUN_SERVE =
  IMPORTS +
  `const server = new McpServer({ name: "one", version: "1.0.0" });\naddTools(server);\n` +
  `const transport = new Transport({ sessionIdGenerator: () => crypto.randomUUID() });\nawait server.connect(transport);\n` +
  `export default { routes: { "/mcp": (req: Request) => transport.handleRequest(req) }, fetch: () => new Response("no", { status: 404 }) };\n`;

/** The SDK's documented shape: a server and transport per session, kept in a map. */
const HONO =
  IMPORTS +
  `import { Hono } from "hono";\n` +
  `const transports = new Map<string, Transport>();\nconst app = new Hono();\n` +
  `app.all("/mcp", async (c) => {\n` +
  `  const sid = c.req.header("mcp-session-id");\n  let t = sid ? transports.get(sid) : undefined;\n` +
  `  if (!t) {\n` +
  `    if (sid) return c.json({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session ID" }, id: null }, 400);\n` +
  `    const transport = new Transport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport) });\n` +
  `    const server = new McpServer({ name: "map", version: "1.0.0" });\n    addTools(server);\n    await server.connect(transport);\n    t = transport;\n` +
  `  }\n  return t.handleRequest(c.req.raw);\n});\nexport default app;\n`;

/** The same shape on Express, with the SDK's node:http transport. */
const EXPRESS =
  `import express from "express";\n` +
  `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\n` +
  `import { StreamableHTTPServerTransport as Transport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";\n` +
  `import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";\n` +
  `import { addTools } from "./tools.ts";\n` +
  `const transports: Record<string, Transport> = {};\nconst app = express();\napp.use(express.json());\n` +
  `app.all("/mcp", async (req, res) => {\n` +
  `  const sid = req.headers["mcp-session-id"] as string | undefined;\n  let t = sid ? transports[sid] : undefined;\n` +
  `  if (!t) {\n` +
  `    if (sid || !isInitializeRequest(req.body)) return void res.status(400).json({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session ID" }, id: null });\n` +
  `    const transport = new Transport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (id) => void (transports[id] = transport) });\n` +
  `    const server = new McpServer({ name: "express", version: "1.0.0" });\n    addTools(server);\n    await server.connect(transport);\n    t = transport;\n` +
  `  }\n  await t.handleRequest(req, res, req.body);\n});\napp.listen(3000);\n`;

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, run: Run, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | string = "(nothing)";
  while (Date.now() < end) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      last = String(err);
    }
    await Bun.sleep(20);
  }
  throw new Error(`waited for ${what}; last: ${JSON.stringify(last)}\n${run.out}`);
}

async function session(fx: Fixture, run: Run, path: string) {
  // The banner, not "asks for port 3000; serving on ..." which comes before the bind.
  await run.output(/on Bun [\d.]+: serving/);
  const client = new Client({ name: "test", version: "1.0.0" });
  const notified: string[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void notified.push(n.method));
  // The client reopens a closed event stream after a delay (1 s by default): short here.
  const reconnectionOptions = { initialReconnectionDelay: 20, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 20 };
  const transport = new StreamableHTTPClientTransport(new URL(run.url + path), { reconnectionOptions });
  await client.connect(transport);
  const add = async () => ((await client.callTool({ name: "add", arguments: { a: 2, b: 3 } })).content as Array<{ text: string }>)[0]!.text;
  const id = transport.sessionId;
  expect(await add()).toBe("5");

  fx.edit("tools.ts", "a + b", "a * b");
  await until(add, (v) => v === "6", "the edited tool on the same session", run);

  fx.edit("tools.ts", /\n}\n$/, `\n  server.registerTool("neg", { inputSchema: { a: z.number() } }, ({ a }) => ({ content: [{ type: "text", text: String(-a) }] }));\n}\n`);
  await until(async () => (await client.listTools()).tools.map((t) => t.name).join(), (v) => v === "add,neg", "the new tool", run);
  await until(async () => notified.length, (n) => n > 0, "notifications/tools/list_changed", run);

  fx.edit("tools.ts", "a * b", "a * b +");
  await run.output("reload failed");
  expect(await add()).toBe("6");
  // One session throughout, as the client sees it.
  expect(transport.sessionId).toBe(id);
  await client.close();
}

describe("MCP over Streamable HTTP across reloads", () => {
  test("Bun.serve with one transport on a native route", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": BUN_SERVE });
    await session(fx, run, "/mcp");
  });

  test("Express with a transport per session in a map", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": EXPRESS });
    await session(fx, run, "/mcp");
    // The dev server's own endpoint is on node:http servers too.
    const res = await fetch(run.url + "/__hmr-run/mcp", { method: "POST", headers: { "content-type": "application/json" }, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}` });
    const listed = (await res.json()) as { result: { tools: Array<{ name: string }> } };
    expect(listed.result.tools.map((t) => t.name)).toContain("status");
  });

  test("Hono with a transport per session in a map", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": HONO });
    await session(fx, run, "/mcp");
  });
});
