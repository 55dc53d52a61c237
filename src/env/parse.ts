/**
 * Dotenv text read exactly as Bun 1.4.5 reads it (`--env-file`, `.env`): checked line by
 * line against `bun --env-file` in test/env-parse.test.ts, quirks included:
 * - `KEY=value`, `KEY: value`, `export KEY=value`; keys are `[A-Za-z0-9_.-]+`; a line
 *   that is none of these is ignored.
 * - Unquoted values end at `#` (even `a#b` is `a`), are trimmed, and are kept as written.
 * - `"…"`, `'…'` and `` `…` `` may span lines and end at the first quote not escaped by
 *   `\`; the rest of that line is ignored. Inside `"…"` only `\n` and `\r` are
 *   translated (`\"` stays `\"`); in the others a backslash is kept as is. A quote
 *   never closed is read as an unquoted value.
 * - Then, whatever the quotes, `$KEY`, `${KEY}` and `${KEY:-default}` expand (`\$`
 *   stays `$`). A key already set (the shell, an earlier file) keeps its value. Values
 *   expand in the order keys first appeared: a key defined later in the file expands
 *   to its raw text, an unknown one to "" (the default is used only when it is unset,
 *   and runs to the brace that closes it: `${A:-${B}}` nests).
 */

/** What one file sets, in order, with the lines it ignored. */
export interface ParsedEnvFile {
  /** Raw values (before expansion), later duplicates included. */
  entries: Array<[key: string, value: string]>;
  /** 1-based lines that are not `KEY=value` (comments and blank lines excluded). */
  ignored: number[];
  /** 1-based lines whose opening quote is never closed (read as unquoted). */
  unclosed: number[];
}

const WS = new Set(["\t", "\v", "\f", " ", "\xA0", "\n", "\r"]);
const KEY_CHAR = /[A-Za-z0-9_.-]/;

/** Splits dotenv text into raw key/value pairs. */
export function parseEnvFile(src: string): ParsedEnvFile {
  const out: ParsedEnvFile = { entries: [], ignored: [], unclosed: [] };
  let pos = 0;
  const lineAt = (i: number) => {
    let n = 1;
    for (let j = 0; j < i; j++) if (src[j] === "\n") n++;
    return n;
  };
  const skipWs = () => {
    while (pos < src.length && WS.has(src[pos]!)) pos++;
  };
  const readKey = (allowExport: boolean): string | undefined => {
    const start = pos;
    let end = start;
    while (end < src.length && KEY_CHAR.test(src[end]!)) end++;
    if (end < src.length && start < end) {
      pos = end;
      skipWs();
      if (pos < src.length) {
        if (allowExport && end < pos && src.slice(start, end) === "export") {
          const key = readKey(false);
          if (key !== undefined) return key;
        }
        if (src[pos] === "=") {
          pos++;
          return src.slice(start, end);
        }
        if (src[pos] === ":" && pos + 1 < src.length && WS.has(src[pos + 1]!)) {
          pos += 2;
          return src.slice(start, end);
        }
      }
    }
    pos = start;
    return undefined;
  };
  const skipLine = () => {
    while (pos < src.length && src[pos] !== "\n" && src[pos] !== "\r") pos++;
    if (pos < src.length) pos++;
  };
  while (pos < src.length) {
    skipWs();
    if (pos >= src.length) break;
    const keyAt = pos;
    const key = readKey(true);
    if (key === undefined) {
      if (src[pos] !== "#") out.ignored.push(lineAt(pos));
      skipLine();
      continue;
    }
    out.entries.push([key, readValue(keyAt)]);
  }
  return out;

  function readValue(keyAt: number): string {
    const start = pos;
    skipWs();
    if (pos >= src.length) return "";
    const q = src[pos]!;
    if (q === '"' || q === "'" || q === "`") {
      const close = closingQuote(src, pos + 1, q);
      if (close >= 0) {
        const value = unquote(src.slice(pos + 1, close), q === '"');
        pos = close + 1;
        skipLine(); // Bun ignores what follows the closing quote on its line.
        return value;
      }
      out.unclosed.push(lineAt(keyAt));
    }
    let end = start;
    while (end < src.length && src[end] !== "#" && src[end] !== "\r" && src[end] !== "\n") end++;
    pos = end;
    return trimWs(src.slice(start, end));
  }
}

function closingQuote(src: string, from: number, q: string): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === "\\") i++;
    else if (src[i] === q) return i;
  }
  return -1;
}

function unquote(body: string, double: boolean): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\" && double && i + 1 < body.length) {
      const n = body[i + 1]!;
      out += n === "n" ? "\n" : n === "r" ? "\r" : c + n;
      i++;
    } else if (c === "\r") {
      if (body[i + 1] !== "\n") out += "\n";
    } else out += c;
  }
  return out;
}

function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WS.has(s[a]!)) a++;
  while (b > a && WS.has(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** `$KEY`, `${KEY}`, `${KEY:-default}` in `value`, looked up with `get`; `\$` is a plain `$`. */
export function expandEnvValue(value: string, get: (key: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && value[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (c !== "$") {
      out += c;
      continue;
    }
    const ref = reference(value, i);
    if (!ref) {
      out += c;
      continue;
    }
    out += get(ref.key) ?? (ref.fallback !== undefined ? expandEnvValue(ref.fallback, get) : "");
    i = ref.end - 1;
  }
  return out;
}

/** The `$KEY`, `${KEY}` or `${KEY:-default}` at `at` (its end excluded), if one is there. */
function reference(value: string, at: number): { key: string; fallback?: string; end: number } | undefined {
  const bare = /^\$([A-Za-z0-9_]+)/.exec(value.slice(at));
  if (bare) return { key: bare[1]!, end: at + bare[0].length };
  const head = /^\$\{([A-Za-z0-9_]+)(:-)?/.exec(value.slice(at));
  if (!head) return undefined;
  let i = at + head[0].length;
  if (!head[2]) return value[i] === "}" ? { key: head[1]!, end: i + 1 } : undefined;
  // The default runs to the brace that closes this reference: `${A:-${B}}` nests.
  const from = i;
  for (let depth = 0; i < value.length; i++) {
    if (value[i] === "{") depth++;
    else if (value[i] === "}" && depth-- === 0) return { key: head[1]!, fallback: value.slice(from, i), end: i + 1 };
  }
  return undefined; // Never closed: Bun keeps the text as written.
}

/**
 * Loads one file into `env` as Bun does: keys already in `env` keep their value, later
 * lines of the file win over earlier ones, then the file's values expand in the order
 * their keys first appeared. Returns the keys this file set.
 */
export function loadEnvFile(parsed: ParsedEnvFile, env: Map<string, string>): string[] {
  const before = new Set(env.keys());
  const set: string[] = [];
  for (const [key, value] of parsed.entries) {
    if (before.has(key)) continue;
    if (!env.has(key)) set.push(key);
    env.set(key, value);
  }
  for (const key of set) env.set(key, expandEnvValue(env.get(key)!, (k) => env.get(k)));
  return set;
}
