/**
 * MCP sessions over Streamable HTTP that outlive reloads. A stateful MCP server keeps
 * its sessions in objects the reload replaces (a transport, a map of transports), so a
 * client's next request would name a session the new code never saw. hmr-run stands
 * between the client and the app's handler: the first request of a session after a
 * reload re-introduces it to the new code (the client's own `initialize`, replayed), and
 * from then on the client's session id is mapped to the new one, both ways. Open event
 * streams are closed at a reload, so clients reopen them on the new server; the tool,
 * resource and prompt lists are compared, and a change is announced on that new stream.
 * It speaks only HTTP to the app, so it works whatever shape the app's code has.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "bun";
import type { App } from "../app.ts";
import { HEADER, INTERNAL, loopback, nodeHeaders, onHead, one, sessionHeaders, setHeader, type Next } from "./node-exchange.ts";

interface Session {
  /** Where the client initialized, and the body it sent. */
  url: string;
  init: string;
  /** The id the app's current code knows this session by. */
  current: string;
  /** The reload count the session was last introduced at. */
  generation: number;
  /** The tools, resources and prompts lists as compared text; undefined until known. */
  lists?: string[];
  /** list_changed notifications for the next event stream the client opens. */
  pending: string[];
  /** The re-introduction under way, if any: requests of the session wait for it. */
  introducing?: Promise<void>;
  /** Closers of the event streams open on this session: called at a reload. */
  streams: Set<() => void>;
}

const LISTS = [
  { method: "tools/list", notify: "notifications/tools/list_changed" },
  { method: "resources/list", notify: "notifications/resources/list_changed" },
  { method: "prompts/list", notify: "notifications/prompts/list_changed" },
];

/** The session bridge: `handle` stands in front of `fetch`, `handleNode` in front of node:http. */
export class McpSessions {
  private generation = 0;
  private sessions = new Map<string, Session>();
  private nextId = 0;

  /** Modules ran again: sessions meet the new code at their next request. */
  reloaded(): void {
    this.generation++;
    for (const s of this.sessions.values()) {
      for (const close of s.streams) {
        try {
          close();
        } catch {
          // Already closed by the client going away: nothing to end.
        }
      }
      s.streams.clear();
    }
  }

  /** Handles one request with the app's handler `next`. */
  readonly handle = async (req: Request, next: Next): Promise<Response> => {
    const id = req.headers.get(HEADER);
    if (!id) return this.maybeInitialize(req, next);
    const s = this.sessions.get(id);
    if (!s) return next(req);
    await this.ready(s, () => sessionHeaders(req, undefined), next);
    const res = await next(withSession(req, s.current));
    if (req.method === "DELETE") this.sessions.delete(id);
    // The lists as this code has them, to compare with after the next reload.
    else if (req.method === "POST" && !s.lists && s.generation === this.generation) {
      const generation = this.generation;
      void this.lists(s, sessionHeaders(req, s.current), next).then((l) => {
        if (s.generation === generation) s.lists ??= l;
      });
    }
    return this.rename(s, id, res, req.method === "GET");
  };

  /** An `initialize` without a session: the session the app opens is remembered. */
  private async maybeInitialize(req: Request, next: Next): Promise<Response> {
    // MCP clients must accept both; other POSTs are not read here.
    const accept = req.headers.get("accept") ?? "";
    if (req.method !== "POST" || !accept.includes("text/event-stream")) return next(req);
    const body = await req.text();
    const res = await next(new Request(req, { body }));
    const id = res.headers.get(HEADER);
    if (id && isInitialize(body)) {
      this.remember(id, req.url, body);
    }
    return res;
  }

  private remember(id: string, url: string, init: string): void {
    this.sessions.set(id, { url, init, current: id, generation: this.generation, pending: [], streams: new Set() });
  }

  /**
   * The node:http side (Express, Koa): the same bridge on `IncomingMessage` and
   * `ServerResponse`. hmr-run's own requests go to the server over loopback, marked so
   * they pass straight through.
   */
  readonly handleNode = (req: IncomingMessage, res: ServerResponse, bun: Server<any>, dispatch: () => void): void => {
    if (req.headers[INTERNAL]) return dispatch();
    const id = one(req.headers[HEADER]);
    if (!id) {
      const accept = one(req.headers.accept) ?? "";
      if (req.method !== "POST" || !accept.includes("text/event-stream")) return dispatch();
      // Read alongside the app (attached before it runs, so no chunk is missed), to keep an initialize.
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(Buffer.from(c)));
      onHead(res, () => {
        const sid = one(res.getHeader(HEADER) as string | undefined);
        const body = Buffer.concat(chunks).toString();
        if (sid && isInitialize(body)) this.remember(sid, new URL(req.url ?? "/", bun.url).href, body);
      });
      return dispatch();
    }
    const s = this.sessions.get(id);
    if (!s) return dispatch();
    const next = loopback(bun);
    const go = () => {
      setHeader(req, HEADER, s.current);
      onHead(res, () => {
        if (res.getHeader(HEADER) !== undefined) res.setHeader(HEADER, id);
      }, () => {
        if (req.method !== "GET" || !String(res.getHeader("content-type") ?? "").includes("text/event-stream")) return;
        for (const n of s.pending.splice(0)) res.write(`event: message\ndata: ${n}\n\n`);
        const close = () => res.end();
        s.streams.add(close);
        res.once("close", () => s.streams.delete(close));
      });
      if (req.method === "DELETE") this.sessions.delete(id);
      else if (req.method === "POST" && !s.lists) {
        const generation = this.generation;
        void this.lists(s, nodeHeaders(req, s.current), next).then((l) => {
          if (s.generation === generation) s.lists ??= l;
        });
      }
      dispatch();
    };
    this.ready(s, () => nodeHeaders(req, undefined), next).then(go, go);
  };

  /**
   * Resolves once the session is known to the code running now. Requests that arrive
   * together after a reload (a call, and the event stream reopening) wait for one
   * re-introduction rather than racing past it with the old id.
   */
  private ready(s: Session, headers: () => Headers, next: Next): Promise<void> {
    if (s.generation !== this.generation) {
      s.generation = this.generation;
      s.introducing = this.reintroduce(s, headers(), next).catch(() => {});
    }
    return s.introducing ?? Promise.resolve();
  }

  /** The client's own `initialize`, replayed to the app's new code; its answer stays here. */
  private async reintroduce(s: Session, headers: Headers, next: Next): Promise<void> {
    const before = s.lists;
    const res = await next(new Request(s.url, { method: "POST", headers, body: s.init }));
    await res.text();
    const id = res.headers.get(HEADER);
    // The new code kept the old session (or refused a second one): requests go on as they are.
    if (!res.ok || !id || id === s.current) return;
    s.current = id;
    headers.set(HEADER, id);
    await (await next(new Request(s.url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) }))).text();
    const after = await this.lists(s, headers, next);
    s.lists = after;
    if (before) for (const [i, l] of LISTS.entries()) if (before[i] !== after[i]) s.pending.push(JSON.stringify({ jsonrpc: "2.0", method: l.notify }));
  }

  /** Asks the app (in the session `headers` name) for each list, as comparable text. */
  private async lists(s: Session, h: Headers, next: Next): Promise<string[]> {
    return Promise.all(
      LISTS.map(async (l) => {
        const body = JSON.stringify({ jsonrpc: "2.0", id: `hmr-run:${this.nextId++}`, method: l.method, params: {} });
        const res = await next(new Request(s.url, { method: "POST", headers: h, body }));
        return JSON.stringify(answerOf(await res.text())?.result ?? null);
      }),
    );
  }

  /** The client sees its own session id; an event stream can be closed at a reload and carries pending notices. */
  private rename(s: Session, id: string, res: Response, isStream: boolean): Response {
    const headers = new Headers(res.headers);
    if (headers.has(HEADER)) headers.set(HEADER, id);
    const sse = isStream && res.body && (headers.get("content-type") ?? "").includes("text/event-stream");
    if (!sse) return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    const reader = res.body!.getReader();
    const pending = s.pending.splice(0);
    let own: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        own = () => controller.close();
        s.streams.add(own);
        for (const n of pending) controller.enqueue(new TextEncoder().encode(`event: message\ndata: ${n}\n\n`));
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          s.streams.delete(own);
          controller.close();
        } else controller.enqueue(value);
      },
      cancel(reason) {
        s.streams.delete(own);
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  }
}

function withSession(req: Request, id: string): Request {
  if (req.headers.get(HEADER) === id) return req;
  const headers = new Headers(req.headers);
  headers.set(HEADER, id);
  return new Request(req, { headers });
}

function isInitialize(body: string): boolean {
  try {
    const m = JSON.parse(body);
    return (Array.isArray(m) ? m : [m]).some((x) => x?.method === "initialize");
  } catch {
    return false;
  }
}

/** The JSON-RPC answer in a body that is JSON or an event stream (`data:` lines). */
function answerOf(text: string): { result?: unknown } | undefined {
  const tryParse = (t: string) => {
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  const direct = tryParse(text);
  if (direct) return direct;
  for (const line of text.split("\n")) if (line.startsWith("data:")) {
    const m = tryParse(line.slice(5).trim());
    if (m && ("result" in m || "error" in m)) return m;
  }
  return undefined;
}

/** Puts the session bridge in front of every `fetch` the app serves; reloads that ran code move sessions on. */
export function enableMcpSessions(app: App): McpSessions {
  const sessions = new McpSessions();
  app.host.wrapFetch = sessions.handle;
  app.host.wrapNodeRequest = sessions.handleNode;
  app.listeners.add((r) => {
    if (r.kind === "reloaded" || r.kind === "rolled-back") sessions.reloaded();
  });
  return sessions;
}
