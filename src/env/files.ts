/**
 * The env files of a run and the variables they put into `process.env`: the files given
 * with `--env-file`, else the ones Bun loads by itself. Applying them again after an edit
 * sets the new values and removes keys that left the files; a variable of the shell is
 * never changed or removed, as with Bun, where the shell always wins.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { shown } from "../paths.ts";
import { loadEnvFile, parseEnvFile } from "./parse.ts";

/**
 * The files Bun 1.4.5 loads from `cwd` by itself, highest priority first (measured; a
 * file earlier in the list wins): `.env.{mode}.local`, `.env.local` (not in test mode),
 * `.env.{mode}`, `.env`, where mode is test or production when `BUN_ENV` (else
 * `NODE_ENV`) says so, and development otherwise. Missing ones are listed too: creating
 * one is an edit.
 */
export function bunEnvFiles(cwd: string, env: Record<string, string | undefined> = process.env): string[] {
  const given = env.BUN_ENV ?? env.NODE_ENV;
  const mode = given === "production" || given === "test" ? given : "development";
  const names = [`.env.${mode}.local`, ...(mode === "test" ? [] : [".env.local"]), `.env.${mode}`, ".env"];
  return names.map((n) => resolve(cwd, n));
}

/** The env files of a run, highest priority first: the last `--env-file` wins, as in Bun. */
export function envFilesOf(o: { envFiles: string[]; cwd: string }, env: Record<string, string | undefined> = process.env): string[] {
  return o.envFiles.length ? [...o.envFiles].reverse() : bunEnvFiles(o.cwd, env);
}

/** What `files` (highest priority first) set on top of `shell`, and what to say about them. */
export function loadEnvFiles(files: string[], shell: Record<string, string>): { values: Map<string, string>; warnings: string[] } {
  const env = new Map(Object.entries(shell));
  const values = new Map<string, string>();
  const warnings: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // Missing (deleted, or not created yet): Bun skips it too.
    }
    const parsed = parseEnvFile(text);
    const name = shown(file);
    for (const line of parsed.ignored) warnings.push(`${name}:${line}: not KEY=value; ignored, as Bun ignores it`);
    for (const line of parsed.unclosed) warnings.push(`${name}:${line}: this quote is never closed; the value is the rest of the line, as Bun reads it`);
    for (const k of loadEnvFile(parsed, env)) values.set(k, env.get(k)!);
  }
  return { values, warnings };
}

/** Owns the variables that env files put into `process.env` of the app process. */
export class EnvFiles {
  private applied = new Map<string, string>();
  private readonly shell: Record<string, string>;

  /** `files` highest priority first; `shell` is the environment before any env file. */
  constructor(
    readonly files: string[],
    shell: Record<string, string | undefined>,
  ) {
    this.shell = Object.fromEntries(Object.entries(shell).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** The keys a re-read of the files would change, without changing anything. */
  diff(): string[] {
    const { values } = loadEnvFiles(this.files, this.shell);
    const changed = [...values].filter(([k, v]) => process.env[k] !== v).map(([k]) => k);
    for (const k of this.applied.keys()) if (!values.has(k)) changed.push(k);
    return changed;
  }

  /** Reads every file and updates `process.env`: the keys that changed, and lines worth a warning. */
  apply(): { changed: string[]; warnings: string[] } {
    const { values, warnings } = loadEnvFiles(this.files, this.shell);
    const changed: string[] = [];
    for (const [k, v] of values) {
      if (process.env[k] !== v) changed.push(k);
      process.env[k] = v;
    }
    for (const k of this.applied.keys()) {
      if (values.has(k)) continue;
      changed.push(k);
      delete process.env[k];
    }
    this.applied = values;
    return { changed, warnings };
  }
}
