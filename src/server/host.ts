/**
 * Hosts the user's servers. `Bun.serve()` is intercepted: the first call binds the port,
 * every later call from the same place (a re-run module, Elysia's `.listen()`) swaps
 * the handlers into the running server, so sockets and connections survive reloads.
 */
import type { Server } from "bun";
import { exposureWarning } from "./exposure.ts";

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
  /** Which static `Response` routes `transform` must see; the rest stay native (Bun adds Last-Modified and 304s). */
  transformsStatic: (res: Response) => boolean = () => true;
  /** Extra routes of hmr-run's own (browser refresh), merged under the user's. */
  ownRoutes: Record<string, (req: Request) => Response | Promise<Response>> = {};

  constructor(
    private defaults: ServeDefaults,
    private log: { info(msg: string): void; warn?(msg: string): void; error(msg: string, err?: unknown): void },
  ) {}

  /** Replaces `Bun.serve` so the app's own calls land here; `keyOf` names the calling place. */
  intercept(keyOf: () => string): void {
    (Bun as any).serve = (options: Options) => {
      const base = this.forcedKey ?? keyOf();
      const n = (this.calls.get(base) ?? 0) + 1;
      this.calls.set(base, n);
      return this.serve(options ?? {}, n === 1 ? base : `${base}#${n}`);
    };
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

  /** Is a server filed under `key` running? */
  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** The app started servers of its own (Bun.serve, .listen()) rather than exporting a handler. */
  hasOwnServers(): boolean {
    for (const key of this.slots.keys()) if (key !== "entry") return true;
    return false;
  }

  /** Serves `options` under `key`: binds on first use, swaps handlers afterwards. */
  serve(options: Options, key: string): Server<any> {
    const opts = this.withDefaults(options, key);
    const bind = bindOf(opts);
    const slot = this.slots.get(key);
    if (slot && slot.bind === bind) {
      slot.user = opts;
      slot.generation = this.generation;
      this.swap(slot);
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
    return [...this.slots.values()].map((s) => s.server);
  }

  /** Starts tracking which servers a reload asks for again. */
  beginReload(): void {
    this.generation++;
    this.calls.clear();
  }

  /**
   * Stops servers whose owner module ran again without asking for them. A server may be
   * started once a promise settles, after the module's top level: give it a second.
   */
  endReload(reran: (module: string) => boolean): void {
    const gen = this.generation;
    const suspects = [...this.slots].filter(([key, slot]) => slot.generation < gen && reran(key.replace(/#\d+$/, "")));
    if (!suspects.length) return;
    const timer = setTimeout(() => {
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
    await Promise.all(all.map((s) => s.server.stop(true)));
  }

  private withDefaults(options: Options, key: string): Options {
    const d = this.defaults;
    const out: Options = { ...options };
    const say = (what: string, theirs: unknown, ours: unknown) =>
      this.log.info(`${key} asks for ${what} ${theirs}; serving on ${ours} as given on the command line`);
    if (d.explicit.unix || (out.unix === undefined && d.unix)) {
      if (out.unix !== undefined && out.unix !== d.unix) say("unix socket", out.unix, d.unix);
      out.unix = d.unix;
      delete out.port;
      delete out.hostname;
    } else if (out.unix === undefined) {
      if (d.explicit.port && out.port !== undefined && Number(out.port) !== d.port) say("port", out.port, d.port);
      if (d.explicit.port || out.port === undefined) out.port = d.port;
      if (d.explicit.hostname && out.hostname !== undefined && out.hostname !== d.hostname) say("host", out.hostname, d.hostname);
      if (d.explicit.hostname || out.hostname === undefined) out.hostname = d.hostname;
    }
    if (d.tls && out.tls === undefined) out.tls = d.tls;
    return out;
  }

  private start(key: string, user: Options, bind: string): Slot {
    const slot = { key, user, bind, generation: this.generation, routed: false } as Slot;
    // hmr-run's own routes are native routes (routesOf), so fetch never looks for them.
    const fetch = (req: Request, server: Server<any>) => {
      const handler = slot.user.fetch;
      if (typeof handler !== "function") return new Response("Not Found", { status: 404 });
      const res = handler.call(server, req, server);
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
      slot.server = this.realServe({ ...user, routes, fetch, error, websocket } as any);
    } catch (err) {
      throw ServeError.from(err, bind);
    }
    slot.proxy = this.proxy(slot);
    this.slots.set(key, slot);
    // Once per address: a reload that moves the server to another exposed address says it again.
    const warning = user.unix === undefined ? exposureWarning(String(slot.server.hostname ?? user.hostname), slot.server.port ?? user.port, !!this.transform) : undefined;
    if (warning) this.log.warn ? this.log.warn(warning) : this.log.info(warning);
    if (this.announce) this.log.info(`${key} started a server: ${slot.server.url?.href ?? bind}`);
    return slot;
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
    for (const [path, route] of Object.entries(routes)) out[path] = this.transform ? this.wrapRoute(route) : route;
    return { ...out, ...own };
  }

  private wrapRoute(route: unknown): unknown {
    if (typeof route === "function") {
      return (req: Request, server: Server<any>) => this.after((route as Function).call(server, req, server), req);
    }
    if (route instanceof Response) {
      if (!this.transformsStatic(route)) return route;
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
    return view;
  }
}

/** The server could not bind: the port is taken, the host is not local, the socket path is not writable. */
export class ServeError extends Error {
  override name = "ServeError";
  static from(err: unknown, bind: string): ServeError {
    const e = err as { code?: string; message?: string };
    const [host, port] = bind.startsWith("unix:") ? [bind, ""] : [bind.slice(0, bind.lastIndexOf(":")), bind.slice(bind.lastIndexOf(":") + 1)];
    const why =
      e.code === "EADDRINUSE" && bind.startsWith("unix:") ? `${bind.slice(5)} is already there (a live socket or another file); remove it or choose another --unix path`
      : e.code === "EADDRINUSE" ? `port ${port} is already in use (try --port ${Number(port) + 1})`
      : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND" ? `cannot bind host ${host}: not an address of this machine`
      : e.code === "EACCES" ? `permission denied binding ${bind}`
      : `cannot listen on ${bind}: ${e.message ?? String(err)}`;
    return new ServeError(why);
  }
}

function samePort(a: string, b: string): boolean {
  return !a.startsWith("unix:") && a.slice(a.lastIndexOf(":")) === b.slice(b.lastIndexOf(":"));
}

function bindOf(o: Options): string {
  return o.unix ? `unix:${o.unix}` : `${o.hostname}:${o.port}`;
}
