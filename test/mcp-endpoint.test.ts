/**
 * The dev server's MCP endpoint, asked by the SDK's own client over real HTTP while the
 * real CLI reloads a fixture app; the loopback and origin rules as plain functions.
 */
import { describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { scenarios } from "./support/scenario.ts";
import { allowedOrigin, isLoopback, MCP_PATH } from "../src/server/mcp-endpoint.ts";

const { start, again } = scenarios();

const APP = {
  "dep.ts": `export const V = "a";\n`,
  "main.ts": `import { V } from "./dep.ts";\nconsole.log("main ran with " + V);\nexport default { fetch: () => new Response(V) };\n`,
};

describe("POST /__hmr-run/mcp", () => {
  test("status, why, graph, logs and reload, through the SDK client; foreign origins get 403; --no-mcp removes it", async () => {
    const { fx, run } = start(APP);
    await run.until("a");
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(run.url + MCP_PATH)));
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const res = await client.callTool({ name, arguments: args });
      return { text: (res.content as Array<{ text: string }>)[0]!.text, isError: res.isError };
    };
    const json = async (name: string, args: Record<string, unknown> = {}) => JSON.parse((await call(name, args)).text);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["status", "reload", "graph", "why", "logs"]);
      expect(await json("status")).toMatchObject({ entry: "main.ts", urls: [`${run.url}/`], lastReload: null, lastError: null });

      let m = run.mark();
      fx.edit("dep.ts", `"a"`, `"b"`);
      await run.until("b");
      await run.reloaded(m);
      expect((await call("why", { file: "main.ts" })).text).toBe("main.ts ran because it imports dep.ts, which changed");
      expect((await call("why", { file: "dep.ts" })).text).toBe("dep.ts changed");
      expect(await call("why", { file: "nope.ts" })).toEqual({ text: "nope.ts is not a module of this app", isError: true });
      expect(await json("graph", { file: "dep.ts" })).toEqual({ file: "dep.ts", imports: [], importedBy: ["main.ts"] });

      m = run.mark();
      fx.write("dep.ts", `export const V = "c" +;\n`);
      await run.output("reload failed", m);
      // hmr-run's process prints the line and hands the outcome to the app process: the
      // endpoint there knows of it a moment later.
      let status = await json("status");
      for (const end = Date.now() + 5000; status.lastReload?.ok !== false && Date.now() < end; status = await json("status")) await Bun.sleep(10);
      expect(status.lastReload).toMatchObject({ ok: false, files: ["dep.ts"], error: { file: "dep.ts", line: 1 } });
      expect(status.lastError.frame).toContain(`> 1 | export const V = "c" +;`);
      const logs = (await call("logs", { lines: 20 })).text;
      expect(logs).toContain("main ran with b");
      expect(logs).toContain("reload failed after dep.ts changed");

      fx.write("dep.ts", `export const V = "d";\n`);
      await run.until("d");
      expect(await json("reload")).toMatchObject({ ok: true, executed: expect.arrayContaining(["dep.ts", "main.ts"]) });
      m = run.mark();
      expect((await call("reload", { restart: true })).text).toContain("restarting");
      await run.output("restarted (the MCP reload tool)", m);
    } finally {
      await client.close();
    }
    // The app's own lines come through its stdout, hmr-run's through stderr: the restart's
    // line can be read before the restarted app's first one.
    await run.output(/(main ran with d[\s\S]*){3}/);
    expect(run.out.match(/main ran with d/g)?.length).toBe(3);

    const post = (headers: Record<string, string>) =>
      fetch(run.url + MCP_PATH, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: `{"jsonrpc":"2.0","id":1,"method":"ping"}` });
    expect((await post({ origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ origin: `http://localhost:${run.port}` })).status).toBe(200);

    const off = again(fx, ["main.ts", "--no-mcp"]);
    await off.until("d");
    // The path is the app's again: its own handler answers.
    expect(await (await fetch(off.url + MCP_PATH, { method: "POST", body: "{}" })).text()).toBe("d");
  });
});

describe("who may call it", () => {
  test("loopback addresses only", () => {
    for (const a of ["127.0.0.1", "127.5.0.1", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(a)).toBe(true);
    for (const a of ["10.0.0.2", "192.168.1.4", "::ffff:10.0.0.2", "fe80::1", "", undefined]) expect(isLoopback(a)).toBe(false);
  });

  test("an Origin or Host must be a loopback name on the server's own port", () => {
    expect(allowedOrigin(null, "localhost:3000", 3000)).toBe(true);
    expect(allowedOrigin("http://127.0.0.1:3000", "127.0.0.1:3000", 3000)).toBe(true);
    expect(allowedOrigin("http://[::1]:3000", "[::1]:3000", 3000)).toBe(true);
    expect(allowedOrigin("http://evil.example", "localhost:3000", 3000)).toBe(false);
    expect(allowedOrigin("http://localhost:5173", "localhost:3000", 3000)).toBe(false);
    // DNS rebinding: the attacker's name resolves to 127.0.0.1, and the Host says so.
    expect(allowedOrigin(null, "evil.example:3000", 3000)).toBe(false);
    expect(allowedOrigin("null", "localhost:3000", 3000)).toBe(false);
  });
});
