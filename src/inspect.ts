/**
 * `--inspect`, `--inspect-wait` and `--inspect-brk`, with Bun's syntax
 * (`--inspect=[host:]port[/path]`), for the app process. The debugger listens at one
 * address for the whole run, restarts included, so an attached IDE reconnects without a
 * new URL. The path is the inspector's only guard against other programs on this machine
 * (a web page can open a WebSocket to localhost): without one given, it is random, made
 * once per run, as Bun makes one per process.
 */
import { randomUUID } from "node:crypto";
import { UsageError } from "./errors.ts";
import type { InspectFlag } from "./bun-flags.ts";

export interface Inspect {
  /** `inspect` listens; `wait` waits for a debugger before the app's first line; `brk` also pauses there. */
  mode: "inspect" | "wait" | "brk";
  host: string;
  port: number;
  path: string;
}

/** Bun's defaults. */
const HOST = "localhost";
const PORT = 6499;
/** One random path per run of hmr-run, shared by every app process it starts. */
const RUN_PATH = randomUUID();

/** Reads `--inspect[=value]` (or -wait, -brk) as Bun does. */
export function parseInspect(flag: InspectFlag, value: string | undefined): Inspect {
  const mode = flag === "inspect" ? "inspect" : flag === "inspect-wait" ? "wait" : "brk";
  let rest = (value ?? "").replace(/^wss?:\/\//, "");
  const slash = rest.indexOf("/");
  const path = slash >= 0 ? rest.slice(slash + 1) : "";
  rest = slash >= 0 ? rest.slice(0, slash) : rest;
  let host = HOST;
  let port = PORT;
  if (/^\d+$/.test(rest)) port = Number(rest);
  else if (rest) {
    const colon = rest.lastIndexOf(":");
    const bracketed = rest.startsWith("[") && rest.lastIndexOf("]") > colon;
    if (colon < 0 || bracketed) host = rest;
    else {
      host = rest.slice(0, colon);
      if (!/^\d+$/.test(rest.slice(colon + 1))) throw new UsageError(`--${flag}=${value}: the port must be a number (as in --${flag}=127.0.0.1:6499/debug)`);
      port = Number(rest.slice(colon + 1));
    }
  }
  if (port > 65535) throw new UsageError(`--${flag}=${value}: ${port} is not a port`);
  return { mode, host: host || HOST, port, path: path || RUN_PATH };
}

/** The flag for `bun`: only the first start waits for the debugger (and `brk` pauses hmr-run's runtime nowhere: see App). */
export function inspectArg(i: Inspect, first: boolean): string {
  const flag = first && i.mode !== "inspect" ? "--inspect-wait" : "--inspect";
  return `${flag}=${i.host}:${i.port}/${i.path}`;
}

/** Where a debugger attaches: the WebSocket URL, and Bun's debugger in a browser. */
export function inspectUrls(i: Inspect): { ws: string; browser: string } {
  const at = `${i.host}:${i.port}/${i.path}`;
  return { ws: `ws://${at}`, browser: `https://debug.bun.sh/#${at}` };
}
