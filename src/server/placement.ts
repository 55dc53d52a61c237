/**
 * Where each server listens. The command line's --host/--port/--unix are for one server:
 * the entry's export, or, when the entry exports nothing, the first server the app starts.
 * Every other server keeps the address it asks for.
 */
import type { ServeDefaults } from "./host.ts";
import type { Place } from "./node-http.ts";

type Options = Record<string, any>;

export class Placement {
  /** The entry declares the export hmr-run serves: the command line's address is for it alone. */
  entryExports = false;
  private primaryKey: string | undefined;
  /** The address the primary server asked for: a server asking for it again (after a close) is the primary one too. */
  private primaryAsked: string | undefined;
  /** What was said already (`main.ts asks for port 3000`), by an earlier app process of this run too: once per run. */
  readonly said = new Set<string>();
  /** Hears each line the first time it is said (the app process tells the supervisor). */
  onSaid: (line: string) => void = () => {};

  constructor(
    private defaults: ServeDefaults,
    private info: (line: string) => void,
  ) {}

  /** Is `key`, asking for `asked`, the server the command line's address is for? The first one asking claims it. */
  isPrimary(key: string, asked?: Place): boolean {
    if (key === "entry") return true;
    if (this.entryExports) return false;
    const sig = asked && (asked.unix ?? asked.port) !== undefined ? `${asked.unix ?? ""}|${asked.hostname ?? ""}|${asked.port ?? ""}` : undefined;
    if (this.primaryKey === undefined) {
      this.primaryKey = key;
      this.primaryAsked = sig;
    }
    return this.primaryKey === key || (sig !== undefined && sig === this.primaryAsked);
  }

  /** `Bun.serve()` options with the address filled in (the command line's, for the primary server). */
  bunServe(options: Options, key: string): Options {
    const d = this.defaults;
    if (this.isPrimary(key, options)) return this.override(options, key);
    const out: Options = { ...options };
    if (out.unix === undefined) {
      if (out.port === undefined && !d.explicit.port) out.port = d.port;
      out.hostname ??= d.hostname;
    }
    if (d.tls && out.tls === undefined) out.tls = d.tls;
    return out;
  }

  /** Where a node:http server asking for `want` listens; node's own default port (any) stays for the others. */
  node(want: Place, key: string): Place {
    if (this.isPrimary(key, want)) {
      const o = this.override({ ...want, port: want.unix ? undefined : want.port }, key);
      return o.unix ? { unix: o.unix } : { port: o.port, hostname: o.hostname };
    }
    const out: Place = { ...want };
    if (!out.unix) out.hostname ??= this.defaults.hostname;
    return out;
  }

  /** The command line's flags win; what the app asked for fills the rest. */
  private override(options: Options, key: string): Options {
    const d = this.defaults;
    const out: Options = { ...options };
    // Once per server and address: every reload of its module, and a restart, asks again.
    const say = (what: string, theirs: unknown, ours: unknown) => {
      // Keyed by the ask alone: after a restart under `--port 0` the port served is the one first got.
      const asks = `${key} asks for ${what} ${theirs}`;
      if (this.said.has(asks)) return;
      this.said.add(asks);
      this.info(`${asks}; serving on ${ours} as given on the command line`);
      this.onSaid(asks);
    };
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
}
