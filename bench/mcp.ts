/**
 * An MCP stdio server (examples/mcp) driven by the SDK's own client: time to the first
 * answer, and from a save of a tool to the first call answered by its new code, on one
 * live connection. Runs hmr-run, and `bun --hot` for comparison.
 *
 *   bun bench/mcp.ts [--edits 30]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ROOT } from "./lib/runner.ts";
import { flag, fmt, machine, median, table } from "./lib/stats.ts";

const edits = Number(flag("edits", "30"));
const CLI = join(ROOT, "src", "cli.ts");

async function measure(name: string, args: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "hmr-run-mcp-"));
  cpSync(join(ROOT, "examples", "mcp"), dir, { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const file = join(dir, "tools", "math.ts");
  const original = readFileSync(file, "utf8");
  const started = performance.now();
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd: dir, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "1.0.0" });
  let wrong = "";
  try {
    await client.connect(transport);
    const call = async () => ((await client.callTool({ name: "add", arguments: { a: 2, b: 3 } })).content as Array<{ text: string }>)[0]!.text;
    await call();
    const first = performance.now() - started;
    const times: number[] = [];
    for (let i = 1; i <= edits; i++) {
      // Each edit makes `add` answer 5 + i: the first call that does is the new code.
      writeFileSync(file, original.replace("a + b", `a + b + ${i}`));
      const t = performance.now();
      const end = t + 5000;
      let answer = "";
      while (performance.now() < end && (answer = await call().catch((e) => String(e))) !== String(5 + i)) await Bun.sleep(1);
      if (answer !== String(5 + i)) {
        wrong = answer.slice(0, 60);
        break;
      }
      times.push(performance.now() - t);
      // Saves closer than this are a storm, which the watcher settles for 150 ms (src/watcher.ts).
      await Bun.sleep(200);
    }
    return [name, fmt(first), times.length ? fmt(median(times)) : "-", times.length ? fmt(Math.max(...times)) : "-", `${times.length}/${edits}${wrong ? ` (after 5 s still answering ${wrong})` : ""}`];
  } catch (err) {
    return [name, "-", "-", "-", `failed: ${String(err).slice(0, 80)}`];
  } finally {
    await client.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [await measure("hmr-run server.ts", [CLI, "server.ts"]), await measure("bun --hot server.ts", ["--hot", "server.ts"])];
console.log(machine());
console.log(table(["runner", "first answer (ms)", "save → new answer p50 (ms)", "max (ms)", "edits served"], rows));
