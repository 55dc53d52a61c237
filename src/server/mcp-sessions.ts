/**
 * MCP sessions over Streamable HTTP that outlive reloads. A stateful MCP server keeps
 * its sessions in objects the reload replaces (a transport, a map of transports), so a
 * client's next request would name a session the new code never saw. hmr-run stands
 * between the client and the app's handler: the first request of a session after a
 * reload re-introduces it to the new code (the client's own `initialize`, replayed), and
 * from then on the client's session id is mapped to the new one, both ways. Open event
 * streams are closed at a reload, so clients reopen them on the new server.
 * It speaks only HTTP to the app, so it works whatever shape the app's code has.
 *
 * hmr-run never sends the app a request of its own making in a session: only the
 * client's own `initialize` and `notifications/initialized`, replayed. It once asked for
 * the tool, resource and prompt lists itself (`tools/list` with ids `hmr-run:N`, right
 * after the client's first request) to compare them across a reload, and a transport
 * need not take requests its client never sent: elysia-mcp writes every event stream of a
 * session from one shared queue, so a stream of a request hmr-run made can carry off the
 * answer to one the client made, which then never comes; JSON-response and stateless
 * transports answer such requests in ways a session's client never expects. So the lists
 * are not asked for. Instead, after a reload that ran code, each session whose server
 * said (in its answer to the client's own `initialize`, read as it passes) that a list
 * may change hears `notifications/<list>/list_changed` for that list, on the next event
 * stream the client opens: the one the reload closed, reopened. The client lists again,
 * from the new code. That costs a client one list request per reload, also when its list
 * did not change; it is never wrong, and it asks nothing of the app's transport.
 * The ways not taken: comparing the lists that the client's own `tools/list` answers
 * carry tells of a change only once the client has listed again, which is what the
 * announcement is for; listing on a session of hmr-run's own (an `initialize`, the lists,
 * a DELETE) is still requests no client sent, to transports whose handling of them is
 * unknown, and it leaves sessions behind on servers that ignore the DELETE.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "bun";
import type { App } from "../app.ts";
import { answerIn, ANSWER_LIMIT, teeAnswer, type Answer } from "./mcp-answer.ts";
import { HEADER, INTERNAL, loopback, nodeHeaders, onBody, onHead, one, sessionHeaders, setHeader, type Next } from "./node-exchange.ts";

interface Session {
  /** Where the client initialized, and the body it sent. */
  url: string;
  init: string;
  /** The id the app's current code knows this session by. */
  current: string;
  /** The reload count the session was last introduced at. */
  generation: number;
  /**
   * The list_changed notifications the server said it sends (`listChanged: true` for the
   * list, in its answer to the client's own `initialize`): announced after each reload.
   * Empty until that answer is read, and when it said none.
   */
  announces: string[];
  /** Notifications for the next event stream the client opens, each once. */
  pending: Set<string>;
  /** The re-introduction under way, if any: requests of the session wait for it. */
  introducing?: Promise<void>;
  /** Closers of the event streams open on this session: called at a reload. */
  streams: Set<() => void>;
}

/** The lists a server can say may change, by their capability. */
const LISTS = [
  { capability: "tools", notify: "notifications/tools/list_changed" },
  { capability: "resources", notify: "notifications/resources/list_changed" },
  { capability: "prompts", notify: "notifications/prompts/list_changed" },
];

/** The session bridge: `handle` stands in front of `fetch`, `handleNode` in front of node:http. */
export class McpSessions {
  private generation = 0;
  private sessions = new Map<string, Session>();

  /** Modules ran again: sessions meet the new code at their next request, and hear that its lists may differ. */
  reloaded(): void {
    this.generation++;
    for (const s of this.sessions.values()) {
      for (const method of s.announces) s.pending.add(JSON.stringify({ jsonrpc: "2.0", method }));
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
    return this.rename(s, id, res, req.method === "GET");
  };

  /** An `initialize` without a session: the session the app opens is remembered, with what its answer says. */
  private async maybeInitialize(req: Request, next: Next): Promise<Response> {
    // MCP clients must accept both; other POSTs are not read here.
    const accept = req.headers.get("accept") ?? "";
    if (req.method !== "POST" || !accept.includes("text/event-stream")) return next(req);
    // Read from a copy, once the app opened a session: the app gets the client's own
    // request (its address for `server.requestIP`, its body), and a stateless server's
    // requests are not read at all.
    const copy = req.clone();
    const res = await next(req);
    const id = res.headers.get(HEADER);
    if (!id) {
      copy.body?.cancel().catch(() => {});
      return res;
    }
    const body = await copy.text().catch(() => "");
    if (!isInitialize(body)) return res;
    const s = this.remember(id, req.url, body);
    const [forClient, answer] = teeAnswer(res);
    void answer.then((a) => (s.announces = announcesOf(a)));
    return forClient;
  }

  private remember(id: string, url: string, init: string): Session {
    const s: Session = { url, init, current: id, generation: this.generation, announces: [], pending: new Set(), streams: new Set() };
    this.sessions.set(id, s);
    return s;
  }

  /**
   * The node:http side (Express, Koa): the same bridge on `IncomingMessage` and
   * `ServerResponse`. hmr-run's own requests (the replayed initialize) go to the server
   * over loopback, marked so they pass straight through.
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
      let s: Session | undefined;
      onHead(res, () => {
        const sid = one(res.getHeader(HEADER) as string | undefined);
        const body = Buffer.concat(chunks).toString();
        if (sid && isInitialize(body)) s = this.remember(sid, new URL(req.url ?? "/", bun.url).href, body);
      });
      // The answer, as the app writes it to the client.
      onBody(res, (text, complete) => {
        if (!s) return true;
        const answer = answerIn(text, complete);
        if (answer) s.announces = announcesOf(answer);
        return answer !== undefined;
      }, ANSWER_LIMIT);
      return dispatch();
    }
    const s = this.sessions.get(id);
    if (!s) return dispatch();
    const go = () => {
      setHeader(req, HEADER, s.current);
      onHead(res, () => {
        if (res.getHeader(HEADER) !== undefined) res.setHeader(HEADER, id);
      }, () => {
        if (req.method !== "GET" || !String(res.getHeader("content-type") ?? "").includes("text/event-stream")) return;
        for (const n of takePending(s)) res.write(`event: message\ndata: ${n}\n\n`);
        const close = () => res.end();
        s.streams.add(close);
        res.once("close", () => s.streams.delete(close));
      });
      if (req.method === "DELETE") this.sessions.delete(id);
      dispatch();
    };
    this.ready(s, () => nodeHeaders(req, undefined), loopback(bun)).then(go, go);
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

  /**
   * The client's own `initialize` and `notifications/initialized`, replayed to the app's
   * new code; the answers stay here. Nothing else is sent: see the top of this file.
   */
  private async reintroduce(s: Session, headers: Headers, next: Next): Promise<void> {
    const res = await next(new Request(s.url, { method: "POST", headers, body: s.init }));
    await res.text();
    const id = res.headers.get(HEADER);
    // The new code kept the old session (or refused a second one): requests go on as they are.
    if (!res.ok || !id || id === s.current) return;
    s.current = id;
    headers.set(HEADER, id);
    await (await next(new Request(s.url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) }))).text();
  }

  /** The client sees its own session id; an event stream can be closed at a reload and carries pending notices. */
  private rename(s: Session, id: string, res: Response, isStream: boolean): Response {
    const headers = new Headers(res.headers);
    if (headers.has(HEADER)) headers.set(HEADER, id);
    const sse = isStream && res.body && (headers.get("content-type") ?? "").includes("text/event-stream");
    if (!sse) return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    const reader = res.body!.getReader();
    const pending = takePending(s);
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

/** The request in the session the app's code knows; the same request object where Bun lets its headers change, so `server.requestIP(req)` still finds the client. */
function withSession(req: Request, id: string): Request {
  if (req.headers.get(HEADER) === id) return req;
  try {
    req.headers.set(HEADER, id);
    if (req.headers.get(HEADER) === id) return req;
  } catch {
    // Immutable headers: a copy below.
  }
  const headers = new Headers(req.headers);
  headers.set(HEADER, id);
  return new Request(req, { headers });
}

function takePending(s: Session): string[] {
  const out = [...s.pending];
  s.pending.clear();
  return out;
}

function isInitialize(body: string): boolean {
  try {
    const m = JSON.parse(body);
    return (Array.isArray(m) ? m : [m]).some((x) => x?.method === "initialize");
  } catch {
    return false;
  }
}

/** The list_changed notifications an `initialize` answer's capabilities promise; none when it has none. */
function announcesOf(answer: Answer | undefined): string[] {
  const result = answer?.result as { capabilities?: Record<string, { listChanged?: unknown } | undefined> } | undefined;
  const caps = result?.capabilities;
  if (!caps || typeof caps !== "object") return [];
  return LISTS.filter((l) => caps[l.capability]?.listChanged === true).map((l) => l.notify);
}

/** Puts the session bridge in front of every `fetch` the app serves; modules that ran again move sessions on. */
export function enableMcpSessions(app: App): McpSessions {
  const sessions = new McpSessions();
  app.host.wrapFetch = sessions.handle;
  app.host.wrapNodeRequest = sessions.handleNode;
  app.host.ranAgain.add(() => sessions.reloaded());
  return sessions;
}
