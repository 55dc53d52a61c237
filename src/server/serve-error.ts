/** Why a server could not bind, as one line for the user. */
import { HmrRunError } from "../errors.ts";

/** The server could not bind: the port is taken, the host is not local, the socket path is not writable. */
export class ServeError extends HmrRunError {
  override name = "ServeError";
  constructor(message: string) {
    super("serve", message);
  }
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
