/**
 * MCP stdio servers under hmr-run: the SDK's `StdioServerTransport` is patched as Bun
 * loads it, so a transport on the process's own stdin/stdout becomes a link of one
 * `StdioHub` that owns stdin for the whole run. The app's code stays what it is under
 * plain `bun`; only the transport's start, close and send change hands.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { StdioHub, type Link, type Message } from "./stdio-hub.ts";

/** Where the patched SDK module hands its class to hmr-run. */
const HOOK = Symbol.for("hmr-run.mcp.stdio");
/** The SDK's stdio server transport and McpServer, ESM build; the CommonJS build is not patched. */
const SDK_MODULES = /[\\/]@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]server[\\/](stdio|mcp)\.js$/;
/** Where the patched McpServer module hands its class to hmr-run (see server-hook.ts). */
export const SERVER_HOOK = Symbol.for("hmr-run.mcp.server");

export interface McpStdioOptions {
  /** Resolves once the running reload (if any) is over, with how it ended. */
  settled(): Promise<"ok" | "rolled-back" | "failed">;
  /** The client closed stdin: the session is over. */
  onEnd(): void;
  warn(message: string): void;
  /** The first server connected (for a server that connects once some promise settled, after start-up). */
  onConnect?(): void;
  /** The session an earlier app process served (a restart), and where to report this one's. */
  session?: Message[];
  onSession?(messages: Message[]): void;
  /** Folders whose node_modules (or their parents') may hold the SDK; the patch is installed only if one does. */
  projectDirs?: string[];
}

type Transport = Link & { _stdin?: unknown; _stdout?: unknown; start(): Promise<void>; close(): Promise<void>; send(m: Message, o?: unknown): Promise<void> };

/** Patches the SDK's transport when the app loads it; returns the hub (idle until a server connects). */
export function installMcpStdio(o: McpStdioOptions): StdioHub {
  const hub = new StdioHub(
    {
      settled: o.settled,
      onSession: o.onSession,
      write: (line) => new Promise((resolve) => (process.stdout.write(line) ? resolve() : process.stdout.once("drain", resolve))),
    },
    o.session,
  );
  const linked = new WeakSet<object>();
  let reading = false;
  const read = () => {
    if (reading) return;
    reading = true;
    let buffer = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (!line.trim()) continue;
        let message: Message;
        try {
          message = JSON.parse(line);
        } catch {
          o.warn(`MCP stdio: ignored a line that is not JSON: ${line.slice(0, 80)}`);
          continue;
        }
        hub.receive(message);
      }
    });
    process.stdin.on("end", () => {
      hub.end();
      o.onEnd();
    });
  };

  (globalThis as Record<symbol, unknown>)[HOOK] = (cls: { prototype: Transport }) => {
    const proto = cls.prototype;
    const { start, close, send } = proto;
    // Only a transport on this process's own stdio joins the hub; one on other streams
    // (a test's pipes, a child process) keeps the SDK's behaviour.
    const ours = (t: Transport) => (t._stdin === undefined || t._stdin === process.stdin) && (t._stdout === undefined || t._stdout === process.stdout);
    proto.start = async function (this: Transport) {
      if (!ours(this)) return start.call(this);
      linked.add(this);
      if (!hub.connected) o.onConnect?.();
      read();
      await hub.attach(this);
    };
    proto.close = async function (this: Transport) {
      if (!linked.has(this)) return close.call(this);
      hub.detach(this);
      this.onclose?.();
    };
    proto.send = function (this: Transport, m: Message, opts?: unknown) {
      return linked.has(this) ? hub.send(this, m) : send.call(this, m, opts);
    };
  };

  // Any file onLoad plugin, even one matching no file, costs every module Bun loads about
  // 75 µs (825 modules: 140 ms against 80 ms; Bun 1.4.5): only an app that can load the
  // SDK gets it. Installing the SDK edits package.json, which restarts the app process.
  if (o.projectDirs && !o.projectDirs.some((d) => hasPackage(d, "@modelcontextprotocol/sdk"))) return hub;
  Bun.plugin({
    name: "hmr-run:mcp-stdio",
    setup(build) {
      build.onLoad({ filter: SDK_MODULES }, async (args) => {
        const hook = args.path.endsWith("stdio.js") ? `[Symbol.for("hmr-run.mcp.stdio")]?.(StdioServerTransport)` : `[Symbol.for("hmr-run.mcp.server")]?.(McpServer)`;
        return { contents: (await Bun.file(args.path).text()) + `\n;globalThis${hook};\n`, loader: "js" };
      });
    },
  });
  return hub;
}

/** Is `name` in a node_modules folder of `dir` or of a folder above it? */
function hasPackage(dir: string, name: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules", name))) return true;
    if (dirname(d) === d) return false;
  }
}
