/**
 * An entry that serves nothing when it has run may still start a server once a promise
 * settles: NestJS's `bootstrap()`, Fastify's `start()`, an `await db.connect()` before
 * `listen()`. The first start waits for one a moment, so that the banner does not call
 * the app a script and then say it started a server.
 */
import type { Host } from "./host.ts";
import { own } from "../runtime/own.ts";

/** How long the first start waits for a server started after the entry ran (ms). */
export const FIRST_SERVER_MS = 2000;
const STEP_MS = 10;

/** Resolves once `host` serves something (or `elsewhere` does, an MCP server on stdio), or after FIRST_SERVER_MS. */
export async function firstServer(host: Host, elsewhere: { readonly connected: boolean }, ms = FIRST_SERVER_MS): Promise<void> {
  const end = performance.now() + ms;
  while (!host.servers().length && !host.urls().length && !elsewhere.connected && performance.now() < end) {
    await new own.Promise((r) => own.setTimeout(r, STEP_MS));
  }
}
