/**
 * Keeps the app's addresses answering while its process restarts. The app's TCP servers
 * listen with SO_REUSEPORT (src/server/reuse-port.ts), so this process can listen at the
 * same address before the old app process stops; it accepts and holds what arrives until
 * the new process serves, then hands each held connection to it byte for byte (requests,
 * keep-alive connections, websocket upgrades alike). A connection the new process cannot
 * take within the bound, or while the app is down, gets one clear 503 instead of a refused
 * connection. Nothing of this runs outside restarts: serving never passes through here.
 */
import type { Socket } from "bun";

/** An address the app served at, as its server was asked to listen. */
export interface Address {
  hostname: string;
  port: number;
  tls: boolean;
}

/** How long a held connection waits for the new app process before its 503 (ms). */
export const HOLD_BOUND_MS = 10_000;

interface Held {
  address: Address;
  /** Bytes the client sent before the new process took the connection. */
  early: Uint8Array[];
  /** Bytes waiting for the client to drain. */
  out: Uint8Array[];
  upstream?: Socket<Upstream>;
  timer?: Timer;
  done: boolean;
}

interface Upstream {
  client: Socket<Held>;
  /** Bytes waiting for the app to drain. */
  out: Uint8Array[];
}

export class Holder {
  private listeners: Array<{ stop(closeActive?: boolean): void }> = [];
  private readonly held = new Set<Socket<Held>>();
  /** Set when the app is down: why, for the 503 every connection gets at once. */
  private downWhy: string | undefined;
  private released = false;

  constructor(
    private readonly addresses: Address[],
    private readonly boundMs = HOLD_BOUND_MS,
  ) {}

  /** Listens beside the app at each address; an address it cannot take refuses during the gap, as it did before. */
  hold(): void {
    for (const address of this.addresses) {
      try {
        this.listeners.push(
          Bun.listen<Held>({
            hostname: address.hostname,
            port: address.port,
            reusePort: true,
            socket: {
              open: (s: Socket<Held>) => this.open(s, address),
              data: (s: Socket<Held>, chunk: Uint8Array) => this.fromClient(s, chunk),
              drain: (s: Socket<Held>) => flush(s, s.data.out),
              close: (s: Socket<Held>) => this.closed(s),
              error: (s: Socket<Held>) => this.closed(s),
            },
          } as unknown as Parameters<typeof Bun.listen<Held>>[0]),
        );
      } catch {
        // Another program holds it without SO_REUSEPORT, or the app never listened with it.
      }
    }
  }

  /** How many connections wait now (for tests and the log). */
  get waiting(): number {
    return this.held.size;
  }

  /** The new app process serves: stop accepting, and hand every held connection to it. */
  release(): void {
    this.released = true;
    this.downWhy = undefined;
    this.stopListening();
    for (const s of this.held) if (!s.data.upstream) this.forward(s);
  }

  /** The app is down until a save: every held connection, and every new one, gets a 503 saying why. */
  down(why: string): void {
    this.downWhy = why;
    for (const s of this.held) if (!s.data.upstream) this.unavailable(s, why);
  }

  /** Stops listening and answers what still waits (hmr-run is exiting). */
  close(): void {
    this.stopListening();
    for (const s of this.held) if (!s.data.upstream) this.unavailable(s, "hmr-run stopped");
  }

  private stopListening(): void {
    for (const l of this.listeners) l.stop(false);
    this.listeners = [];
  }

  private open(s: Socket<Held>, address: Address): void {
    s.data = { address, early: [], out: [], done: false };
    this.held.add(s);
    if (this.released) return this.forward(s);
    if (this.downWhy !== undefined) return this.unavailable(s, this.downWhy);
    s.data.timer = setTimeout(() => this.unavailable(s, `the app did not serve again within ${Math.round(this.boundMs / 1000)} s of its restart`), this.boundMs);
  }

  private fromClient(s: Socket<Held>, chunk: Uint8Array): void {
    const up = s.data.upstream;
    if (up) send(up, up.data.out, chunk);
    else s.data.early.push(chunk.slice());
  }

  private closed(s: Socket<Held>): void {
    if (!s.data || s.data.done) return;
    s.data.done = true;
    clearTimeout(s.data.timer);
    this.held.delete(s);
    s.data.upstream?.end();
  }

  /** Connects to the new app process and pipes the held connection through, both ways. */
  private forward(client: Socket<Held>): void {
    clearTimeout(client.data.timer);
    const { hostname, port } = client.data.address;
    Bun.connect<Upstream>({
      hostname: connectTo(hostname),
      port,
      socket: {
        open: (up: Socket<Upstream>) => {
          up.data = { client, out: [] };
          client.data.upstream = up;
          for (const chunk of client.data.early.splice(0)) send(up, up.data.out, chunk);
        },
        data: (up: Socket<Upstream>, chunk: Uint8Array) => send(up.data.client, up.data.client.data.out, chunk),
        drain: (up: Socket<Upstream>) => flush(up, up.data.out),
        close: (up: Socket<Upstream>) => up.data?.client.end(),
        error: (up: Socket<Upstream>) => up.data?.client.end(),
        connectError: () => this.unavailable(client, "the restarted app does not answer"),
      },
    } as unknown as Parameters<typeof Bun.connect<Upstream>>[0]).catch(() => this.unavailable(client, "the restarted app does not answer"));
  }

  /** One clear 503 (a TLS connection, which cannot be answered in plain text, is closed). */
  private unavailable(s: Socket<Held>, why: string): void {
    if (s.data.done) return;
    clearTimeout(s.data.timer);
    if (!s.data.address.tls) {
      const body = `hmr-run: ${why}. See the terminal where hmr-run runs.\n`;
      s.write(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
    }
    s.end();
    this.closed(s);
  }
}

/** Where to reach a server that listens on every interface. */
function connectTo(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::" || hostname === "[::]") return "::1";
  return hostname;
}

/** Writes what the socket takes now; the rest waits for its drain, in order. */
function send(s: Socket<any>, queue: Uint8Array[], chunk: Uint8Array): void {
  if (queue.length) return void queue.push(chunk.slice());
  const n = s.write(chunk);
  if (n < chunk.length) queue.push(chunk.slice(Math.max(0, n)));
}

function flush(s: Socket<any>, queue: Uint8Array[]): void {
  while (queue.length) {
    const chunk = queue[0]!;
    const n = s.write(chunk);
    if (n < chunk.length) {
      queue[0] = chunk.slice(Math.max(0, n));
      return;
    }
    queue.shift();
  }
}
