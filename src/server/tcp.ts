/**
 * `Bun.listen()` TCP and unix-socket servers: the first call binds, a re-run's call swaps
 * its socket handlers into the same listener (`listener.reload`), so the port stays
 * open and new connections get the new code.
 */
import { patch } from "../runtime/patch.ts";
import type { TCPSocketListener, UnixSocketListener } from "bun";
import { ServeError } from "./serve-error.ts";

/** The real `Bun.listen`, kept process-wide: a second app must not wrap the first one's wrapper. */
const REAL = Symbol.for("hmr-run.listen");

type Listener = TCPSocketListener<any> | UnixSocketListener<any>;
type Options = Record<string, any>;

interface Slot {
  key: string;
  bind: string;
  listener: Listener;
  generation: number;
}

/** What the TCP listeners need from the host. */
export interface TcpHost {
  keyFor(): string;
  generation(): number;
  info(msg: string): void;
  announce(): boolean;
}

export class TcpServers {
  private slots = new Map<string, Slot>();
  private realListen: typeof Bun.listen = ((globalThis as any)[REAL] ??= Bun.listen.bind(Bun));

  constructor(private host: TcpHost) {}

  /** Replaces `Bun.listen` so the app's listeners survive reloads; returns the undo. */
  install(): () => void {
    return patch<typeof Bun.listen>(Bun, "listen", "Bun.listen", () => ((options: Options) => this.listen(options ?? {})) as typeof Bun.listen);
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** Addresses for the banner (`tcp://host:port`, `unix:path`). */
  urls(): string[] {
    return [...this.slots.values()].map((s) => (s.bind.startsWith("unix:") ? s.bind : `tcp://${(s.listener as TCPSocketListener<any>).hostname}:${(s.listener as TCPSocketListener<any>).port}`));
  }

  /** The listeners whose owner ran again without listening again (see Host.endReload). */
  stale(gen: number, reran: (key: string) => boolean): Array<() => void> {
    return [...this.slots.values()]
      .filter((s) => s.generation < gen && reran(s.key))
      .map((slot) => () => {
        if (this.slots.get(slot.key) !== slot || slot.generation >= gen) return;
        this.host.info(`${slot.key} no longer starts a listener: stopped ${slot.bind}`);
        this.slots.delete(slot.key);
        slot.listener.stop(true);
      });
  }

  stopAll(): void {
    for (const slot of this.slots.values()) slot.listener.stop(true);
    this.slots.clear();
  }

  private listen(options: Options): Listener {
    const key = this.host.keyFor();
    const bind = options.unix ? `unix:${options.unix}` : `${options.hostname ?? "0.0.0.0"}:${options.port}`;
    const slot = this.slots.get(key);
    if (slot && slot.bind === bind) {
      slot.listener.reload({ socket: options.socket });
      slot.generation = this.host.generation();
      return this.view(slot);
    }
    let listener: Listener;
    try {
      listener = this.realListen(options as any);
    } catch (err) {
      throw ServeError.from(err, bind);
    }
    // A new address: the new listener is up, so the old one can go.
    if (slot) {
      this.host.info(`${key}: address changed from ${slot.bind} to ${bind}, moving that listener`);
      slot.listener.stop(true);
    }
    const next: Slot = { key, bind, listener, generation: this.host.generation() };
    this.slots.set(key, next);
    if (this.host.announce()) this.host.info(`${key} started a listener on ${bind}`);
    return this.view(next);
  }

  /** The listener the app sees: `stop()` also forgets it, so the next run binds afresh. */
  private view(slot: Slot): Listener {
    return new Proxy(slot.listener, {
      get: (target, prop) => {
        if (prop === "stop") {
          return (closeActive?: boolean) => {
            if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
            target.stop(closeActive);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }
}
