/**
 * Whether a bind address lets other machines in. A dev server serves unreviewed code,
 * and with `--refresh` its error overlay shows source code: say so when it is exposed.
 */
import { isIP } from "node:net";

/** Is `hostname` reachable only from this machine (loopback)? */
export function loopbackOnly(hostname: string): boolean {
  const h = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^(?:0*:)*:?0*1$/.test(h) || /^::ffff:127\./.test(h);
  // Any other name (a machine name, a LAN name) resolves to an address others can reach.
  return false;
}

/** The one warning line for serving on `hostname:port`, or undefined when only this machine can connect. */
export function exposureWarning(hostname: string, port: number | string, refresh: boolean): string | undefined {
  if (loopbackOnly(hostname)) return undefined;
  const h = hostname.trim().replace(/^\[(.*)\]$/, "$1");
  const any = h === "0.0.0.0" || h === "::" || h === "" || /^[0:]+$/.test(h);
  const shown = (isIP(h) === 6 ? `[${h}]` : h || "*") + `:${port}`;
  return (
    `listening on ${shown}${any ? " (all interfaces)" : ""}: other machines can reach this dev server` +
    (refresh ? ", and --refresh shows them code frames of your source in its error overlay" : "")
  );
}
