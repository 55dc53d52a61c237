/**
 * node:http and node:https servers (Express, Fastify, Koa, `ws`). Bun builds them on
 * `Bun.serve`, and the Bun server calls back into the node server that listened, so the
 * first server to listen keeps the socket: when its module runs again, the new server
 * takes over its request events instead of binding again. Keep-alive connections stay
 * on the same socket and get the new code on their next request; open websockets of the
 * replaced server are closed so their clients reconnect to it (see upgrades.ts).
 */
import http from "node:http";
import type { Server } from "bun";
import { ServeError } from "./serve-error.ts";
import { patch, patchProperty } from "../runtime/patch.ts";
import { withReusePort } from "./reuse-port.ts";
import { Upgrades, closedLine } from "./upgrades.ts";

type NodeServer = http.Server & Record<PropertyKey, any>;

/** Where a server listens: what `listen()` asked for, or what the command line says. */
export interface Place {
  port?: number;
  hostname?: string;
  unix?: string;
}

/** What the node servers need from the host. */
export interface NodeHost {
  /** The key of the calling place (module and call count in this reload). */
  keyFor(): string;
  /** Where a server that asked for `want` under `key` is served. */
  place(want: Place, key: string): Place;
  generation(): number;
  /** A server could not bind or take over: the reload that asked for it failed. */
  failed(err: ServeError): void;
  info(msg: string): void;
  announce(): boolean;
  /** A server bound for the first time at this address (for the exposure warning). */
  bound(bun: Server<any>): void;
  /** A request arrived: `dispatch` hands it to the newest server, now or later. */
  onRequest(req: http.IncomingMessage, res: http.ServerResponse, bun: Server<any>, dispatch: () => void): void;
  /** Does `onRequest` have anything to do (an MCP endpoint is mounted)? */
  wrapsRequests(): boolean;
  /** A server of newer code took over a place: its requests go to that code from now on. */
  tookOver(): void;
}

/** Events that carry requests and connections: the newest server gets them. */
const ROUTED = new Set(["request", "upgrade", "connect", "checkContinue", "checkExpectation", "clientError", "connection", "dropRequest", "close"]);
/** Settings node:http reads from the listening server on every request. */
const SETTINGS = ["timeout", "keepAliveTimeout", "headersTimeout", "requestTimeout", "maxHeadersCount", "maxRequestsPerSocket"];
/** Methods that act on the listening socket: an adopting server forwards them. */
const SOCKET_METHODS = ["address", "getConnections", "closeAllConnections", "closeIdleConnections", "ref", "unref"];

interface Slot {
  key: string;
  bind: string;
  /** The server that listened: the Bun server behind it calls back into this one. */
  real: NodeServer;
  /** The newest server asking for this place: it gets the routed events. */
  current: NodeServer;
  bun: Server<any> | undefined;
  generation: number;
}

export class NodeServers {
  private slots = new Map<string, Slot>();
  /** Servers that took over another one's socket, to their slot. */
  private adopted = new WeakMap<NodeServer, Slot>();
  private reals = new WeakMap<NodeServer, Slot>();
  /** Websocket upgrades each server object was handed, to close when a newer one replaces it. */
  private upgrades = new Upgrades();
  /** Set while a node server binds: the Bun.serve call inside belongs to it. */
  private binding: { bun?: Server<any>; error?: unknown } | undefined;
  private get orig(): Record<string, Function> {
    return state().orig;
  }

  constructor(private host: NodeHost) {}

  /** Is this `Bun.serve()` call node:http's own (the `onNodeHTTPRequest` hook is its signature)? */
  static isInternal(options: unknown): boolean {
    return !!options && typeof options === "object" && "onNodeHTTPRequest" in options;
  }

  /** Runs node:http's own `Bun.serve()` call, noting its server or error for the listen in progress. */
  serveInternal(serve: (o: unknown) => Server<any>, options: unknown): Server<any> {
    try {
      // node:http drops a `reusePort` given to listen(); at Bun.serve it is honoured (see reuse-port.ts).
      // node:http always passes `reusePort: false` (only cluster workers set it): not the app's wish.
      const bun = serve(options && typeof options === "object" ? withReusePort({ ...(options as Record<string, unknown>), reusePort: undefined }) : options);
      if (this.binding) this.binding.bun = bun;
      return bun;
    } catch (err) {
      if (this.binding) this.binding.error = err;
      throw err;
    }
  }

  /**
   * Patches `http.Server.prototype` (https servers inherit it) until the returned undo;
   * the patches report to the latest app (hmr-run/testing starts several in one process).
   */
  install(): () => void {
    const st = state();
    st.active = this;
    const undo = patchProto(st);
    return () => {
      if (st.active === this) st.active = undefined;
      undo();
    };
  }

  /** Does this app manage `server` (it took over a socket, or holds one)? */
  private manages(server: NodeServer): boolean {
    return this.adopted.has(server) || this.reals.has(server);
  }

  private adoptedSlot(server: NodeServer): Slot | undefined {
    return this.adopted.get(server);
  }

  /** The Bun servers behind every listening node server. */
  servers(): Server<any>[] {
    return [...this.slots.values()].flatMap((s) => (s.bun ? [s.bun] : []));
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Is `value` a server listening here, or the request handler of one (an Express app)? */
  serves(value: unknown): boolean {
    for (const s of this.slots.values()) {
      if (s.real === value || s.current === value || (s.current.listeners("request") as unknown[]).includes(value)) return true;
    }
    return false;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** The servers whose owner ran again without listening again (see Host.endReload). */
  stale(gen: number, reran: (key: string) => boolean): Array<() => void> {
    return [...this.slots.values()]
      .filter((s) => s.generation < gen && reran(s.key))
      .map((slot) => () => {
        if (this.slots.get(slot.key) !== slot || slot.generation >= gen) return;
        this.host.info(`${slot.key} no longer starts a server: stopped ${slot.bind}`);
        this.shut(slot);
      });
  }

  async stopAll(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    for (const slot of all) this.shut(slot);
  }

  private shut(slot: Slot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    this.orig.close!.call(slot.real);
    slot.real.closeAllConnections?.();
  }

  private listen(server: NodeServer, args: unknown[]): NodeServer {
    const { want, options, callback } = parseListen(args);
    const key = this.host.keyFor();
    const place = this.host.place(want, key);
    const bind = bindOf(place);
    if (callback) server.once("listening", callback as () => void);
    const slot = this.slots.get(key);
    if (slot && slot.bind === bind && isListening(slot.real)) {
      this.takeOver(slot, server);
      return server;
    }
    // Filed under another key (it listened from a callback, or its module's servers came
    // in another order), a server of an earlier run already holds this exact address.
    const holder = place.unix || place.port ? [...this.slots.values()].find((s) => s.bind === bind && s.generation < this.host.generation() && isListening(s.real)) : undefined;
    if (holder) {
      this.slots.delete(holder.key);
      holder.key = key;
      this.slots.set(key, holder);
      this.takeOver(holder, server);
      if (slot && slot !== holder && isListening(slot.real)) {
        this.shut(slot);
        this.retire(key, slot.current);
      }
      return server;
    }
    if (slot && slot.bind !== bind) this.host.info(`${key}: address changed from ${slot.bind} to ${bind}, moving that server`);
    const bun = this.bind(server, { ...options, port: place.port, host: place.hostname, path: place.unix }, bind);
    if (!bun) return server; // The old server (if any) keeps serving; the reload says why.
    if (slot && isListening(slot.real)) {
      this.shut(slot);
      this.retire(key, slot.current);
    }
    this.track(key, bind, server, bun);
    return server;
  }

  /** Binds for real; undefined (and the failure reported) when Bun could not listen. */
  private bind(server: NodeServer, options: Record<string, unknown>, bind: string): Server<any> | undefined {
    if (options.path === undefined) delete options.path;
    else {
      delete options.port;
      delete options.host;
    }
    const state: { bun?: Server<any>; error?: unknown } = {};
    this.binding = state;
    try {
      this.orig.listen!.call(server, options);
    } finally {
      this.binding = undefined;
    }
    if (state.bun) return state.bun;
    const err = ServeError.from(state.error ?? new Error("the server did not start"), bind);
    this.host.failed(err);
    // node:http emits the error on the next tick; with no listener it would be thrown as
    // an uncaught exception with a stack trace, where the reload already says why.
    if (server.listenerCount("error") === 0) server.once("error", () => {});
    return undefined;
  }

  private track(key: string, bind: string, server: NodeServer, bun: Server<any>): void {
    const slot: Slot = { key, bind, real: server, current: server, bun, generation: this.host.generation() };
    this.slots.set(key, slot);
    this.reals.set(server, slot);
    // The Bun server emits on the server that listened: route what it emits to the newest.
    const emit = server.emit;
    const count = server.listenerCount;
    const host = this.host;
    const upgrades = this.upgrades;
    // Every request passes here: no closure and no copy of the arguments unless a wrapper asks.
    const route = (self: NodeServer, args: IArguments | unknown[]) => {
      const cur = slot.current;
      const event = args[0];
      // The server object whose listeners get the socket keeps it, even once replaced.
      if (event === "upgrade") upgrades.handed(cur === server ? self : cur, args[1] as http.IncomingMessage, args[2] as any);
      if (cur !== server && typeof event === "string" && ROUTED.has(event)) return cur.emit.apply(cur, args as any);
      return emit.apply(self, args as any);
    };
    server.emit = function (this: NodeServer, event: string | symbol) {
      if (event !== "request" || !host.wrapsRequests()) return route(this, arguments);
      const args = [...arguments];
      host.onRequest(args[1] as http.IncomingMessage, args[2] as http.ServerResponse, bun, () => void route(this, args));
      return true;
    } as any;
    server.listenerCount = function (this: NodeServer, event: string | symbol, ...rest: unknown[]) {
      const cur = slot.current;
      if (cur !== server && typeof event === "string" && ROUTED.has(event)) return cur.listenerCount(event, ...(rest as []));
      return count.call(this, event, ...(rest as []));
    } as any;
    this.host.bound(bun);
    if (this.host.announce()) this.host.info(`${key} started a server: ${bun.url?.href ?? bind}`);
  }

  private takeOver(slot: Slot, server: NodeServer): void {
    const real = slot.real;
    const prev = slot.current;
    slot.current = server;
    if (prev !== server) this.retire(slot.key, prev);
    this.host.tookOver();
    slot.generation = this.host.generation();
    this.adopted.set(server, slot);
    for (const k of SETTINGS) if (server[k] !== undefined) real[k] = server[k];
    if (typeof server.shouldUpgradeCallback === "function") real.shouldUpgradeCallback = server.shouldUpgradeCallback.bind(server);
    process.nextTick(() => server.emit("listening"));
  }

  /**
   * `old` no longer gets the events of its place: its open websockets would stay with its
   * handlers, cut off from the new code's. Closed once the module that replaced it has run
   * (its new handlers are in place when clients reconnect), and said in one line.
   */
  private retire(key: string, old: NodeServer): void {
    setImmediate(() => {
      const line = closedLine(this.upgrades.replaced(old));
      if (line) this.host.info(`${key}: ${line}`);
    });
  }

  private close(server: NodeServer, cb?: (err?: Error) => void): NodeServer {
    const slot = this.adopted.get(server) ?? this.reals.get(server);
    if (!slot || this.slots.get(slot.key) !== slot || slot.current !== server) {
      if (!slot) return this.orig.close!.call(server, cb);
      // A server a reload replaced: its socket now serves the newer one, so leave it be.
      if (typeof cb === "function") process.nextTick(cb);
      return server;
    }
    this.slots.delete(slot.key);
    // Closed, it is the app's again: a later listen() binds and is tracked afresh.
    this.adopted.delete(server);
    this.reals.delete(slot.real);
    if (typeof cb === "function") server.once("close", cb);
    // The real server emits "close", which reaches `server` as the current one.
    this.orig.close!.call(slot.real);
    return server;
  }
}

const KEY = Symbol.for("hmr-run.node-http");

/** The process-wide patch of `http.Server.prototype`, made on first use. */
interface PatchState {
  active: NodeServers | undefined;
  /** The prototype's own methods, as they were: what a managed or unmanaged server really calls. */
  orig: Record<string, Function>;
}

/** One state per process, shared by every copy of hmr-run loaded in it. */
function state(): PatchState {
  const g = globalThis as any;
  return (g[KEY] ??= { active: undefined, orig: {} });
}

function patchProto(st: PatchState): () => void {
  const proto = http.Server.prototype as NodeServer;
  const o = st.orig;
  const app = () => st.active as unknown as { manages(s: NodeServer): boolean; listen(s: NodeServer, a: unknown[]): NodeServer; close(s: NodeServer, cb?: unknown): NodeServer; adoptedSlot(s: NodeServer): Slot | undefined } | undefined;
  const undo = [
    patch<Function>(proto, "listen", "http.Server.prototype.listen", (listen) => {
      o.listen = listen;
      return function (this: NodeServer, ...args: unknown[]) {
        const a = app();
        if (!a || a.manages(this)) return listen.apply(this, args);
        return a.listen(this, args);
      };
    }),
    patch<Function>(proto, "close", "http.Server.prototype.close", (close) => {
      o.close = close;
      return function (this: NodeServer, cb?: (err?: Error) => void) {
        const a = app();
        return a ? a.close(this, cb) : close.call(this, cb);
      };
    }),
    ...SOCKET_METHODS.map((name) =>
      patch<Function>(proto, name, `http.Server.prototype.${name}`, (fn) => {
        o[name] = fn;
        return function (this: NodeServer, ...args: unknown[]) {
          const slot = app()?.adoptedSlot(this);
          if (!slot) return fn.apply(this, args);
          const out = fn.apply(slot.real, args);
          return out === slot.real ? this : out;
        };
      }),
    ),
  ];
  const listening = Object.getOwnPropertyDescriptor(proto, "listening");
  if (listening?.get) {
    const get = listening.get;
    undo.push(
      patchProperty(proto, "listening", "http.Server.prototype.listening", () => ({
        ...listening,
        get(this: NodeServer) {
          const slot = app()?.adoptedSlot(this);
          return slot ? slot.current === this && get.call(slot.real) : get.call(this);
        },
      })),
    );
  }
  return () => {
    for (const u of undo) u();
  };
}

function isListening(server: NodeServer): boolean {
  return !!server.address();
}

/** Every call shape of `server.listen(...)`, as node:http reads them. */
export function parseListen(args: unknown[]): { want: Place; options: Record<string, unknown>; callback?: Function } {
  const last = args[args.length - 1];
  const callback = typeof last === "function" ? (last as Function) : undefined;
  const list = callback ? args.slice(0, -1) : args;
  const a0 = list[0];
  let options: Record<string, unknown> = {};
  if (a0 && typeof a0 === "object") options = { ...(a0 as Record<string, unknown>) };
  else if (typeof a0 === "string" && !(Number(a0) >= 0)) options = { path: a0 };
  else if (a0 !== undefined && a0 !== null) {
    options = { port: a0 };
    if (typeof list[1] === "string") options.host = list[1];
    if (typeof list[list.length - 1] === "number" && list.length > 1) options.backlog = list[list.length - 1];
  }
  let port = options.port as unknown;
  if (typeof port === "string" && !Number.isNaN(parseInt(port))) port = parseInt(port);
  const want: Place = {};
  if (typeof options.path === "string") want.unix = options.path;
  else {
    if (typeof port === "number") want.port = port;
    if (typeof options.host === "string") want.hostname = options.host;
  }
  return { want, options, callback };
}

function bindOf(p: Place): string {
  return p.unix ? `unix:${p.unix}` : `${p.hostname ?? "::"}:${p.port ?? 0}`;
}
