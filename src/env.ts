/**
 * `--env-file`: dotenv files loaded into `process.env` before the entry runs, later
 * files winning, as Bun's own flag does. Parsed here (not with Bun's loader) so a bad
 * line can be named and an edited file can be applied again, removals included.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

/** A dotenv file that could not be read or parsed; names the file and line. */
export class EnvFileError extends Error {
  override name = "EnvFileError";
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)?$/;

/** Parses dotenv text: `KEY=value`, quotes, `export`, comments, `${VAR}` expansion. */
export function parseEnv(text: string, file: string, lookup: (k: string) => string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const get = (k: string) => out.get(k) ?? lookup(k) ?? "";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.trim() || raw.trimStart().startsWith("#")) continue;
    const m = LINE.exec(raw);
    if (!m) throw new EnvFileError(`${file}:${i + 1}: expected KEY=value, got: ${raw.trim().slice(0, 60)}`);
    const key = m[1]!;
    let value = (m[2] ?? "").trim();
    const q = value[0];
    if (q === '"' || q === "'" || q === "`") {
      // A quoted value may span lines until its closing quote.
      let body = value.slice(1);
      let end = closing(body, q);
      while (end < 0 && i + 1 < lines.length) {
        body += "\n" + lines[++i];
        end = closing(body, q);
      }
      if (end < 0) throw new EnvFileError(`${file}:${i + 1}: unterminated ${q} quote for ${key}`);
      value = body.slice(0, end);
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
      value = expand(value, get); // Bun expands in single quotes too (checked on 1.4.5).
    } else {
      value = expand(value.replace(/\s+#.*$/, ""), get);
    }
    out.set(key, value);
  }
  return out;
}

function closing(s: string, q: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === q) return i;
  }
  return -1;
}

function expand(value: string, get: (k: string) => string): string {
  return value.replace(/\\\$/g, "\0").replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => get(a ?? b)).replace(/\0/g, "$");
}

/**
 * Owns the variables that env files put into `process.env`: applying again after an
 * edit sets new values and removes keys that left the files (unless the shell set them).
 */
export class EnvFiles {
  private applied = new Map<string, string>();
  private shell: Record<string, string | undefined> | undefined;

  constructor(readonly files: string[]) {}

  /** Reads every file and updates `process.env`; throws EnvFileError naming file and line. */
  apply(): { changed: string[] } {
    const next = new Map<string, string>();
    const shell = this.shell ?? { ...process.env };
    for (const file of this.files) {
      const name = shown(file);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new EnvFileError(`cannot read env file ${name}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      for (const [k, v] of parseEnv(text, name, (k) => next.get(k) ?? shell[k])) next.set(k, v);
    }
    if (!this.shell && this.files.length) {
      // Bun loaded .env, .env.<NODE_ENV> and .env.local before hmr-run ran; with --env-file
      // Bun loads only the files given. A variable holding exactly such a file's value came
      // from that file, not from the shell: forget it (and drop it unless a given file sets it).
      const auto = autoLoaded();
      for (const [k, v] of [...next, ...auto]) {
        if (shell[k] !== v) continue;
        delete shell[k];
        if (!next.has(k)) delete process.env[k];
      }
    }
    this.shell ??= shell;
    const changed: string[] = [];
    for (const [k, v] of next) {
      // Variables from the shell win over env files, as with Bun's own --env-file.
      if (shell[k] !== undefined) continue;
      if (process.env[k] !== v) changed.push(k);
      process.env[k] = v;
    }
    for (const k of this.applied.keys()) {
      if (next.has(k)) continue;
      changed.push(k);
      delete process.env[k];
    }
    this.applied = new Map([...next].filter(([k]) => shell[k] === undefined));
    return { changed };
  }
}

/** What Bun itself loaded from the current folder's env files, later files winning. */
function autoLoaded(): Map<string, string> {
  const mode = process.env.NODE_ENV === "production" ? "production" : process.env.NODE_ENV === "test" ? "test" : "development";
  const names = [".env", `.env.${mode}`, ...(mode === "test" ? [] : [".env.local"])];
  const out = new Map<string, string>();
  for (const name of names) {
    try {
      for (const [k, v] of parseEnv(readFileSync(name, "utf8"), name, (k) => out.get(k))) out.set(k, v);
    } catch {
      continue; // Missing or unparseable: Bun would not have loaded it either.
    }
  }
  return out;
}

/** A file as the user typed it: relative to the current folder when inside it. */
function shown(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith("..") ? r : file;
}
