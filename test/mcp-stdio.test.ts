/**
 * examples/mcp under the real CLI, driven by the SDK's own client over a real stdio
 * pipe: the connection lives across reloads, edited tools answer with their new code,
 * state in untouched modules survives, list changes reach the client as notifications,
 * and a failed reload keeps the old tools answering.
 */
import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { PromptListChangedNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { CLI, Fixture, ROOT } from "./support/fixture.ts";

const files: Record<string, string> = {};
const walk = (dir: string) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files[relative(join(ROOT, "examples", "mcp"), p)] = readFileSync(p, "utf8");
  }
};
walk(join(ROOT, "examples", "mcp"));
const fx = new Fixture(files);
afterAll(() => fx.cleanup());

/** Polls `fn` until `ok(value)`; fails with the last value and hmr-run's output. */
async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, what: string, log: () => string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await Bun.sleep(15);
  }
  throw new Error(`waited ${ms} ms for ${what}; last: ${JSON.stringify(last)}\n--- hmr-run ---\n${log()}`);
}

test("a live MCP session across reloads: new code, kept state, list notifications, failed reloads change nothing", async () => {
  const env = { ...process.env, NO_COLOR: "1" } as Record<string, string>;
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "server.ts"], cwd: fx.dir, stderr: "pipe", env });
  let stderr = "";
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const log = () => stderr;
  const client = new Client({ name: "test", version: "1.0.0" });
  const notified: string[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void notified.push(n.method));
  client.setNotificationHandler(PromptListChangedNotificationSchema, (n) => void notified.push(n.method));
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>) =>
    ((await client.callTool({ name, arguments: args })).content as Array<{ text: string }>)[0]!.text;
  const add = () => call("add", { a: 2, b: 3 });
  const tools = async () => (await client.listTools()).tools.map((t) => t.name);
  const notes = async () => ((await client.readResource({ uri: "notes://all" })).contents[0] as { text: string }).text;

  try {
    expect(await tools()).toEqual(["add", "add_note"]);
    expect(await add()).toBe("5");
    expect(await call("add_note", { text: "milk" })).toBe("saved (1 notes)");

    // A tool's code changes, its listing does not: new answers, no notification, notes kept.
    fx.edit("tools/math.ts", "a + b", "a * b");
    await until(add, (v) => v === "6", "the edited tool", log);
    expect(await notes()).toBe("milk");

    // A tool is added: the client is told, and lists it.
    fx.edit("tools/math.ts", /\n}\n$/, `\n  server.registerTool("neg", { inputSchema: { a: z.number() } }, ({ a }) => ({ content: [{ type: "text", text: String(-a) }] }));\n}\n`);
    await until(() => notified.slice(), (n) => n.length > 0, "notifications/tools/list_changed", log);
    expect(await tools()).toEqual(["add", "neg", "add_note"]);

    // Only the prompts change: only their notification comes.
    fx.edit("server.ts", `"summarize-notes"`, `"digest"`);
    await until(() => notified.slice(), (n) => n.length > 1, "notifications/prompts/list_changed", log);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["digest"]);
    expect(notified).toEqual(["notifications/tools/list_changed", "notifications/prompts/list_changed"]);

    // A syntax error, then a module that throws after its new server connected: the old tools answer.
    fx.edit("tools/math.ts", "a * b", "a * b +");
    await until(log, (s) => s.includes("reload failed"), "a failed reload", log);
    expect(await add()).toBe("6");
    const mark = stderr.length;
    // server.ts first: whether the two saves reload together or apart, none succeeds.
    fx.edit("server.ts", /\n$/, `\nthrow new Error("late failure");\n`);
    fx.edit("tools/math.ts", "a * b +", "a - b");
    await until(() => stderr.slice(mark), (s) => s.includes("late failure"), "the late failure", log);
    expect(await add()).toBe("6");

    fx.edit("server.ts", `throw new Error("late failure");\n`, "");
    await until(add, (v) => v === "-1", "the fixed tool", log);
    expect(await notes()).toBe("milk");
    expect(stderr).toContain("serving an MCP server on stdio");
    expect(stderr.match(/store ready/g)).toHaveLength(1);
  } finally {
    await client.close();
  }
  // Closing stdin ends the session: hmr-run stops on its own.
  await until(log, (s) => s.includes("stdin closed"), "hmr-run to stop", log);
});

test("one McpServer shared by tool modules: a module that runs again replaces its own registrations", async () => {
  const shared = new Fixture({
    "server.ts": `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\nexport const server = new McpServer({ name: "shared", version: "1.0.0" });\n`,
    "tools/add.ts":
      `import { z } from "zod";\nimport { server } from "../server.ts";\n` +
      `server.registerTool("add", { description: "Adds", inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));\n` +
      `server.registerTool("neg", { inputSchema: { a: z.number() } }, ({ a }) => ({ content: [{ type: "text", text: String(-a) }] }));\n`,
    "main.ts":
      `import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";\nimport { server } from "./server.ts";\nimport "./tools/add.ts";\n` +
      `await server.connect(new StdioServerTransport());\n`,
  });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "main.ts"], cwd: shared.dir, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const log = () => stderr;
  const client = new Client({ name: "test", version: "1.0.0" });
  let notified = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void notified++);
  await client.connect(transport);
  const add = async () => ((await client.callTool({ name: "add", arguments: { a: 2, b: 3 } })).content as Array<{ text: string }>)[0]!.text;
  const tools = async () => (await client.listTools()).tools.map((t) => `${t.name}:${t.description ?? ""}`);
  try {
    expect(await tools()).toEqual(["add:Adds", "neg:"]);
    // New code for a tool on the same server: no "already registered", and no list change.
    shared.edit("tools/add.ts", "a + b", "a * b");
    await until(add, (v) => v === "6", "the edited tool", log);
    // A description changes and a tool is dropped: one notice, and the list says so.
    shared.edit("tools/add.ts", `description: "Adds"`, `description: "Multiplies"`);
    shared.edit("tools/add.ts", /server\.registerTool\("neg".*\n/, "");
    await until(tools, (t) => t.join() === "add:Multiplies", "the new list", log);
    await until(() => notified, (n) => n > 0, "notifications/tools/list_changed", log);
    // The module that connects runs again: the session goes on.
    shared.edit("main.ts", /\n$/, `\nconsole.error("connected again");\n`);
    await until(log, (s) => s.includes("connected again"), "main.ts to run again", log);
    expect(await add()).toBe("6");
    expect(stderr).not.toContain("already registered");
    // A restart (package.json appeared): the new process takes over the session and tells the client to list again.
    const seen = notified;
    shared.write("package.json", `{ "type": "module" }\n`);
    await until(log, (s) => s.includes("restarted (package.json"), "the restart", log);
    await until(() => notified, (n) => n > seen, "list_changed from the new process", log);
    expect(await add()).toBe("6");
  } finally {
    await client.close();
    shared.cleanup();
  }
});
