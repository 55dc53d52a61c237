/**
 * Turns command-line arguments into one checked options object. Every problem is a
 * UsageError with a one-line message; nothing here starts anything.
 */
import { UsageError } from "./errors.ts";
import type { InspectFlag } from "./bun-flags.ts";
import { parseInspect, type Inspect } from "./inspect.ts";
import { forwardedExecArgv } from "./own-args.ts";
export { UsageError } from "./errors.ts";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { POLL_MS } from "./watch/poll-watch.ts";
import { isGlob } from "./loader/globs.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log.ts";
import { workspacePackages } from "./loader/workspaces.ts";
import { isUnder } from "./paths.ts";

/** Bad input from the user: printed as one line, exit code 2. */

/** Everything `hmr-run` was asked to do, checked. */
export interface RunOptions {
  entry: string;
  exportName?: string;
  hostname: string;
  port: number;
  unix?: string;
  tls?: { cert: string; key: string };
  explicit: { hostname: boolean; port: boolean; unix: boolean };
  logLevel: LogLevel;
  logFormat: LogFormat;
  envFiles: string[];
  clear: boolean;
  refresh: boolean;
  /** The dev server's MCP endpoint (`POST /__hmr-run/mcp`); off with --no-mcp. */
  mcp: boolean;
  include: string[];
  exclude: string[];
  /** Poll for changes instead of OS file events (`--poll`). */
  poll: boolean;
  /** The polling period in ms (`--poll-interval`), whenever polling is on. */
  pollMs: number;
  cwd: string;
  /** Arguments for the app (after `--`): its `process.argv.slice(2)`, as under `bun entry ...args`. */
  args: string[];
  /** Flags for `bun` itself in the app process (`--smol`, `--preload x`), in order: those given to `bun` before hmr-run, then those given to hmr-run. */
  bunArgs: string[];
  /** Bun's debugger in the app process (`--inspect`). */
  inspect?: Inspect;
  /** Set by the supervisor for a restarted app process: the MCP stdio session it takes over. */
  mcpSession?: object[];
}

/** The raw values citty parsed, plus the repeatable flags collected from argv. */
export interface RawArgs {
  entry?: string;
  host?: string;
  port?: string;
  unix?: string;
  "log-level"?: string;
  "log-format"?: string;
  clear?: boolean;
  refresh?: boolean;
  mcp?: boolean;
  poll?: boolean;
  "poll-interval"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  envFiles: string[];
  include: string[];
  exclude: string[];
  args?: string[];
  /** Bun's own flags given to hmr-run, for the app process. */
  bunArgs?: string[];
  /** `--inspect[=value]`, `--inspect-wait`, `--inspect-brk`. */
  inspect?: { flag: InspectFlag; value?: string };
}

/** Checks every flag against the file system and the environment; throws UsageError on the first problem. */
export function resolveOptions(raw: RawArgs, cwd = process.cwd(), env = process.env, execArgv = process.execArgv): RunOptions {
  const logLevel = (raw["log-level"] ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got "${raw["log-level"]}")`);
  }
  const logFormat = (raw["log-format"] ?? "text") as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) {
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(", ")} (got "${raw["log-format"]}")`);
  }
  const { entry, exportName } = resolveEntry(raw.entry, cwd);
  const [portText, portFrom] = portSource(raw.port, env);
  const port = parsePort(portText, portFrom);
  const hostname = raw.host ?? "localhost";
  if (!hostname.trim()) throw new UsageError("--host must not be empty");
  let unix: string | undefined;
  if (raw.unix !== undefined) {
    if (!raw.unix.trim()) throw new UsageError("--unix needs a socket path");
    const other = raw.host !== undefined ? "--host" : raw.port !== undefined ? "--port" : undefined;
    if (other) throw new UsageError(`--unix serves on a socket, so ${other} has nothing to bind; give one or the other`);
    unix = resolve(cwd, raw.unix);
    const dir = dirname(unix);
    if (!existsSync(dir)) throw new UsageError(`--unix ${raw.unix}: folder ${dir} does not exist`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new UsageError(`--unix ${raw.unix}: folder ${dir} is not writable`);
    }
  }
  let tls: RunOptions["tls"];
  if (raw["tls-cert"] || raw["tls-key"]) {
    if (!raw["tls-cert"] || !raw["tls-key"]) throw new UsageError("--tls-cert and --tls-key go together");
    tls = { cert: readText(raw["tls-cert"], "--tls-cert", cwd), key: readText(raw["tls-key"], "--tls-key", cwd) };
  }
  // `--env-file a.env,b.env` is two files, as with Bun's flag; blank parts are skipped.
  const envFiles = raw.envFiles.flatMap((f) => f.split(",")).filter((f) => f.trim()).map((f) => {
    const abs = resolve(cwd, f);
    if (!existsSync(abs)) throw new UsageError(`--env-file ${f}: no such file`);
    if (statSync(abs).isDirectory()) throw new UsageError(`--env-file ${f}: is a folder, not a dotenv file`);
    return abs;
  });
  // With no --reload-include, the workspace packages the app can import are the user's too.
  // An entry outside the current folder (an MCP client may start hmr-run from / with an
  // absolute path, where "." would be the whole disk) has its own project watched instead.
  // Globs stay as written (makeScope reads them against cwd): `*.gen.ts` means any depth.
  const root = isUnder(entry, cwd) ? "." : projectRoot(entry);
  const include = (raw.include.length ? raw.include : [root, ...workspacePackages(resolve(cwd, root))]).map((p) => {
    if (isGlob(p, cwd)) return p;
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) throw new UsageError(`--reload-include ${p}: no such file or folder`);
    return abs;
  });
  const exclude = raw.exclude.map((p) => (isGlob(p, cwd) ? p : resolve(cwd, p)));
  const pollMs = parsePollInterval(raw["poll-interval"]);
  return {
    entry,
    exportName,
    hostname,
    port,
    unix,
    tls,
    explicit: { hostname: raw.host !== undefined, port: raw.port !== undefined, unix: unix !== undefined },
    logLevel,
    logFormat,
    envFiles,
    clear: !!raw.clear,
    refresh: !!raw.refresh,
    mcp: raw.mcp !== false,
    include,
    exclude,
    poll: !!raw.poll,
    pollMs,
    cwd,
    args: raw.args ?? [],
    bunArgs: [...forwardedExecArgv(execArgv).bunArgs, ...(raw.bunArgs ?? [])],
    inspect: raw.inspect ? parseInspect(raw.inspect.flag, raw.inspect.value) : undefined,
  };
}

/** `--poll-interval`: whole milliseconds, 10 at least (a tighter loop only burns CPU). */
function parsePollInterval(value: string | undefined): number {
  if (value === undefined) return POLL_MS;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 10 || n > 600_000) {
    throw new UsageError(`--poll-interval must be a whole number of milliseconds from 10 to 600000 (got "${value}")`);
  }
  return n;
}

/** The nearest folder above `file` with a package.json, else the file's own folder. */
function projectRoot(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}

/** `--port`, else the variables Bun.serve reads, in its order: $BUN_PORT, $PORT, $NODE_PORT. */
function portSource(flag: string | undefined, env: Record<string, string | undefined>): [string, string] {
  if (flag !== undefined) return [flag, "--port"];
  for (const name of ["BUN_PORT", "PORT", "NODE_PORT"]) {
    const v = env[name];
    if (v !== undefined && v !== "") return [v, `$${name}`];
  }
  return ["3000", "the default port"];
}

function parsePort(value: string, from: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${from} must be a whole number from 0 to 65535 (got "${value}")`);
  }
  return n;
}

function readText(path: string, flag: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : `cannot read it (${code ?? err})`;
    throw new UsageError(`${flag} ${path}: ${why}`);
  }
}

/**
 * `main.ts`, `main.ts:app`, or nothing: then package.json's `module` / `main`, else
 * `index.ts` (or .tsx/.js/.jsx/.mjs), as Bun picks an entry.
 */
export function resolveEntry(spec: string | undefined, cwd: string): { entry: string; exportName?: string } {
  if (!spec) return { entry: defaultEntry(cwd) };
  let file = spec;
  let exportName: string | undefined;
  const m = /^(.*[^:]):([A-Za-z_$][\w$]*)$/.exec(spec);
  if (m && !existsSync(resolve(cwd, spec))) {
    file = m[1]!;
    exportName = m[2];
  }
  const abs = resolve(cwd, file);
  if (!existsSync(abs)) throw new UsageError(`entry ${file} not found (looked in ${cwd})`);
  if (statSync(abs).isDirectory()) return { entry: defaultEntry(abs), exportName };
  const ext = extname(abs);
  if (ext && !CODE.includes(ext)) throw new UsageError(`entry ${file} is not a module Bun runs (expected ${CODE.join(", ")})`);
  try {
    accessSync(abs, constants.R_OK);
  } catch {
    throw new UsageError(`entry ${file} is not readable`);
  }
  return { entry: abs, exportName };
}

const CODE = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
const INDEX = ["index.ts", "index.tsx", "index.js", "index.jsx", "index.mjs", "index.mts"];

function defaultEntry(dir: string): string {
  let stale: string | undefined;
  const pkgPath = resolve(dir, "package.json");
  if (existsSync(pkgPath)) {
    let pkg: { module?: unknown; main?: unknown };
    try {
      pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
    } catch (err) {
      throw new UsageError(`package.json in ${dir} is not valid JSON: ${(err as Error).message}`);
    }
    for (const field of ["module", "main"] as const) {
      const v = pkg[field];
      if (typeof v !== "string") continue;
      if (existsSync(resolve(dir, v))) return resolve(dir, v);
      stale ??= `package.json "${field}" names ${v}, which does not exist; `;
    }
  }
  for (const name of INDEX) if (existsSync(resolve(dir, name))) return resolve(dir, name);
  const where = dir === process.cwd() ? "" : ` in ${dir}`;
  throw new UsageError(
    `no entry given and none found${where} (${stale ?? ""}looked for package.json module/main, index.ts). Usage: hmr-run <entry[:export]> [options]`,
  );
}
