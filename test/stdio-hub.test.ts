/**
 * The MCP stdio hub with plain objects: links that answer like an SDK server, a list of
 * written lines for stdout, and a reload outcome the test decides.
 */
import { expect, test } from "bun:test";
import { StdioHub, type Link, type Message } from "../src/mcp/stdio-hub.ts";

type Outcome = "ok" | "rolled-back" | "failed";

/** A fake server: records what it got, answers requests with `answer(method)` through the hub. */
function server(hub: () => StdioHub, name: string, tools: string[] = ["add"]) {
  const got: Message[] = [];
  const link: Link = {
    onmessage: (m) => {
      got.push(m);
      if (m.id === undefined || m.method === undefined) return;
      const result = m.method === "tools/list" ? { tools: tools.map((t) => ({ name: t })) } : m.method.endsWith("/list") ? undefined : { from: name };
      void hub().send(link, result ? { jsonrpc: "2.0", id: m.id, result } : { jsonrpc: "2.0", id: m.id, error: { code: -32601, message: "no" } });
    },
  };
  return { link, got, methods: () => got.map((m) => m.method ?? `answer ${m.id}`) };
}

function setup() {
  const out: Message[] = [];
  let settle: (o: Outcome) => void = () => {};
  const hub: StdioHub = new StdioHub({
    write: async (line) => void out.push(JSON.parse(line)),
    settled: () => new Promise<Outcome>((r) => (settle = r)),
  });
  return { hub, out, settle: (o: Outcome) => settle(o) };
}

const req = (id: number | string, method: string, params: unknown = {}): Message => ({ jsonrpc: "2.0", id, method, params });
const tick = () => new Promise((r) => setTimeout(r, 0));

test("messages before any server wait for it; the session is replayed to the next one, out of the client's sight", async () => {
  const { hub, out, settle } = setup();
  hub.receive(req(1, "initialize", { protocolVersion: "2025-06-18" }));
  hub.receive({ jsonrpc: "2.0", method: "notifications/initialized" });
  hub.receive(req(2, "resources/subscribe", { uri: "a://1" }));
  hub.receive(req(3, "resources/subscribe", { uri: "a://2" }));
  hub.receive(req(4, "resources/unsubscribe", { uri: "a://2" }));
  const a = server(() => hub, "a");
  await hub.attach(a.link);
  expect(a.methods()).toEqual(["initialize", "notifications/initialized", "resources/subscribe", "resources/subscribe", "resources/unsubscribe"]);
  expect(out.map((m) => m.id)).toEqual([1, 2, 3, 4]);

  const b = server(() => hub, "b", ["add", "mul"]);
  await hub.attach(b.link);
  // Replayed in order, the unsubscribed resource left out; none of the answers reached the client.
  expect(b.methods()).toEqual(["initialize", "notifications/initialized", "resources/subscribe"]);
  expect(b.got[2]!.params).toEqual({ uri: "a://1" });
  expect(out).toHaveLength(4);
  hub.receive(req(5, "tools/call"));
  expect(out.at(-1)).toMatchObject({ id: 5, result: { from: "b" } });
  settle("ok");
  while (out.length < 6) await tick();
  expect(out.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
});

test("a failed reload hands the client back to the last good server; a rolled-back one keeps the restored server", async () => {
  const { hub, out, settle } = setup();
  const a = server(() => hub, "a");
  await hub.attach(a.link);
  hub.receive(req(1, "initialize"));
  const broken = server(() => hub, "broken");
  await hub.attach(broken.link);
  settle("failed");
  await tick();
  hub.receive(req(2, "tools/call"));
  expect(out.at(-1)).toMatchObject({ id: 2, result: { from: "a" } });

  const failing = server(() => hub, "failing");
  await hub.attach(failing.link);
  const restored = server(() => hub, "restored");
  await hub.attach(restored.link);
  settle("rolled-back");
  await tick();
  hub.receive(req(3, "tools/call"));
  expect(out.at(-1)).toMatchObject({ id: 3, result: { from: "restored" } });
});

test("a client's answer to a server's own request goes back to the server that asked", async () => {
  const { hub, settle } = setup();
  const a = server(() => hub, "a");
  await hub.attach(a.link);
  await hub.send(a.link, req("s1", "sampling/createMessage"));
  const b = server(() => hub, "b");
  await hub.attach(b.link);
  settle("ok");
  hub.receive({ jsonrpc: "2.0", id: "s1", result: { text: "hi" } });
  expect(a.got.at(-1)).toEqual({ jsonrpc: "2.0", id: "s1", result: { text: "hi" } });
  expect(b.got.some((m) => m.id === "s1")).toBe(false);
});

test("a restarted process takes over the session: its first server is introduced before it answers", async () => {
  const out: Message[] = [];
  const reported: Message[][] = [];
  const inherited = [req(1, "initialize", { protocolVersion: "2025-06-18" }), { jsonrpc: "2.0", method: "notifications/initialized" } as Message];
  const hub: StdioHub = new StdioHub({ write: async (line) => void out.push(JSON.parse(line)), settled: async () => "ok" as const, onSession: (m) => void reported.push(m) }, inherited);
  hub.receive(req(7, "tools/call"));
  const a = server(() => hub, "a");
  await hub.attach(a.link);
  expect(a.methods()).toEqual(["initialize", "notifications/initialized", "tools/call"]);
  expect(out.map((m) => m.method ?? m.id)).toEqual([7, "notifications/tools/list_changed", "notifications/resources/list_changed", "notifications/prompts/list_changed"]);
  hub.receive(req(8, "logging/setLevel", { level: "debug" }));
  expect(reported.at(-1)!.map((m) => m.method)).toEqual(["initialize", "notifications/initialized", "logging/setLevel"]);
});
