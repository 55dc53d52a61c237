/**
 * An `McpServer` that outlives a reload: created in a module that did not run again,
 * with tools, resources and prompts registered on it from modules that did. The SDK
 * throws on a second registration of a name, so each registration belongs to the module
 * that made it: when that module runs again its new registration replaces the old one,
 * what it no longer registers is removed after the reload, and the client gets one
 * list_changed per list that really changed. A server no module registered on again (a
 * module made a new server instead) is left alone: nothing answers through it any more.
 */

/** What the hook needs from hmr-run. */
export interface ServerHooks {
  /** The project module making the call, if any. */
  owner(): string | undefined;
  /** Runs `fn` when `owner` is about to run again or leave. */
  onDispose(owner: string, fn: () => void): void;
  /** Resolves once the running reload (if any) is over. */
  settled(): Promise<unknown>;
}

type Registered = { remove(): void };
type Server = Record<string, any>;

interface Entry {
  handle: Registered;
  owner: string;
  leaving: boolean;
}

/** One server during a reload: its lists before, and whether anything registered on it again. */
interface Hushed {
  before: string[];
  reused: boolean;
  sends: Record<string, unknown>;
}

const METHODS = ["tool", "registerTool", "resource", "registerResource", "prompt", "registerPrompt"] as const;
const LISTS = [
  { methods: ["tools/list"], send: "sendToolListChanged" },
  { methods: ["resources/list", "resources/templates/list"], send: "sendResourceListChanged" },
  { methods: ["prompts/list"], send: "sendPromptListChanged" },
] as const;

/** The registry key of a registration: resources by URI (or template name), the rest by name. */
function keyOf(method: (typeof METHODS)[number], args: unknown[]): string {
  if (method.endsWith("esource")) return `resource:${typeof args[1] === "string" ? args[1] : args[0]}`;
  return `${method.toLowerCase().includes("prompt") ? "prompt" : "tool"}:${String(args[0])}`;
}

/** Patches `McpServer.prototype` (the class the SDK module exports). */
export function hookMcpServer(cls: { prototype: Server }, h: ServerHooks): void {
  const proto = cls.prototype;
  const entries = new WeakMap<Server, Map<string, Entry>>();
  const hushed = new Map<Server, Hushed>();

  /** Holds the server's own list_changed notifications until the reload is over, then sends what changed. */
  const hush = (server: Server) => {
    if (hushed.has(server)) return;
    const state: Hushed = { before: lists(server), reused: false, sends: {} };
    hushed.set(server, state);
    for (const l of LISTS) {
      state.sends[l.send] = Object.hasOwn(server, l.send) ? server[l.send] : undefined;
      server[l.send] = () => {};
    }
    void h.settled().then(() => {
      hushed.delete(server);
      for (const l of LISTS) {
        if (state.sends[l.send] === undefined) delete server[l.send];
        else server[l.send] = state.sends[l.send];
      }
      if (!state.reused) return;
      for (const [key, e] of entries.get(server) ?? []) {
        if (!e.leaving) continue;
        entries.get(server)!.delete(key);
        e.handle.remove();
      }
      const after = lists(server);
      for (const [i, l] of LISTS.entries()) if (state.before[i] !== after[i]) server[l.send]();
    });
  };

  /**
   * Servers each module registered on, held weakly: a server made per request (a
   * stateless HTTP app) is garbage once answered. One dispose hook per module run marks
   * that module's registrations on the servers still alive.
   */
  const servers = new Map<string, { refs: Set<WeakRef<Server>>; seen: WeakSet<Server>; pruneAt: number }>();
  const own = (owner: string, server: Server) => {
    let o = servers.get(owner);
    if (!o) {
      servers.set(owner, (o = { refs: new Set(), seen: new WeakSet(), pruneAt: 64 }));
      h.onDispose(owner, () => {
        servers.delete(owner);
        for (const ref of o!.refs) {
          const srv = ref.deref();
          if (!srv) continue;
          let any = false;
          for (const e of entries.get(srv)?.values() ?? []) if (e.owner === owner) any = e.leaving = true;
          if (any) hush(srv);
        }
      });
    }
    if (o.seen.has(server)) return;
    o.seen.add(server);
    o.refs.add(new WeakRef(server));
    if (o.refs.size < o.pruneAt) return;
    for (const ref of o.refs) if (!ref.deref()) o.refs.delete(ref);
    o.pruneAt = Math.max(64, o.refs.size * 2);
  };

  for (const method of METHODS) {
    const original = proto[method] as (...a: unknown[]) => Registered;
    proto[method] = function (this: Server, ...args: unknown[]) {
      const owner = h.owner();
      if (!owner) return original.apply(this, args);
      let map = entries.get(this);
      if (!map) entries.set(this, (map = new Map()));
      const key = keyOf(method, args);
      const previous = map.get(key);
      if (previous?.leaving) {
        hush(this);
        hushed.get(this)!.reused = true;
        map.delete(key);
        previous.handle.remove();
      }
      const handle = original.apply(this, args);
      map.set(key, { handle, owner, leaving: false });
      own(owner, this);
      return handle;
    };
  }

  // A module that ran again connects the server it shares with the last run once more:
  // the SDK allows one transport, so the old connection makes way for the new one.
  const connect = proto.connect as (t: unknown) => Promise<void>;
  proto.connect = async function (this: Server, transport: unknown) {
    if (this.isConnected?.() && h.owner()) await this.close();
    return connect.call(this, transport);
  };
}

/** A server's lists as comparable text, from the registries the SDK lists them from. */
function lists(server: Server): string[] {
  return LISTS.map((l) => l.methods.map((m) => snapshotOf(server, m)).join("|"));
}

/** The registry a list is built from, as text: what the client would see listed. */
function snapshotOf(server: Server, method: string): string {
  const pick = (o: Record<string, any> | undefined, fields: string[]) =>
    JSON.stringify(
      Object.entries(o ?? {})
        .filter(([, v]) => v?.enabled !== false)
        .map(([k, v]) => [k, ...fields.map((f) => describe(v?.[f]))]),
    );
  if (method === "tools/list") return pick(server._registeredTools, ["title", "description", "inputSchema", "outputSchema", "annotations"]);
  if (method === "resources/list") return pick(server._registeredResources, ["name", "title", "metadata"]);
  if (method === "resources/templates/list") return pick(server._registeredResourceTemplates, ["title", "metadata"]);
  return pick(server._registeredPrompts, ["title", "description", "argsSchema"]);
}

/** Plain data as is; a schema object (zod) by its JSON shape where it has one, else its keys. */
function describe(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  const shape = (v as { shape?: unknown; _def?: { shape?: () => unknown } }).shape;
  if (shape && typeof shape === "object") return Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, describe(s)]));
  const def = (v as { _def?: Record<string, unknown>; def?: Record<string, unknown> })._def ?? (v as { def?: Record<string, unknown> }).def;
  if (def) return { type: def.typeName ?? def.type, description: (v as { description?: string }).description };
  try {
    return JSON.parse(JSON.stringify(v));
  } catch {
    return Object.keys(v);
  }
}
