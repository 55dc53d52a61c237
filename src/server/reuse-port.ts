/**
 * The app's TCP servers listen with SO_REUSEPORT, so that while the app process restarts,
 * the hmr-run process can listen at the same address (src/supervisor/holder.ts) and no
 * connection is refused. The flag would also let a second program using it share the port
 * silently; so the first bind of an address is probed without it, and an address someone
 * else holds fails as it would under `bun`: "port in use".
 */

/** Bun's own `Bun.listen`, shared with src/server/tcp.ts: the app's is intercepted, and a probe must not be taken for one of its listeners. */
const realListen: typeof Bun.listen = ((globalThis as any)[Symbol.for("hmr-run.listen")] ??= Bun.listen.bind(Bun));

/** Addresses (`host:port`) hmr-run's own process holds for this app process, which binds beside it. */
const held = new Set<string>();

/** The supervisor holds these addresses while this process starts (see "start" in protocol.ts). */
export function holding(addresses: string[]): void {
  for (const a of addresses) held.add(a);
}

/** The key of an address, as the holder and the app both write it. */
export function addressKey(hostname: string | undefined, port: number): string {
  return `${hostname ?? "0.0.0.0"}:${port}`;
}

/** `options` for a bind: with `reusePort` when the address is free, or held by hmr-run; as given otherwise (the bind then fails as usual). */
export function withReusePort<T extends { hostname?: unknown; port?: unknown; unix?: unknown; reusePort?: unknown }>(options: T): T {
  if (options.unix !== undefined || options.reusePort !== undefined || process.platform !== "linux") return options;
  const port = Number(options.port ?? process.env.BUN_PORT ?? process.env.PORT ?? process.env.NODE_PORT ?? 3000);
  const hostname = typeof options.hostname === "string" ? options.hostname : undefined;
  if (!Number.isInteger(port) || port < 0) return options;
  if (port !== 0 && !held.has(addressKey(hostname, port)) && !free(hostname ?? "0.0.0.0", port)) return options;
  return { ...options, reusePort: true };
}

/** Can a plain bind (no SO_REUSEPORT) take this address now? Then nobody else holds it. */
function free(hostname: string, port: number): boolean {
  try {
    realListen({ hostname, port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false; // In use (or not an address of this machine): the real bind says which.
  }
}
