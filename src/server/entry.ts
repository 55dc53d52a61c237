/**
 * Serving the entry's export after each run of the entry: a `{ fetch }` object, an app
 * with `.listen()`, a function, or nothing (the app starts its own servers, or runs as a
 * script). Throws EntryError when an export that was asked for cannot be served.
 */
import type { ConsolaInstance } from "consola";
import { shown } from "../paths.ts";
import { HmrRunError } from "../errors.ts";
import type { Host } from "./host.ts";
import { servableOf, SERVABLE_SHAPES, unsupportedShape } from "./shape.ts";

/** Why the entry cannot be served; printed as one line. */
export class EntryError extends HmrRunError {
  override name = "EntryError";
  constructor(message: string) {
    super("entry", message);
  }
}

export interface EntryOptions {
  entry: string;
  /** The export to serve (`main.ts:app`); default export when absent. */
  exportName?: string;
  log: ConsolaInstance;
  /** True when the app serves through something hmr-run does not host (an MCP server on stdio). */
  servesElsewhere?: () => boolean;
}

export class EntryServer {
  /** The app served nothing: it runs as a script. */
  script = false;
  /** Set while hmr-run itself starts the entry's app: what it registers belongs to the entry. */
  servingEntry: string | undefined;

  constructor(
    private host: Host,
    private o: EntryOptions,
  ) {}

  /** Serves the entry's export, unless the app already started its own server while loading. */
  serve(ns: Record<string, unknown>): void {
    const { exportName, entry } = this.o;
    const name = exportName ?? "default";
    if (exportName && !(exportName in ns)) {
      const have = Object.keys(ns);
      throw new EntryError(`${shown(entry)} has no export "${exportName}"; it exports: ${have.length ? have.join(", ") : "nothing"}`);
    }
    const value = ns[name];
    // An app that starts its own servers and exports one of them (or nothing servable) is served already.
    if (!exportName && this.host.hasOwnServers() && (!servableOf(value) || this.host.serves(value))) return;
    const servable = servableOf(value);
    if (!servable) {
      if (exportName) throw new EntryError(`export "${exportName}" is not servable: expected ${SERVABLE_SHAPES}`);
      if (this.host.has("entry")) {
        throw new EntryError(`${shown(entry)} no longer exports a servable ${name} export (keeping the previous handler): expected ${SERVABLE_SHAPES}`);
      }
      // Whether it is a script is for the banner to say, once a server started after an
      // await had its chance (src/server/first-server.ts).
      const unsupported = unsupportedShape(value);
      if (unsupported && !this.script) this.o.log.warn(unsupported);
      this.script = true;
      return;
    }
    this.script = false;
    if (servable.kind === "options") this.host.serve(servable.options, "entry");
    else {
      // Elysia's .listen() adds a process listener per call; it belongs to the entry, so
      // the entry's next run removes it instead of keeping every old app alive.
      this.servingEntry = entry;
      try {
        this.host.withKey("entry", () => servable.app.listen({}));
      } finally {
        this.servingEntry = undefined;
      }
    }
  }
}
