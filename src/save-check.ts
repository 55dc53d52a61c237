/**
 * Decides which saved files are worth a reload, before anything runs: it drops saves
 * that change nothing Bun would run, catches syntax errors and missing imports before
 * any module is disposed, and remembers what a failed reload needs to try again.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { ModuleGraph } from "./graph.ts";
import { loaderFor, scanModule, transform } from "./loader/scan.ts";
import { atFile } from "./errors.ts";
import { stem } from "./paths.ts";

const rel = (p: string) => relative(process.cwd(), p);

/** What the check needs to know about the running app. */
export interface SaveCheckHost {
  graph: ModuleGraph;
  /** The source each module was last loaded with. */
  sources: Map<string, string>;
  entry: string;
  /** The entry has loaded at least once. */
  loaded(): boolean;
  /** Queues `file` for another look (a file seen empty mid-save). */
  lookAgain(file: string): void;
}

export class SaveCheck {
  /** Files of a failed reload, retried by the next save that could fix it. */
  private retry = new Set<string>();
  /** Names of imports that failed to resolve: creating such a file retries. */
  private missing = new Set<string>();
  private emptyOnce = new Set<string>();

  constructor(private host: SaveCheckHost) {}

  /**
   * The files of `batch` to reload (plus what a failed reload left to retry), or the
   * error that makes reloading pointless. `relevant` receives every file of the graph
   * the batch touched, for the log line.
   */
  check(saved: Set<string>, relevant: Set<string>): Set<string> | Error {
    const { graph, sources } = this.host;
    const out = new Set<string>();
    // After a failure, only a save that could fix it retries: a file of the graph, a new
    // source file, or one named like the import that was missing (not a log file the app
    // writes). Files left to retry are checked again like the saved ones: one may have
    // been deleted or renamed since.
    const unlocks = [...saved].some((f) => graph.has(f) || isCode(f) || this.missing.has(stem(f)));
    const batch = unlocks ? new Set([...saved, ...this.retry]) : saved;
    if (unlocks && !this.host.loaded()) out.add(this.host.entry);
    // Every file of the graph the batch touched is relevant before any is checked, so a
    // failure in one keeps the others for the retry instead of losing them.
    for (const f of batch) if (graph.has(f) || sources.has(f)) relevant.add(f);
    let failure: Error | undefined;
    for (const f of batch) {
      if (!relevant.has(f)) continue;
      if (!isCode(f)) {
        out.add(f);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch {
        const still = this.stillImported(f, batch);
        if (still) failure ??= new Error(`${rel(f)} was deleted but ${rel(still)} still imports it`);
        // Reached only through import(): evict it, so the next import() fails rather than
        // running the deleted code. Otherwise its importers changed too and dropped it,
        // and it leaves the graph after they re-run.
        else if (graph.importers(f).length && !graph.importers(f, "static").length) out.add(f);
        continue;
      }
      if (text.length > 0) this.emptyOnce.delete(f);
      const old = sources.get(f);
      if (old === text && !this.retry.has(f)) continue;
      // An empty file right after a save is most often a truncate seen before the write:
      // look again shortly, and apply emptiness only if it is still empty then.
      if (text.length === 0 && old && !this.emptyOnce.has(f)) {
        this.emptyOnce.add(f);
        this.host.lookAgain(f);
        continue;
      }
      // Compared as Bun will run it: with import.meta.hot bound (Bun drops
      // `if (import.meta.hot) {...}` blocks from the raw text and an edit there would
      // vanish) and with the project's tsconfig (decorator metadata, the JSX runtime).
      let code: string;
      try {
        code = transform(f, text);
      } catch (err) {
        failure ??= atFile(err, f);
        continue;
      }
      if (old !== undefined && !this.retry.has(f) && safeTransform(f, old) === code) {
        sources.set(f, text);
        continue;
      }
      const { missing } = scanModule(f, text, code);
      if (missing.length) {
        failure ??= missingImport(f, text, missing[0]!);
        continue;
      }
      out.add(f);
    }
    return failure ?? out;
  }

  /** A reload of `files` failed with `error`: retry them when a save could fix it. */
  failed(files: Iterable<string>, error: unknown): void {
    for (const f of files) this.retry.add(f);
    const e = error as { specifier?: unknown; message?: unknown };
    const spec = typeof e?.specifier === "string" ? e.specifier : /Cannot find module '([^']+)'/.exec(String(e?.message ?? ""))?.[1];
    if (spec) this.missing.add(stem(spec));
  }

  /** A reload succeeded: nothing is left to retry. */
  succeeded(): void {
    this.retry.clear();
    this.missing.clear();
  }

  /** A module that still imports `file`, judging changed importers by their new text. */
  private stillImported(file: string, batch: Set<string>): string | undefined {
    for (const imp of this.host.graph.importers(file, "static")) {
      let text = this.host.sources.get(imp);
      if (batch.has(imp)) {
        try {
          text = readFileSync(imp, "utf8");
        } catch {
          continue; // The importer is gone too.
        }
      }
      if (text === undefined) continue;
      try {
        const { deps, missing } = scanModule(imp, text);
        if (missing.length || deps.some(([d]) => d === file)) return imp;
      } catch {
        return imp; // It does not parse: the reload will say so, with its own frame.
      }
    }
    return undefined;
  }
}

const isCode = (p: string) => loaderFor(p) !== undefined;

/** "Cannot find module", pointing at the import in the file (for the code frame). */
function missingImport(file: string, text: string, spec: string): Error {
  const err = new Error(`Cannot find module '${spec}' imported from ${rel(file)}`) as Error & { position?: unknown };
  const at = Math.max(text.indexOf(`"${spec}"`), text.indexOf(`'${spec}'`), text.indexOf("`" + spec + "`"));
  if (at >= 0) {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n") - 1;
    err.position = { file, line, column, lineText: text.split("\n")[line - 1] };
  }
  return err;
}


function safeTransform(path: string, source: string): string | undefined {
  try {
    return transform(path, source);
  } catch {
    return undefined; // The old text did not parse either: not the same output.
  }
}
