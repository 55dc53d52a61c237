/**
 * Websocket connections a replaced node:http server object still holds. On a reload the
 * listening socket moves to the newest server object, but an upgraded connection stays with
 * the handlers (a `ws` or Socket.IO server) of the object it was handed to: its client keeps
 * the old code, misses what the new code broadcasts, and never learns it should reconnect.
 * Closing it with 1012 (service restart) makes Socket.IO clients and reconnecting `ws`
 * clients come back, to the new code. (Bun.serve websockets are not here: host.ts swaps
 * their handlers in place, so open ones get the new code without a reconnect.)
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** "Service Restart" (RFC 6455 registry): the server restarts, the client should reconnect. */
export const SERVICE_RESTART = 1012;
const REASON = "hmr-run: reloaded";
/** How long a client gets to answer the close frame before its socket is destroyed. */
const GRACE_MS = 1000;

type Socket = Duplex & Record<PropertyKey, any>;

interface Open {
  socket: Socket;
  /** The handler wrote on the socket itself: an answer to the handshake. */
  answered: boolean;
  /** That answer was a 101 (a hand-written handshake, a proxy): websocket frames follow. */
  switched: boolean;
}

/** What closing a replaced server's connections did. */
export interface Closed {
  /** Open websockets sent a 1012 close. */
  closed: number;
  /** Websocket handshakes still unanswered, cut: the old handlers would finish them. */
  cut: number;
}

export class Upgrades {
  /** Websocket upgrades handed to each server object, while their sockets are open. */
  private held = new WeakMap<object, Set<Open>>();

  /** `socket` (a websocket upgrade of `req`) is handed to `server`'s `upgrade` listeners: keep it until it closes. */
  handed(server: object, req: IncomingMessage, socket: Socket): void {
    if (!isWebSocketUpgrade(req) || typeof socket?.once !== "function" || socket.destroyed) return;
    let set = this.held.get(server);
    if (!set) this.held.set(server, (set = new Set()));
    const open: Open = { socket, answered: false, switched: false };
    set.add(open);
    socket.once("close", () => set.delete(open));
    peekFirstWrite(socket, (chunk) => {
      open.answered = true;
      open.switched = isSwitching(chunk);
    });
  }

  /** `server` was replaced by a newer server object: closes the websockets it holds, once. */
  replaced(server: object): Closed {
    const set = this.held.get(server);
    this.held.delete(server);
    const out: Closed = { closed: 0, cut: 0 };
    for (const open of set ?? []) {
      if (open.socket.destroyed) continue;
      if (open.switched || library(open.socket)) {
        restart(open);
        out.closed++;
      } else if (!open.answered) {
        open.socket.destroy();
        out.cut++;
      } // Else it was refused (a 4xx on its way out): the old handler ends it.
    }
    return out;
  }
}

/** The line saying what `replaced` did, or undefined when it did nothing. */
export function closedLine({ closed, cut }: Closed): string | undefined {
  const parts: string[] = [];
  if (closed) parts.push(`closed ${closed} websocket connection${closed === 1 ? "" : "s"} of the replaced server (code ${SERVICE_RESTART}, service restart): clients reconnect to the new code`);
  if (cut) parts.push(`cut ${cut} websocket handshake${cut === 1 ? "" : "s"} the replaced server had not answered`);
  return parts.length ? parts.join("; ") : undefined;
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const up = req?.headers?.upgrade;
  return typeof up === "string" && up.toLowerCase() === "websocket";
}

function isSwitching(chunk: unknown): boolean {
  const head = typeof chunk === "string" ? chunk.slice(0, 12) : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(12, chunk.byteLength)).toString("latin1") : "";
  return /^HTTP\/1\.[01] 101/.test(head);
}

/**
 * Calls `see` with the first chunk written on `socket`, then steps aside. A library that
 * answers natively (Bun's `ws` upgrades in native code) writes nothing here: `library` finds it.
 */
function peekFirstWrite(socket: Socket, see: (chunk: unknown) => void): void {
  const s = socket as Record<string, any>;
  const own = Object.hasOwn(s, "write");
  const write: Function = s.write;
  const peek = function (this: unknown, ...args: unknown[]) {
    if (s.write === peek) {
      if (own) s.write = write;
      else delete s.write;
    }
    see(args[0]);
    return write.apply(this, args);
  };
  s.write = peek;
}

/**
 * The websocket object a library attached to the socket once its handshake was written:
 * both the npm `ws` package and Bun's own `ws` (which Socket.IO uses) keep it under
 * `Symbol("websocket")`. Closing through it runs the library's own closing handshake.
 */
function library(socket: Socket): { close(code: number, reason: string): void } | undefined {
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description !== "websocket") continue;
    const ws = socket[sym];
    if (ws && typeof ws.close === "function") return ws;
  }
  return undefined;
}

function restart({ socket }: Open): void {
  const ws = library(socket);
  try {
    if (ws) ws.close(SERVICE_RESTART, REASON);
    else {
      socket.write(closeFrame(SERVICE_RESTART, REASON));
      socket.end();
    }
  } catch {
    socket.destroy();
    return;
  }
  // A client that never answers the close frame must not keep the socket.
  setTimeout(() => socket.destroyed || socket.destroy(), GRACE_MS).unref();
}

/** An unmasked (server) close frame: FIN + opcode 8, the length, the code, the reason. */
function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason).subarray(0, 123);
  return Buffer.concat([Buffer.from([0x88, 2 + text.length, code >> 8, code & 0xff]), text]);
}
