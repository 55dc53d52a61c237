/**
 * Hosts the user's servers. `Bun.serve()` is intercepted: the first call binds the port,
 * every later call from the same place (a re-run module, Elysia's `.listen()`) swaps
 * the handlers into the running server, so sockets and connections survive reloads.
 */
import { patch } from "../runtime/patch.ts";
import { withReusePort } from "./reuse-port.ts";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "bun";
import { exposureWarning } from "./exposure.ts";
import { NodeServers } from "./node-http.ts";
import { Placement } from "./placement.ts";
import { TcpServers } from "./tcp.ts";
import { ServeError } from "./serve-error.ts";

export { ServeError };

/** Where to serve when the app does not say, and what the user asked for explicitly. */
export interface ServeDefaults {
  hostname: string;
  port: number;
  unix?: string;
  tls?: { cert: string; key: string };
  /** The CLI was given --host / --port / --unix: they win over the app's own values. */
  explicit: { hostname: boolean; port: boolean; unix: boolean };
}

type Options = Record<string, any>;
/** Rewrites each response before it leaves (used by browser refresh). */
export type ResponseTransform = (res: Response, req: Request) => Response | Promise<Response>;

interface Slot {
  key: string;
  server: Server<any>;
  proxy: Server<any>;
  user: Options;
  bind: string;
  /** The reload that last asked for this server. */
  generation: number;
  /** Native routes were installed: dropping them needs a reload with none. */
  routed: boolean;
}

export class Host {
  private slots = new Map<string, Slot>();
  private realServe = Bun.serve.bind(Bun);
  /** Counts reloads; a server claimed by none since the one that re-ran its owner is stopped. */
  private generation = 0;
  /** `Bun.serve()` calls per calling module in this reload: the second call gets its own server. */
  private calls = new Map<string, number>();
  /** Log servers started after start-up (a server started once some promise settles). */
  announce = false;
  transform: ResponseTransform | undefined;
  /** The same for node:http servers (Express): `dispatch` hands the request to the app. */
  wrapNodeRequest: ((req: IncomingMessage, res: ServerResponse, bun: Server<any>, dispatch: () => void) => void) | undefined;
  /** Stands between every request and the app's fetch (MCP sessions that outlive reloads). */
  wrapFetch: ((req: Request, next: (req: Request) => Response | Promise<Response>) => Response | Promise<Response>) | undefined;
  /**
   * Told when modules ran again (a reload, or a rollback restoring the code before it),
   * before the code that ran answers anything: state kept for the code that answered
   * before (MCP sessions) moves on here, not when the outcome comes back from the core.
   */
  readonly ranAgain = new Set<() => void>();
  /** Which static `Response` routes `transform` must see; the rest stay native (Bun adds Last-Modified and 304s). */
  transformsStatic: (res: Response) => boolean = () => true;
  /** Extra routes of hmr-run's own (browser refresh), merged under the user's. */
  ownRoutes: Record<string, (req: Request) => Response | Promise<Response>> = {};
  /** node:http and node:https servers (Express, Fastify, Koa, `ws`). */
  readonly node: NodeServers;
  /** `Bun.listen` TCP and unix-socket listeners. */
  readonly tcp: TcpServers;
  /** Which server the command line's address is for, and what the others get. */
  readonly placement: Placement;
  /** Servers that could not bind or take over during the current reload. */
  private failures: ServeError[] = [];
  private keyOf: () => string = () => "the app";

  constructor(
    private defaults: ServeDefaults,
    private log: { info(msg: string): void; warn?(msg: string): void; error(msg: string, err?: unknown): void },
  ) {
    this.placement = new Placement(defaults, (line) => this.log.info(line));
    this.node = new NodeServers({
      keyFor: () => this.nextKey(),
      place: (want, key) => this.placement.node(want, key),
      generation: () => this.generation,
      failed: (err) => {
        this.failures.push(err);
        if (this.announce && !this.reloading) this.log.error(err.message);
      },
      info: (m) => this.log.info(m),
      announce: () => this.announce,
      bound: (bun) => this.warnIfExposed(bun.hostname, bun.port, bun.url?.protocol === "unix:"),
      onRequest: (req, res, bun, dispatch) => (this.wrapNodeRequest ? this.wrapNodeRequest(req, res, bun, dispatch) : dispatch()),
      wrapsRequests: () => this.wrapNodeRequest !== undefined,
      tookOver: () => this.newCode(),
    });
    this.tcp = new TcpServers({
      keyFor: () => this.nextKey(),
      generation: () => this.generation,
      info: (m) => this.log.info(m),
      announce: () => this.announce,
    });
  }

  /** Replaces `Bun.serve`, `Bun.listen` and node:http's listen so the app's own calls land here; `keyOf` names the calling place. Returns the undo. */
  intercept(keyOf: () => string): () => void {
    this.keyOf = keyOf;
    const undo = [
      this.node.install(),
      this.tcp.install(),
      patch<typeof Bun.serve>(Bun, "serve", "Bun.serve", () =>
        ((options: Options) => {
          // node:http calls Bun.serve inside listen(), and checks that it got a real server back.
          if (NodeServers.isInternal(options)) return this.node.serveInternal(this.realServe as (o: unknown) => Server<any>, options);
          return this.serve(options ?? {}, this.nextKey());
        }) as unknown as typeof Bun.serve,
      ),
    ];
    return () => {
      for (const u of undo.reverse()) u();
    };
  }

  /** The key of the calling place: its module, and how many servers it asked for in this reload. */
  private nextKey(): string {
    const base = this.forcedKey ?? this.keyOf();
    const n = (this.calls.get(base) ?? 0) + 1;
    this.calls.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }

  private reloading = false;
  /** `ranAgain` was called in the current reload. */
  private toldNewCode = false;

  /** A handler of the code running now took over (a reload's, or a rollback's): sessions move on as it does. */
  private newCode(): void {
    if (!this.reloading) return;
    this.toldNewCode = true;
    for (const fn of this.ranAgain) fn();
  }
  /** Did a server fail to bind or take over in the current reload? */
  hasFailures(): boolean {
    return this.failures.length > 0;
  }

  /** The TCP addresses the app's HTTP servers listen at, as they were asked for (the restart holder binds the same). */
  listening(): Array<{ hostname: string; port: number; tls: boolean }> {
    return this.servers()
      .filter((s) => s.url?.protocol !== "unix:" && typeof s.port === "number")
      .map((s) => ({ hostname: s.hostname ?? "0.0.0.0", port: s.port!, tls: s.url?.protocol === "https:" }));
  }

  /** The servers that failed since the last call: a reload that asked for them failed. */
  takeFailures(): ServeError[] {
    return this.failures.splice(0);
  }

  private forcedKey: string | undefined;
  /** Runs `fn` with every `Bun.serve()` call inside it filed under `key` (hmr-run calling `.listen()`). */
  withKey<T>(key: string, fn: () => T): T {
    this.forcedKey = key;
    try {
      return fn();
    } finally {
      this.forcedKey = undefined;
    }
  }

  /** Is `value` (an exported server, app or options object) already served by a server the app started? */
  serves(value: unknown): boolean {
    if (!value || (typeof value !== "object" && typeof value !== "function")) return false;
    if (this.node.serves(value)) return true;
    const v = value as Record<string, unknown>;
    if (this.handedOut.has(v) || (v.server && typeof v.server === "object" && this.handedOut.has(v.server))) return true;
    for (const slot of this.slots.values()) if ((slot.server as unknown) === v || (v.fetch && slot.user.fetch === v.fetch)) return true;
    return false;
  }

  /** Server views given to the app, to recognise one it exports. */
  private handedOut = new WeakSet<object>();

  /** Is a server filed under `key` running? */
  has(key: string): boolean {
    return this.slots.has(key) || this.node.has(key) || this.tcp.has(key);
  }

  /** The app started servers of its own (Bun.serve, .listen()) rather than exporting a handler. */
  hasOwnServers(): boolean {
    for (const key of this.slots.keys()) if (key !== "entry") return true;
    return [...this.node.keys(), ...this.tcp.keys()].some((k) => k !== "entry");
  }

  /** Serves `options` under `key`: binds on first use, swaps handlers afterwards. */
  serve(options: Options, key: string): Server<any> {
    const opts = this.placement.bunServe(options, key);
    const bind = bindOf(opts);
    const slot = this.slots.get(key);
    if (slot && slot.bind === bind) {
      slot.user = opts;
      slot.generation = this.generation;
      this.swap(slot);
      this.newCode();
      // A fresh view per call: a late server.reload() from an older app (Elysia reloads
      // its server once its modules settle) must not undo a newer one.
      return this.proxy(slot);
    }
    if (!slot) return this.start(key, opts, bind).proxy;
    // A new address: bind it before letting go of the old one, so a taken port leaves
    // the old server serving (the reload fails and says why).
    this.log.info(`${key}: address changed from ${slot.bind} to ${bind}, moving that server`);
    let next: Slot;
    try {
      next = this.start(key, opts, bind);
    } catch (err) {
      if (!(err instanceof ServeError) || !samePort(slot.bind, bind)) throw err;
      // Same port on another host: only free once the old server is gone.
      slot.server.stop(true);
      try {
        next = this.start(key, opts, bind);
      } catch (again) {
        this.start(key, slot.user, slot.bind);
        throw again;
      }
    }
    if (next.server !== slot.server) slot.server.stop(true);
    return next.proxy;
  }

  /** Every live server (for the banner and for tests). */
  servers(): Server<any>[] {
    return [...[...this.slots.values()].map((s) => s.server), ...this.node.servers()];
  }

  /** Where every server listens, for the banner: http(s) URLs, `unix:` paths, `tcp://` listeners. */
  urls(): string[] {
    const http = this.servers().map((s) => (s.url?.protocol === "unix:" ? `unix:${s.url.pathname}` : s.url?.href ?? `unix:${this.defaults.unix}`));
    return [...http, ...this.tcp.urls()];
  }

  /** Starts tracking which servers a reload asks for again. */
  beginReload(): void {
    this.generation++;
    this.toldNewCode = false;
    this.calls.clear();
    this.failures = [];
    this.reloading = true;
  }

  /**
   * Stops servers whose owner module ran again without asking for them. A server may be
   * started once a promise settles, after the module's top level: give it a second.
   */
  endReload(reran: ReadonlySet<string>): void {
    // Modules ran that serve through handlers they did not replace (a transport module
    // behind an accepting importer): said in this turn, before a request reaches them.
    if (reran.size && !this.toldNewCode) this.newCode();
    this.reloading = false;
    const gen = this.generation;
    const owner = (key: string) => reran.has(key.replace(/#\d+$/, ""));
    const suspects = [...this.slots].filter(([key, slot]) => slot.generation < gen && owner(key));
    const nodeStale = [...this.node.stale(gen, owner), ...this.tcp.stale(gen, owner)];
    if (!suspects.length && !nodeStale.length) return;
    const timer = setTimeout(() => {
      for (const stop of nodeStale) stop();
      for (const [key, slot] of suspects) {
        if (this.slots.get(key) !== slot || slot.generation >= gen) continue;
        this.log.info(`${key} no longer starts a server: stopped ${slot.bind}`);
        slot.server.stop(true);
        this.slots.delete(key);
      }
    }, 1000);
    timer.unref();
  }

  /** Re-applies handlers to every server (after ownRoutes or transform changed). */
  refreshAll(): void {
    for (const slot of this.slots.values()) this.swap(slot);
  }

  async stopAll(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    this.tcp.stopAll();
    await Promise.all([...all.map((s) => s.server.stop(true)), this.node.stopAll()]);
  }

  private start(key: string, user: Options, bind: string): Slot {
    const slot = { key, user, bind, generation: this.generation, routed: false } as Slot;
    // hmr-run's own routes are native routes (routesOf), so fetch never looks for them.
    const fetch = (req: Request, server: Server<any>) => {
      const handler = slot.user.fetch;
      if (typeof handler !== "function") return new Response("Not Found", { status: 404 });
      const res = this.wrapFetch ? this.wrapFetch(req, (r) => handler.call(server, r, server)) : handler.call(server, req, server);
      return this.transform ? this.after(res, req) : res;
    };
    const error = (err: Error) => {
      if (typeof slot.user.error === "function") return slot.user.error.call(slot.server, err);
      this.log.error("a request handler threw", err);
      return new Response("Internal Server Error", { status: 500 });
    };
    // Websocket handlers are looked up per event, so a reload swaps them for open sockets too.
    const ws = (name: string) => (...args: unknown[]) => slot.user.websocket?.[name]?.(...args);
    const websocket = {
      ...(user.websocket ?? {}),
      message: ws("message"),
      open: ws("open"),
      close: ws("close"),
      drain: ws("drain"),
      ping: ws("ping"),
      pong: ws("pong"),
    };
    const routes = this.routesOf(user);
    slot.routed = routes !== undefined;
    try {
      slot.server = this.realServe(withReusePort({ ...user, routes, fetch, error, websocket } as Options) as any);
    } catch (err) {
      throw ServeError.from(err, bind);
    }
    slot.proxy = this.proxy(slot);
    this.slots.set(key, slot);
    // Once per address: a reload that moves the server to another exposed address says it again.
    this.warnIfExposed(slot.server.hostname ?? user.hostname, slot.server.port ?? user.port, user.unix !== undefined);
    if (this.announce) this.log.info(`${key} started a server: ${slot.server.url?.href ?? bind}`);
    return slot;
  }

  private warnIfExposed(hostname: unknown, port: unknown, unix: boolean): void {
    const warning = unix ? undefined : exposureWarning(String(hostname), port as number, !!this.transform);
    if (warning) this.log.warn ? this.log.warn(warning) : this.log.info(warning);
  }

  private swap(slot: Slot): void {
    // fetch, error and websocket delegate to slot.user already; routes are native, so
    // reload them, with none at all when the app dropped its routes.
    const routes = this.routesOf(slot.user);
    if (routes || slot.routed) slot.server.reload({ routes: routes ?? {} } as any);
    slot.routed = routes !== undefined;
  }

  private routesOf(user: Options): Record<string, unknown> | undefined {
    const routes = user.routes as Record<string, unknown> | undefined;
    const own = Object.keys(this.ownRoutes).length ? this.ownRoutes : undefined;
    if (!routes) return own;
    const out: Record<string, unknown> = {};
    for (const [path, route] of Object.entries(routes)) out[path] = this.transform || this.wrapFetch ? this.wrapRoute(route) : route;
    return { ...out, ...own };
  }

  private wrapRoute(route: unknown): unknown {
    if (typeof route === "function") {
      return (req: Request, server: Server<any>) => {
        const call = (r: Request) => (route as Function).call(server, r, server);
        const res = this.wrapFetch ? this.wrapFetch(req, call) : call(req);
        return this.transform ? this.after(res, req) : res;
      };
    }
    if (route instanceof Response) {
      if (!this.transform || !this.transformsStatic(route)) return route;
      return (req: Request) => this.after(route.clone() as Response, req);
    }
    if (route && typeof route === "object" && !(route as any).index) {
      const out: Record<string, unknown> = {};
      for (const [method, h] of Object.entries(route)) out[method] = this.wrapRoute(h);
      return out;
    }
    return route;
  }

  private after(res: Response | Promise<Response>, req: Request): Response | Promise<Response> {
    const t = this.transform!;
    return res instanceof Promise ? res.then((r) => t(r, req)) : t(res, req);
  }

  /** The server object the app sees: `reload()` goes through hmr-run, the rest is the real server. */
  private proxy(slot: Slot): Server<any> {
    const generation = slot.generation;
    let view: Server<any>;
    const reload = (opts: Options) => {
      if (slot.generation !== generation) return view; // From an app a reload has replaced.
      slot.user = { ...slot.user, ...opts };
      this.swap(slot);
      return view;
    };
    // An app that stops its own server (say, in a dispose hook) gets a fresh one next time.
    const stop = (closeActive?: boolean) => {
      if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
      return slot.server.stop(closeActive);
    };
    view = new Proxy(slot.server, {
      get: (target, prop) => {
        if (prop === "reload") return reload;
        if (prop === "stop") return stop;
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    this.handedOut.add(view);
    return view;
  }
}

function samePort(a: string, b: string): boolean {
  return !a.startsWith("unix:") && a.slice(a.lastIndexOf(":")) === b.slice(b.lastIndexOf(":"));
}

function bindOf(o: Options): string {
  return o.unix ? `unix:${o.unix}` : `${o.hostname}:${o.port}`;
}
