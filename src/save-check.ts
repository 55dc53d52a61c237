/**
 * Decides which saved files are worth a reload, before anything runs: it drops saves
 * that change nothing Bun would run, catches syntax errors and missing imports before
 * any module is disposed, and remembers what a failed reload needs to try again.
 */
import { readFileSync } from "node:fs";
import type { ModuleGraph } from "./graph.ts";
import { loaderFor, scanModule, transform } from "./loader/scan.ts";
import { withoutBom } from "./loader/rewrite.ts";
import { atFile } from "./errors.ts";
import { badDataFile } from "./check/data.ts";
import { brokenImport, type ChangedModule, type MissingExport } from "./check/imports.ts";
import { stem, shown } from "./paths.ts";

const rel = (p: string) => shown(p);

/** What the check needs to know about the running app. */
export interface SaveCheckHost {
  graph: ModuleGraph;
  /** The source each module was last loaded with. */
  sources: Map<string, string>;
  /** Is `file` part of the running app (in the graph, or loaded)? */
  known(file: string): boolean;
  /** `file` passed the check with `text`, which it runs when it next loads. */
  willRun(file: string, text: string): void;
  entry: string;
  /** The entry has loaded at least once. */
  loaded(): boolean;
  /** Brings the graph's edges up to date (it is built in the background after start-up). */
  index(): void;
  /** The live namespace of a loaded module (its exports, for checking named imports). */
  namespaceOf(path: string): Record<string, unknown> | undefined;
}

export class SaveCheck {
  /** Files of a failed run, retried by the next save that could fix it. */
  private retry = new Set<string>();
  /**
   * Files the check refused. Each is checked again only when it, a module it imports or a
   * module importing it changes, a new file appears, or on a forced reload: a file
   * refused (rightly or not) must never block saves of unrelated files.
   */
  private refused = new Set<string>();
  /** Files the last check refused, until `failed` files them. */
  private lastRefused = new Set<string>();
  /** Names of imports that failed to resolve: creating such a file retries. */
  private missing = new Set<string>();
  private emptyOnce = new Set<string>();
  /** The code each file's last checked text transforms to. */
  private code = new Map<string, { text: string; code: string }>();

  constructor(private host: SaveCheckHost) {}

  /**
   * The files of `batch` to reload (plus what a failed reload left to retry), or the
   * error that makes reloading pointless. `relevant` receives every file of the graph
   * the batch touched, for the log line. `force`: every file of the batch runs again,
   * but those whose text changed are checked first all the same. `lookAgain` receives
   * files seen empty, most likely mid-write, to be checked again shortly.
   */
  check(saved: Set<string>, relevant: Set<string>, force = false, lookAgain: string[] = []): Set<string> | Error {
    const { graph, sources } = this.host;
    const out = new Set<string>();
    this.lastRefused.clear();
    this.host.index();
    // After a failure, only a save that could fix it retries: a file of the graph, a new
    // source file, or one named like the import that was missing (not a log file the app
    // writes). Files left to retry are checked again like the saved ones: one may have
    // been deleted or renamed since.
    const unlocks = force || [...saved].some((f) => graph.has(f) || isCode(f) || this.missing.has(stem(f)));
    const batch = new Set(saved);
    if (unlocks) for (const f of this.retry) batch.add(f);
    // A new source file may be the import a refused file was missing (not a log file the
    // app writes next to its code: that would re-check, and re-log, on every line it writes).
    const created = [...saved].some((f) => !graph.has(f) && (isCode(f) || this.missing.has(stem(f))));
    for (const f of this.refused) {
      const near = (p: string) => saved.has(p);
      if (force || created || near(f) || graph.deps(f).some(near) || graph.importers(f).some(near)) batch.add(f);
    }
    if (unlocks && !this.host.loaded()) out.add(this.host.entry);
    // Every file of the graph the batch touched is relevant before any is checked, so a
    // failure in one keeps the others for the retry instead of losing them.
    for (const f of batch) if (this.host.known(f)) relevant.add(f);
    let failure: Error | undefined;
    const refuse = (f: string, err: Error) => {
      failure ??= err;
      this.lastRefused.add(f);
    };
    /** New code of the modules that will run, for checking named imports across them. */
    const changedCode = new Map<string, ChangedModule>();
    for (const f of batch) {
      if (!relevant.has(f)) {
        // A new module: a later save may import it, and it must load right (import.meta.hot).
        if (isCode(f)) this.noticeNew(f);
        continue;
      }
      if (!isCode(f)) {
        const bad = badDataFile(f, readOrEmpty(f));
        if (bad) refuse(f, bad);
        else out.add(f);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch (err) {
        // Unreadable is not deleted: the file is still there, and its next save retries.
        if (codeOf(err) !== "ENOENT") {
          refuse(f, unreadable(f, err));
          continue;
        }
        const still = this.stillImported(f, batch);
        if (still) refuse(f, new Error(`${rel(f)} was deleted but ${rel(still)} still imports it`));
        // Reached only through import(): evict it, so the next import() fails rather than
        // running the deleted code. Otherwise its importers changed too and dropped it,
        // and it leaves the graph after they re-run.
        else if (graph.importers(f).length && !graph.importers(f, "static").length) out.add(f);
        continue;
      }
      if (text.length > 0) this.emptyOnce.delete(f);
      const old = sources.get(f);
      if (old === text) {
        // Back to the text that runs now (a revert, or saved again after a rollback): nothing to retry.
        this.refused.delete(f);
        this.retry.delete(f);
        if (force) out.add(f);
        continue;
      }
      // An empty file right after a save is most often a truncate seen before the write:
      // look again shortly, and apply emptiness only if it is still empty then.
      if (text.length === 0 && old && !this.emptyOnce.has(f)) {
        this.emptyOnce.add(f);
        lookAgain.push(f);
        continue;
      }
      // Compared as Bun will run it: with import.meta.hot bound (Bun drops
      // `if (import.meta.hot) {...}` blocks from the raw text and an edit there would
      // vanish) and with the project's tsconfig (decorator metadata, the JSX runtime).
      let code: string;
      try {
        code = transform(f, text);
      } catch (err) {
        refuse(f, atFile(err, f));
        continue;
      }
      const retrying = this.retry.has(f) || this.refused.has(f);
      const oldCode = old === undefined ? undefined : this.code.get(f)?.text === old ? this.code.get(f)!.code : safeTransform(f, old);
      // Kept for the next save of this file, when this text is the one that runs (a transform costs 0.2 to 0.5 ms).
      this.code.set(f, { text, code });
      if (old !== undefined && !retrying && oldCode === code) {
        sources.set(f, text);
        if (force) out.add(f);
        continue;
      }
      const { missing } = scanModule(f, text, code);
      if (missing.length) {
        refuse(f, missingImport(f, text, missing[0]!));
        continue;
      }
      changedCode.set(f, { text, code });
      this.host.willRun(f, text);
      out.add(f);
    }
    if (!failure && changedCode.size) {
      const broken = brokenImport(changedCode, { graph, sources, namespaceOf: this.host.namespaceOf });
      if (broken) refuse(failingFile(broken, changedCode), broken);
    }
    if (!failure) for (const f of changedCode.keys()) this.refused.delete(f);
    return failure ?? out;
  }

  /** A file the app has not loaded, seen so that it loads right once a save imports it. */
  private noticeNew(f: string): void {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      return; // Deleted again (an editor's temp file): nothing will load it.
    }
    this.host.willRun(f, text);
  }

  /** A reload of `files` failed with `error`: retry them when a save could fix it. */
  failed(files: Iterable<string>, error: unknown): void {
    for (const f of files) {
      if (this.lastRefused.has(f)) this.refused.add(f);
      else this.retry.add(f);
    }
    this.lastRefused.clear();
    let spec: string | undefined;
    try {
      const e = error as { specifier?: unknown; message?: unknown };
      spec = typeof e?.specifier === "string" ? e.specifier : /Cannot find module '([^']+)'/.exec(String(e?.message ?? ""))?.[1];
    } catch {
      spec = undefined; // An error whose fields throw when read names no module.
    }
    if (spec) this.missing.add(stem(spec));
  }

  /** A reload succeeded: what it ran needs no retry (files refused elsewhere stay refused). */
  succeeded(): void {
    this.retry.clear();
    this.missing.clear();
    this.lastRefused.clear();
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

/** Why a saved module that exists cannot be checked (a permission, a read error). */
export function unreadable(file: string, error: unknown): Error {
  const code = codeOf(error);
  if (code === "EACCES" || code === "EPERM") return new Error(`permission denied reading ${rel(file)} (chmod?)`);
  return new Error(`cannot read ${rel(file)} (${code ?? String(error)})`);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** "Cannot find module", pointing at the import in the file (for the code frame). */
function missingImport(file: string, source: string, spec: string): Error {
  // Columns as Bun counts them: a leading BOM is not part of the first line.
  const text = withoutBom(source);
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


/** The file a broken import is blamed on: the importer when it changed, else the changed module it imports. */
function failingFile(err: MissingExport, changed: Map<string, ChangedModule>): string {
  return changed.has(err.importer) ? err.importer : err.target;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // Gone: its importers say so when they run.
  }
}

function safeTransform(path: string, source: string): string | undefined {
  try {
    return transform(path, source);
  } catch {
    return undefined; // The old text did not parse either: not the same output.
  }
}
