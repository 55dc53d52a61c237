/**
 * Requests of hmr-run's own for the MCP session bridge (mcp-sessions.ts): their headers,
 * and the node:http side: reading and rewriting `IncomingMessage` / `ServerResponse`
 * heads, seeing a response body as it is written, and sending requests to a node:http
 * server over loopback, where no `fetch` handler can be called directly.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "bun";

/** A request handler, as `fetch` is. */
export type Next = (req: Request) => Response | Promise<Response>;

/** The MCP session header (Streamable HTTP). */
export const HEADER = "mcp-session-id";

/** Marks hmr-run's own requests to a node:http server, so the bridge lets them through. */
export const INTERNAL = "x-hmr-run-mcp";

export const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Headers for a request of hmr-run's own in the client's session (its auth, protocol version). */
export function sessionHeaders(req: Request, id: string | undefined): Headers {
  const headers = new Headers(req.headers);
  for (const h of ["content-length", "last-event-id", HEADER]) headers.delete(h);
  if (id) headers.set(HEADER, id);
  headers.set("content-type", "application/json");
  headers.set("accept", "application/json, text/event-stream");
  return headers;
}

/** A request's headers as `Headers`, ready for a request of hmr-run's own in its session. */
export function nodeHeaders(req: IncomingMessage, id: string | undefined): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  return sessionHeaders(new Request("http://localhost/", { headers }), id);
}

/** Sets a request header where node:http readers look: `headers`, and `rawHeaders` (the SDK's adapter reads those). */
export function setHeader(req: IncomingMessage, name: string, value: string): void {
  req.headers[name] = value;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) raw[i + 1] = value;
}

/** Calls `before` just before the response head is written, `after` just after. */
export function onHead(res: ServerResponse, before: () => void, after?: () => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    // Headers passed to writeHead itself land in setHeader first, so `before` sees them.
    const headers = args.find((a, i) => i > 0 && a && typeof a === "object") as Record<string, unknown> | unknown[] | undefined;
    if (headers && !Array.isArray(headers)) for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v as string);
    before();
    const out = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args.filter((a) => a !== headers || Array.isArray(a)));
    after?.();
    return out;
  } as typeof res.writeHead;
}

/** Sends hmr-run's own requests to the node:http server behind `bun`, over loopback. */
export function loopback(bun: Server<any>): Next {
  const unix = bun.url?.protocol === "unix:" ? bun.url.pathname : undefined;
  return async (r) => {
    const u = new URL(r.url);
    const headers = new Headers(r.headers);
    headers.set(INTERNAL, "1");
    const target = new URL(u.pathname + u.search, unix ? "http://localhost" : bun.url);
    const body = r.method === "GET" || r.method === "HEAD" ? undefined : await r.text();
    return fetch(target, { method: r.method, headers, body, unix, tls: { rejectUnauthorized: false } } as RequestInit);
  };
}

/**
 * Shows `see` the text written to `res` so far, as it is written, until `see` says it has
 * seen enough (or `limit` characters have passed, or the response ends). The writes go
 * on to the client unchanged; the hook stays in place, passing them through, after that.
 */
export function onBody(res: ServerResponse, see: (text: string, complete: boolean) => boolean, limit: number): void {
  const write = res.write;
  const end = res.end;
  const decoder = new TextDecoder();
  let text = "";
  let done = false;
  // Seen after the write itself, so the head (written implicitly by a first write) is out by then.
  const take = (chunk: unknown, encoding: unknown, complete: boolean) => {
    if (done) return;
    try {
      if (typeof chunk === "string") text += typeof encoding === "string" && encoding !== "utf8" && encoding !== "utf-8" ? Buffer.from(chunk, encoding as BufferEncoding).toString() : chunk;
      else if (chunk instanceof Uint8Array) text += decoder.decode(chunk, { stream: !complete });
      done = see(text, complete) || complete || text.length > limit;
    } catch {
      done = true;
    }
  };
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    const out = (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    take(chunk, rest[0], false);
    return out;
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    const out = (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    take(typeof chunk === "function" ? undefined : chunk, rest[0], true);
    return out;
  } as typeof res.end;
}
