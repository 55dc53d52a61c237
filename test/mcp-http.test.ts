/**
 * MCP servers on the SDK's Streamable HTTP transport, hot: the SDK's own client keeps
 * its session across reloads whether the app keeps one transport (Bun.serve) or a map
 * of them per session (Hono, Express), answering in event streams or in JSON, or none at
 * all (stateless), gets new code, and hears that the tool list may have changed. The app
 * never receives a request its client did not send: hmr-run's own go to no session.
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

/**
 * An app on Bun.serve that logs every message it receives (kept across reloads) before
 * `transport` handles it, with whether `server.requestIP` found the client; GET /log shows it.
 */
const LOGGED = (top: string, transport: string) =>
  IMPORTS +
  top +
  `const log: Array<{ method?: string; id?: unknown; ip: string | null }> = ((globalThis as any).mcpLog ??= []);\n` +
  `export default {\n  async fetch(req: Request, bun: any) {\n` +
  `    if (new URL(req.url).pathname === "/log") return Response.json(log);\n` +
  `    const ip = bun.requestIP(req)?.address ?? null;\n` +
  `    if (req.method !== "POST") log.push({ method: req.method, ip });\n` +
  `    else for (const m of [await req.clone().json()].flat()) log.push({ method: m.method, id: m.id, ip });\n` +
  transport +
  `  },\n};\n`;

/** JSON answers instead of event streams (`enableJsonResponse`), a transport per session in a map. */
const JSON_ANSWERS = LOGGED(
  `const transports = new Map<string, Transport>();\n`,
  `    const sid = req.headers.get("mcp-session-id");\n    let t = sid ? transports.get(sid) : undefined;\n` +
    `    if (!t) {\n` +
    `      if (sid) return Response.json({ jsonrpc: "2.0", error: { code: -32000, message: "No valid session ID" }, id: null }, { status: 400 });\n` +
    `      const transport = new Transport({ sessionIdGenerator: () => crypto.randomUUID(), enableJsonResponse: true, onsessioninitialized: (id) => void transports.set(id, transport) });\n` +
    `      const server = new McpServer({ name: "json", version: "1.0.0" });\n      addTools(server);\n      await server.connect(transport);\n      t = transport;\n` +
    `    }\n    return t.handleRequest(req);\n`,
);

/** No sessions at all: a server and transport per request, as the SDK's stateless example. */
const STATELESS = LOGGED(
  "",
  `    const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });\n` +
    `    const server = new McpServer({ name: "stateless", version: "1.0.0" });\n    addTools(server);\n    await server.connect(transport);\n` +
    `    return transport.handleRequest(req);\n`,
);

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

/** `announces`: whether the server has sessions, so that a reload is announced to them. */
async function session(fx: Fixture, run: Run, path: string, announces = true) {
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
  // Every reload that ran code is announced, the lists unread: the client lists again if it keeps one.
  if (announces) await until(async () => notified.length, (n) => n > 0, "notifications/tools/list_changed after a reload", run);
  const before = notified.length;

  fx.edit("tools.ts", /\n}\n$/, `\n  server.registerTool("neg", { inputSchema: { a: z.number() } }, ({ a }) => ({ content: [{ type: "text", text: String(-a) }] }));\n}\n`);
  await until(async () => (await client.listTools()).tools.map((t) => t.name).join(), (v) => v === "add,neg", "the new tool", run);
  if (announces) await until(async () => notified.length, (n) => n > before, "notifications/tools/list_changed after the tool was added", run);

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

  test("JSON answers: the app only ever gets the client's own requests", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": JSON_ANSWERS });
    await session(fx, run, "/mcp");
    const log = (await (await fetch(run.url + "/log")).json()) as Array<{ method?: string; id?: unknown; ip: string | null }>;
    // One call before the edit, one or more until the new code answers, one after the failed save.
    expect(log.filter((m) => m.method === "tools/call").length).toBeGreaterThanOrEqual(3);
    // No lists the client never asked for, under ids of hmr-run's own.
    expect(log.filter((m) => String(m.id).startsWith("hmr-run"))).toEqual([]);
    expect(log.filter((m) => m.method === "resources/list" || m.method === "prompts/list")).toEqual([]);
    // The client's requests reach the app as they came: the server still knows who sent them.
    expect(log.filter((m) => m.method === "tools/call" && !m.ip)).toEqual([]);
  });

  test("a client calling all through reloads and a rollback never gets an error: sessions move on before the code that ran answers", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": JSON_ANSWERS });
    await run.output(/on Bun [\d.]+: serving/);
    const client = new Client({ name: "test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(run.url + "/mcp"));
    await client.connect(transport);
    const errors: string[] = [];
    const seen = new Set<string>();
    let calling = true;
    const caller = (async () => {
      while (calling) {
        try {
          seen.add(((await client.callTool({ name: "add", arguments: { a: 2, b: 3 } })).content as Array<{ text: string }>)[0]!.text);
        } catch (err) {
          errors.push(String(err));
        }
      }
    })();
    await until(async () => seen.size, (n) => n > 0, "a first answer", run);
    fx.edit("tools.ts", "a + b", "a * b");
    await until(async () => seen.has("6"), Boolean, "the edited tool", run);
    // New code that throws when it runs: the code before it runs again, in a new map of sessions.
    let m = run.mark();
    fx.edit("tools.ts", "export function", `if (Date.now() > 0) throw new Error("not today");\nexport function`);
    await run.output("rolled back", m);
    m = run.mark();
    fx.write("tools.ts", TOOLS.replace("a + b", "a * b + 1"));
    await run.reloaded(m);
    await until(async () => seen.has("7"), Boolean, "the fixed tool", run);
    calling = false;
    await caller;
    await client.close();
    expect(errors).toEqual([]);
    expect([...seen].sort()).toEqual(["5", "6", "7"]);
  });

  test("stateless: no session to keep, new code at once", async () => {
    const { fx, run } = start({ "tools.ts": TOOLS, "main.ts": STATELESS });
    await session(fx, run, "/mcp", false);
    const log = (await (await fetch(run.url + "/log")).json()) as Array<{ method?: string; id?: unknown }>;
    expect(log.filter((m) => String(m.id).startsWith("hmr-run"))).toEqual([]);
  });
});
