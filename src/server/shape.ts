/**
 * Turns what the entry exports into something to serve: Bun's `{ fetch, routes, ... }`,
 * an app object with `.fetch` (Hono, Elysia), or a bare `(req) => Response`.
 */

import { readFileSync } from "node:fs";
import http from "node:http";
import { loaderFor } from "../loader/scan.ts";

/**
 * Will hmr-run serve the entry's export `name` itself (read statically, before it runs)?
 * An entry that calls `.listen(` serves itself, and usually exports that same app
 * (`export default app.listen(3000)`): its own server is the one the command line is for.
 */
export function servesExport(path: string, name: string): boolean {
  try {
    const loader = loaderFor(path);
    if (!loader) return false;
    const source = readFileSync(path, "utf8");
    return new Bun.Transpiler({ loader }).scan(source).exports.includes(name) && !/\.listen\s*\(/.test(source);
  } catch {
    return false; // Unreadable or broken: the load reports it; assume no export meanwhile.
  }
}

/** The shapes an entry's export may take, for error messages. */
export const SERVABLE_SHAPES =
  "an object with fetch() or routes (Bun.serve options), an app with .fetch (Elysia, Hono), a (request) => Response function, an Express or Koa app, or a node:http server";

export type Servable =
  | { kind: "options"; options: Record<string, any> }
  | { kind: "listen"; app: { listen(opts: unknown): unknown } };

/** How to serve `value`, or undefined when it is not a servable shape. */
export function servableOf(value: unknown): Servable | undefined {
  const node = nodeHandlerOf(value);
  if (node) return { kind: "listen", app: { listen: () => (node instanceof http.Server ? node : http.createServer(node)).listen() } };
  if (typeof value === "function") {
    // A class or an app factory is not a handler; a plain function taking a request is.
    if (/^class\b/.test(Function.prototype.toString.call(value))) return undefined;
    const fn = value as (...a: unknown[]) => unknown;
    return { kind: "options", options: { fetch: (req: Request, server: unknown) => fn(req, server) } };
  }
  if (!value || typeof value !== "object") return undefined;
  const v = value as Record<string, any>;
  // Elysia builds its routes and websocket config inside .listen(); let it, Bun.serve is ours.
  if (isElysia(v)) return { kind: "listen", app: v as { listen(opts: unknown): unknown } };
  if (typeof v.fetch === "function" && !isPlainOptions(v)) {
    const app = v;
    return { kind: "options", options: { fetch: (req: Request, server: unknown) => app.fetch(req, server) } };
  }
  if (typeof v.fetch === "function" || (v.routes && typeof v.routes === "object")) return { kind: "options", options: v };
  return undefined;
}

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An Express or Koa app, or a node:http server not listening yet: served through node:http. */
function nodeHandlerOf(value: unknown): NodeHandler | http.Server | undefined {
  if (value instanceof http.Server) return value.listening ? undefined : value;
  if (!value || (typeof value !== "object" && typeof value !== "function")) return undefined;
  const v = value as Record<string, any>;
  // Express (and Connect): the app is a (req, res, next) function with .handle and .listen.
  if (typeof value === "function" && typeof v.handle === "function" && typeof v.listen === "function") return value as NodeHandler;
  // Koa: .callback() makes the (req, res) handler.
  if (typeof v.callback === "function" && typeof v.listen === "function" && Array.isArray(v.middleware)) return v.callback();
  return undefined;
}

/** Why an export that looks like a server is not served, as one line; undefined when it does not look like one. */
export function unsupportedShape(value: unknown): string | undefined {
  const v = value as Record<string, any> | undefined;
  if (v && typeof v === "object" && typeof v.listen === "function" && typeof v.ready === "function" && v.server instanceof http.Server) {
    return "the export is a Fastify instance, which hmr-run does not serve from an export: call `await app.listen({ port })` in the entry (hmr-run takes that server over on reloads)";
  }
  return undefined;
}

function isElysia(v: Record<string, any>): boolean {
  return typeof v.listen === "function" && typeof v.fetch === "function" && "router" in v && "config" in v;
}

/** A plain `{ fetch, port, ... }` object literal (Bun's convention) rather than an app instance. */
function isPlainOptions(v: Record<string, any>): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
