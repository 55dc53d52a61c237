/**
 * `--refresh`: open browser pages reload after each successful reload and show an
 * overlay (message, file:line:column, code frame) after a failed one. HTML responses
 * get a small inline client; one reserved path streams the app's state to it.
 * Without the flag this file is never loaded: nothing is injected, no route exists.
 */
import { readFileSync } from "node:fs";
import type { App } from "../app.ts";
import { where, type ErrorReport } from "../errors.ts";
import type { Outcome } from "../core/outcome.ts";
import { RefreshChannel, type ErrorPayload } from "./refresh-channel.ts";
import { inject, isHtml, MARKER, wantsInjection } from "./refresh-inject.ts";

/** The reserved path; the only route `--refresh` adds. */
export const REFRESH_PATH = "/__hmr-run/events";

/** Wires browser refresh into `app`: the state stream, the HTML rewrite, the reload listener. */
export function enableRefresh(app: App): RefreshChannel {
  const channel = new RefreshChannel(REFRESH_PATH);
  app.listeners.add((o) => onOutcome(channel, o));
  app.host.ownRoutes[REFRESH_PATH] = channel.handle;
  app.host.transform = (res, req) => (wantsInjection(res, req) ? inject(res, scriptTag(channel)) : res);
  // Static routes that are not HTML keep Bun's native handling (Last-Modified, 304s): byte-identical.
  app.host.transformsStatic = (res) => isHtml(res.headers.get("content-type"));
  app.host.refreshAll();
  return channel;
}

/** What open pages do after an outcome: reload for new code, show an overlay for a failure. */
function onOutcome(channel: RefreshChannel, o: Outcome): void {
  if (o.kind === "reloaded" || o.kind === "workers-restarted") channel.reloaded();
  else if (o.kind === "failed" || o.kind === "rolled-back") channel.failed(payloadOf(o.error));
}

function payloadOf(r: ErrorReport): ErrorPayload {
  return { message: r.message, file: r.location && where(r.location), frame: r.frame };
}

let client: string | undefined;
/** The client, whitespace-minified once (about 4 KB), wrapped so it leaves no globals but `__hmrRun`. */
function clientCode(): string {
  if (client === undefined) {
    const source = readFileSync(new URL("./refresh-client.js", import.meta.url), "utf8");
    client = new Bun.Transpiler({ loader: "js", minifyWhitespace: true }).transformSync(source);
  }
  return client;
}

/** The tag for a page rendered now; `<` is escaped so nothing in it can close the script. */
function scriptTag(channel: RefreshChannel): string {
  const cfg = JSON.stringify({ path: channel.path, ...channel.stamp() }).replace(/</g, "\\u003c");
  return `<script ${MARKER}>(function(){${clientCode()}\nhmrRunClient(${cfg})})()</script>`;
}
