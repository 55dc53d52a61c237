/**
 * The environment hmr-run was started with, before Bun added its own env files to it.
 * Bun loads `.env` and friends into every process it starts, hmr-run's included, so
 * `process.env` mixes the shell's variables with the files' ones; the app process is
 * started from this environment with `--no-env-file` and loads the files itself, so an
 * edit can change what came from a file and never what came from the shell.
 */
import { readFileSync } from "node:fs";
import { bunEnvFiles, loadEnvFiles } from "./files.ts";

let cached: Record<string, string> | undefined;

/** The environment without what Bun loaded from env files (computed once per process). */
export function shellEnv(cwd = process.cwd()): Record<string, string> {
  return (cached ??= initialEnviron() ?? withoutEnvFiles(cwd));
}

/** Linux keeps the environment a process was started with, untouched by Bun's loading. */
function initialEnviron(): Record<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync("/proc/self/environ", "utf8");
  } catch {
    return undefined; // Not Linux (or no /proc): guessed from the files instead.
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * Elsewhere: a variable holding exactly the value Bun's env files give it is taken to
 * come from them. Only a shell variable set to that very value is misread, and then only
 * an edit of that key in the file could change it.
 */
function withoutEnvFiles(cwd: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const { values } = loadEnvFiles(bunEnvFiles(cwd, env), {});
  for (const [k, v] of values) if (env[k] === v) delete env[k];
  return env;
}
