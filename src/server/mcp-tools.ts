/**
 * The tools of the dev server's MCP endpoint: what an agent asks a running hmr-run.
 * Each works on a plain view of the app, so tests can drive it with objects.
 */
import { resolve } from "node:path";
import { report, type ErrorReport } from "../errors.ts";
import { errorJson } from "../log-json.ts";
import { shown } from "../paths.ts";
import type { Outcome, Reloaded } from "../core/outcome.ts";

/** What the tools read from the running app. */
export interface DevView {
  entry: string;
  cwd: string;
  startedAt: number;
  urls(): string[];
  graph: { paths(): Iterable<string>; deps(p: string): string[]; importers(p: string): string[] };
  isUserFile(p: string): boolean;
  /** The last reload that ran something (or failed), and when it finished. */
  last(): { result: Outcome; at: number } | undefined;
  /** The last reload that succeeded: `why` explains it. */
  lastOk(): Reloaded | undefined;
  lastError(): unknown;
  /** Runs every module again (as r + Enter does); resolves with the outcome. */
  reloadAll(): Promise<Outcome | undefined>;
  /** Restarts the app process (a fresh Bun process, every module loaded anew). */
  restart(): void;
  logs(n: number): string[];
}

/** One tool: its MCP listing and what it does. */
export interface DevTool {
  name: string;
  description: string;
  inputSchema: { type: "object"; properties: Record<string, unknown>; required?: string[] };
  run(args: Record<string, unknown>): Promise<unknown> | unknown;
}

export function devTools(v: DevView): DevTool[] {
  const rel = (p: string) => shown(p, v.cwd);
  const file = (args: Record<string, unknown>) => (typeof args.file === "string" ? resolve(v.cwd, args.file) : undefined);
  const reportOf = (r: ErrorReport): ErrorReport & Record<string, unknown> => {
    const e = errorJson(r);
    return { ...e, file: e.file && rel(e.file) } as ErrorReport & Record<string, unknown>;
  };
  const errorOf = (err: unknown) => reportOf(report(err, v.isUserFile));
  const summary = (l: { result: Outcome; at: number } | undefined) => {
    if (!l) return null;
    const r = l.result;
    const base = { at: new Date(l.at).toISOString(), files: "files" in r ? r.files.map(rel) : [] };
    if (r.kind === "reloaded") return { ...base, ok: true, executed: r.executed.map(rel), ms: Math.round(r.ms * 10) / 10 };
    if (r.kind === "ignored") return { ...base, ok: true, skipped: r.reason.why };
    // rolled-back: the last good code runs again; failed: it never stopped running.
    if (r.kind === "rolled-back" || r.kind === "failed") return { ...base, ok: false, outcome: r.kind, phase: r.phase, error: reportOf(r.error) };
    return { ...base, ok: true, outcome: r.kind };
  };
  const known = (p: string | undefined) => {
    if (!p) throw new Error("give a file, relative to the project folder (e.g. src/routes.ts)");
    if (![...v.graph.paths()].includes(p)) throw new Error(`${rel(p)} is not a module of this app`);
    return p;
  };

  return [
    {
      name: "status",
      description: "The running app: entry, URLs, uptime, the last reload and its outcome, and the last error with file:line and code frame.",
      inputSchema: { type: "object", properties: {} },
      run: () => ({
        entry: rel(v.entry),
        urls: v.urls(),
        uptimeSeconds: Math.round((Date.now() - v.startedAt) / 1000),
        modules: [...v.graph.paths()].length,
        lastReload: summary(v.last()),
        lastError: v.lastError() === undefined ? null : errorOf(v.lastError()),
      }),
    },
    {
      name: "reload",
      description:
        "Runs every module of the app again (as r + Enter does) and returns the outcome; with restart: true, restarts the app process instead (as R + Enter does), answering before it goes.",
      inputSchema: { type: "object", properties: { restart: { type: "boolean", description: "A new process instead of a hot reload" } } },
      run: async (args) => {
        if (args.restart === true) {
          // The process answering is the one restarted: give the answer time to leave first
          // (the restart itself is graceful, so a later request waits for the new process).
          setTimeout(() => v.restart(), 50);
          return "restarting the app process; call status in a moment";
        }
        const outcome = await v.reloadAll();
        return outcome ? summary({ result: outcome, at: Date.now() }) : "no reload ran (the app is restarting or down); call status in a moment";
      },
    },
    {
      name: "graph",
      description: "The app's modules and their imports; with `file`, what that module imports and what imports it.",
      inputSchema: { type: "object", properties: { file: { type: "string", description: "A module path relative to the project folder" } } },
      run: (args) => {
        const f = file(args);
        if (f) return { file: rel(known(f)), imports: v.graph.deps(f).map(rel), importedBy: v.graph.importers(f).map(rel) };
        return Object.fromEntries([...v.graph.paths()].map((p) => [rel(p), v.graph.deps(p).map(rel)]));
      },
    },
    {
      name: "why",
      description: "Why a module ran in the last successful reload: the chain of imports from the file that changed.",
      inputSchema: { type: "object", properties: { file: { type: "string", description: "A module path relative to the project folder" } }, required: ["file"] },
      run: (args) => {
        const f = known(file(args));
        const last = v.lastOk();
        if (!last) return `no reload has run yet`;
        if (!last.executed.includes(f)) return `${rel(f)} did not run in the last reload (of ${last.files.map(rel).join(", ")})`;
        const chain = [f];
        for (let p = f; ; ) {
          const cause = last.because[p];
          if (!cause || cause === p || chain.includes(cause)) break;
          chain.push((p = cause));
        }
        if (chain.length === 1) return `${rel(f)} changed`;
        return `${rel(f)} ran because it imports ${chain.slice(1).map(rel).join(", which imports ")}, which changed`;
      },
    },
    {
      name: "logs",
      description: "The last lines of hmr-run's and the app's output (stderr lines are marked [stderr]).",
      inputSchema: { type: "object", properties: { lines: { type: "number", description: "How many lines (default 50)" } } },
      run: (args) => v.logs(typeof args.lines === "number" && args.lines > 0 ? Math.floor(args.lines) : 50).join("\n"),
    },
  ];
}
