/**
 * `hmr-run test [options] [bun test options] [filters]`: separates hmr-run's own flags
 * from the ones passed through to `bun test`, and finds in the latter what the watcher
 * needs to know (path filters, preloads, env files, config file, cwd).
 */
import { resolve } from "node:path";
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { UsageError } from "../options.ts";

/** Everything `hmr-run test` was asked to do. */
export interface TestArgs {
  /** Arguments for `bun test`, as given (path filters included): used for full runs. */
  bunArgs: string[];
  /** The same without path filters: a selective run appends the chosen files instead. */
  bunFlags: string[];
  /** Path filters, as `bun test` reads them (substring of the relative path, or ./path). */
  filters: string[];
  /** `--preload` / `-r` modules given on the command line. */
  preloads: string[];
  /** `--env-file` files given on the command line. */
  envFiles: string[];
  /** `--path-ignore-patterns` globs. */
  ignore: string[];
  /** `-c` / `--config`: the bunfig file, when not the default. */
  config?: string;
  /** The project folder (`--cwd`, else the current folder). */
  cwd: string;
  clear: boolean;
  logLevel: LogLevel;
  include: string[];
  exclude: string[];
  help: boolean;
}

/** Bun flags whose value may be the next argument (`--timeout 500`), from `bun test --help` and `bun run --help` (1.4.5). */
const TAKES_VALUE = new Set([
  "timeout", "rerun-each", "retry", "seed", "coverage-reporter", "coverage-dir", "test-name-pattern", "t",
  "reporter", "reporter-outfile", "max-concurrency", "path-ignore-patterns", "shard", "timings", "parallel-delay",
  "preload", "r", "require", "import", "config", "c", "cwd", "env-file", "tsconfig-override", "define", "d",
  "drop", "feature", "loader", "l", "conditions", "main-fields", "extension-order", "jsx-factory", "jsx-fragment",
  "jsx-import-source", "jsx-runtime", "port", "install", "console-depth", "user-agent", "fetch-preconnect",
  "max-http-header-size", "dns-result-order", "unhandled-rejections", "title", "redirect-warnings",
  "disable-warning", "cpu-prof-name", "cpu-prof-dir", "cpu-prof-interval", "heap-prof-name", "heap-prof-dir",
  "heap-prof-interval", "watch-kill-signal", "shell", "elide-lines",
]);
// Flags with an optional value (--bail, --bail=3) only take it after "=": `bun test --bail 3`
// reads 3 as a path filter (measured on Bun 1.4.5).

/** Flags that would make `bun test` watch by itself, fighting hmr-run's own watching. */
const REFUSED = new Set(["watch", "hot"]);

export function parseTestArgs(argv: string[], cwd = process.cwd()): TestArgs {
  const out: TestArgs = {
    bunArgs: [], bunFlags: [], filters: [], preloads: [], envFiles: [], ignore: [], cwd,
    clear: false, logLevel: "info", include: [], exclude: [], help: false,
  };
  let level: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      for (const f of argv.slice(i + 1)) keepFilter(out, f);
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      keepFilter(out, a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, "");
    const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`option ${a} needs a value`);
      return v;
    };
    switch (name) {
      case "clear":
        out.clear = true;
        continue;
      case "log-level":
        level = value();
        continue;
      case "reload-include":
        out.include.push(value());
        continue;
      case "reload-exclude":
        out.exclude.push(value());
        continue;
      case "help":
      case "h":
        out.help = true;
        continue;
    }
    if (REFUSED.has(name)) throw new UsageError(`${a} is not needed: hmr-run test watches and re-runs the affected tests itself`);
    if (!TAKES_VALUE.has(name)) {
      keepFlag(out, a);
      continue;
    }
    const v = value();
    if (inline === undefined) keepFlag(out, a, v);
    else keepFlag(out, a);
    if (name === "preload" || name === "r" || name === "require" || name === "import") out.preloads.push(v);
    else if (name === "env-file") out.envFiles.push(v);
    else if (name === "path-ignore-patterns") out.ignore.push(v);
    else if (name === "config" || name === "c") out.config = v;
    else if (name === "cwd") out.cwd = resolve(cwd, v);
  }
  if (level !== undefined) {
    if (!LOG_LEVELS.includes(level as LogLevel)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got "${level}")`);
    }
    out.logLevel = level as LogLevel;
  }
  return out;
}

function keepFilter(out: TestArgs, f: string): void {
  out.filters.push(f);
  out.bunArgs.push(f);
}

function keepFlag(out: TestArgs, ...parts: string[]): void {
  out.bunArgs.push(...parts);
  out.bunFlags.push(...parts);
}

/** `hmr-run test --help`. */
export const TEST_USAGE = `Runs bun test once, then on every save only the test files whose imports reach the changed file.

Usage: hmr-run test [options] [bun test options] [filters]

Options:
  --clear                 Clear the terminal before each run
  --log-level <level>     hmr-run's own output: ${LOG_LEVELS.join(", ")} (default: info; debug lists every chosen file)
  --reload-include <path> Watch this path; repeatable (default: the current folder)
  --reload-exclude <path> Do not watch this path; repeatable (node_modules and .git never are)

Every other option and filter goes to bun test as given (-t, --bail, --timeout, --coverage,
--reporter, --preload, ...; see bun test --help).

Keys: a + Enter runs every test file, q + Enter quits.`;
