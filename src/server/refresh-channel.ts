/**
 * The one reserved path of `--refresh`: a server-sent event stream of the app's state
 * (which process, which successful reload, the current error). It reads nothing from
 * the request but its method and a few headers, serves no files, and refuses
 * cross-origin callers, so reload errors only reach pages of this server's own origin.
 */
import { hostname as machineName } from "node:os";
import type { Server } from "bun";

/** What a page needs to know; a page rendered under another state is stale. */
export interface RefreshState {
  /** Changes when hmr-run restarts, so pages reload after a restart too. */
  boot: string;
  /** Counts successful reloads. */
  version: number;
  error?: ErrorPayload;
}

/** A failed reload as shown in the overlay. */
export interface ErrorPayload {
  message: string;
  /** `file:line:column`, relative to the working directory. */
  file?: string;
  frame?: string;
}

interface Client {
  out: ReadableStreamDefaultController<Uint8Array>;
  /** Gets file names and code frames; see `detailed()`. */
  detailed: boolean;
}

const encoder = new TextEncoder();
/** Keeps idle proxies from closing the stream and finds dead clients. */
const PING_MS = 15_000;

export class RefreshChannel {
  readonly boot = crypto.randomUUID().slice(0, 8);
  version = 0;
  error: ErrorPayload | undefined;
  private clients = new Set<Client>();
  private pinger: Timer | undefined;

  constructor(readonly path: string) {}

  /** The state as stamped into a page (never with the error: the stream brings that). */
  stamp(): RefreshState {
    return { boot: this.boot, version: this.version };
  }

  /** A reload succeeded: every page reloads. */
  reloaded(): void {
    this.version++;
    this.error = undefined;
    this.publish();
  }

  /** A reload failed: every page shows the overlay. */
  failed(error: ErrorPayload): void {
    this.error = error;
    this.publish();
  }

  /** How many pages (or leading tabs) listen right now. */
  get size(): number {
    return this.clients.size;
  }

  /** The route handler. Bun passes the server for native routes; it lifts the idle timeout. */
  readonly handle = (req: Request, server?: Server<any>): Response => {
    if (req.method !== "GET") return new Response(null, { status: 405, headers: { allow: "GET" } });
    if (!sameOrigin(req)) return new Response(null, { status: 403 });
    server?.timeout(req, 0);
    let client: Client;
    const stream = new ReadableStream<Uint8Array>({
      start: (out) => {
        client = { out, detailed: detailed(req, server) };
        this.clients.add(client);
        this.send(client);
        this.pinger ??= setInterval(() => this.ping(), PING_MS);
        this.pinger.unref();
      },
      cancel: () => this.drop(client),
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  };

  private publish(): void {
    for (const c of this.clients) this.send(c);
  }

  private send(c: Client): void {
    const state: RefreshState = this.stamp();
    if (this.error) state.error = c.detailed ? this.error : { message: HIDDEN };
    this.write(c, `data: ${JSON.stringify(state)}\n\n`);
  }

  private ping(): void {
    for (const c of this.clients) this.write(c, ": ping\n\n");
  }

  private write(c: Client, text: string): void {
    try {
      c.out.enqueue(encoder.encode(text));
    } catch {
      this.drop(c); // The page went away between two events: its stream is closed.
    }
  }

  private drop(c: Client): void {
    this.clients.delete(c);
    if (this.clients.size === 0 && this.pinger) {
      clearInterval(this.pinger);
      this.pinger = undefined;
    }
  }
}

const HIDDEN =
  "The reload failed; details are in hmr-run's terminal (file names and code are only sent to pages opened through localhost, an IP address or this machine's name).";

/**
 * Browsers say where a request comes from (Fetch Metadata, Origin); anything but this
 * origin is refused. Tools that send neither (curl) are allowed: they are not pages.
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  try {
    return new URL(origin).host === req.headers.get("host");
  } catch {
    return false; // "null" (sandboxed frames, file: pages) or garbage: not this origin.
  }
}

/**
 * A page reached through a name that is neither local nor this machine's may be a
 * DNS-rebinding attack (evil.example resolving to 127.0.0.1 is "same origin" to the
 * browser): it still gets reload signals, but no file names or code.
 */
function detailed(req: Request, server?: Server<any>): boolean {
  let host: string;
  try {
    host = new URL(`http://${req.headers.get("host") ?? ""}`).hostname.toLowerCase();
  } catch {
    return false; // A Host header that is not a host name.
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  if (host === machineName().toLowerCase()) return true;
  return !!server?.hostname && host === server.hostname.toLowerCase();
}
