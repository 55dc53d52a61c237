/**
 * Data files a module imports (JSON, JSONC, TOML, YAML) parsed before anything is
 * disposed, as Bun would parse them on import: a malformed one fails the reload with
 * file:line and a code frame instead of a SyntaxError with no location mid-reload.
 */
import type { ParseError } from "jsonc-parser";

type Parser = (text: string) => unknown;

const YAML = (Bun as unknown as { YAML?: { parse: Parser } }).YAML;
const parsers: Record<string, Parser | undefined> = {
  // Bun's .json loader is strict (no comments, no trailing commas: Bun 1.4.5), as JSON.parse is.
  json: JSON.parse,
  jsonc: (t) => Bun.JSONC.parse(t),
  toml: (t) => Bun.TOML.parse(t),
  yaml: YAML && ((t) => YAML.parse(t)),
  yml: YAML && ((t) => YAML.parse(t)),
};

/** The error a data file would raise when imported, located in the file; undefined when it parses or is not data. */
export function badDataFile(file: string, text: string): Error | undefined {
  const ext = file.slice(file.lastIndexOf(".") + 1).toLowerCase();
  const parse = parsers[ext];
  if (!parse || text.trim() === "") return undefined;
  try {
    parse(text);
    return undefined;
  } catch (cause) {
    const err = new SyntaxError(`${ext.toUpperCase()} does not parse: ${messageOf(cause)}`) as SyntaxError & { position?: unknown };
    const line = ext === "json" || ext === "jsonc" ? jsonErrorLine(text, ext === "jsonc") : firstBadLine(text, parse);
    if (line) err.position = { file, line: line.line, column: line.column, lineText: text.split("\n")[line.line - 1] };
    return err;
  }
}

/**
 * jsonc-parser reports an offset for the first error; JSC's JSON.parse reports none. It is
 * loaded only for a file that fails to parse: loading it costs every start-up about 10 ms.
 */
function jsonErrorLine(text: string, lenient: boolean): { line: number; column: number } | undefined {
  const errors: ParseError[] = [];
  const { parse: parseJsonc } = require("jsonc-parser") as typeof import("jsonc-parser");
  parseJsonc(text, errors, { disallowComments: !lenient, allowTrailingComma: lenient, allowEmptyContent: false });
  const first = errors[0];
  return first ? lineOf(text, first.offset) : undefined;
}

/**
 * The line where a line-oriented format (TOML, YAML) goes wrong: the error message has
 * no position, so the longest prefix of whole lines that still parses ends right before it.
 */
function firstBadLine(text: string, parse: Parser): { line: number; column: number } | undefined {
  const lines = text.split("\n");
  for (let n = lines.length - 1; n >= 0; n--) {
    try {
      parse(lines.slice(0, n).join("\n"));
      return { line: n + 1, column: 0 };
    } catch {
      continue; // Still broken with this line: the error is earlier.
    }
  }
  return undefined;
}

function lineOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") - 1 };
}

function messageOf(err: unknown): string {
  try {
    return String((err as Error)?.message ?? err).replace(/^(JSONC?|TOML|YAML) Parse error: /, "");
  } catch {
    return "unreadable error";
  }
}
