/**
 * Whether a bind address lets other machines in. A dev server serves unreviewed code,
 * and with `--refresh` its error overlay shows source code: say so when it is exposed.
 */
import { isIP } from "node:net";

/** Is `hostname` reachable only from this machine (loopback)? */
export function loopbackOnly(hostname: string): boolean {
  const h = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const address = addressOf(h);
  if (address === undefined) return false; // A machine or LAN name: it resolves to an address others can reach.
  return address.startsWith("127.") || address === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(address);
}

/**
 * The address `h` binds to, in one spelling: dotted quads for IPv4 in any form the
 * resolver takes (`127.1`, `0x7f.1`, `2130706433` all bind 127.0.0.1), compressed and
 * bracketed IPv6 (`[::ffff:7f00:1]` for `::ffff:127.0.0.1`). Undefined for a name.
 */
function addressOf(h: string): string | undefined {
  if (isIP(h) === 6) return urlHost(`[${h}]`);
  // Only digits, dots and hex: a URL would read `user@127.0.0.1` as 127.0.0.1, the resolver would not.
  if (!/^[0-9a-fx.]+$/.test(h)) return undefined;
  const v4 = urlHost(h);
  return v4 !== undefined && isIP(v4) === 4 ? v4 : undefined;
}

/** WHATWG URL parsing reads IPv4 numbers the way `inet_aton` does (short, octal, hex forms). */
function urlHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined; // Not an address (`1.2.3.4.5`, `256.1.1.1`): a name, as far as binding goes.
  }
}

/** The one warning line for serving on `hostname:port`, or undefined when only this machine can connect. */
export function exposureWarning(hostname: string, port: number | string, refresh: boolean): string | undefined {
  if (loopbackOnly(hostname)) return undefined;
  const h = hostname.trim().replace(/^\[(.*)\]$/, "$1");
  const address = addressOf(h.toLowerCase());
  const any = h === "" || address === "0.0.0.0" || address === "[::]";
  const shown = (isIP(h) === 6 ? `[${h}]` : h || "*") + `:${port}`;
  return (
    `listening on ${shown}${any ? " (all interfaces)" : ""}: other machines can reach this dev server` +
    (refresh ? ", and --refresh shows them code frames of your source in its error overlay" : "")
  );
}
