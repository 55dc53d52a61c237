/**
 * Turns what a reload threw into something a person can act on: the message,
 * file:line:column in the user's code, and a code frame.
 */
import { readFileSync } from "node:fs";
import { shown } from "./paths.ts";

/** Where an error points in the user's code. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** A reload failure, ready to print or to send to a browser overlay. */
export interface ErrorReport {
  message: string;
  location?: Location;
  frame?: string;
}

/** Finds the first location in the user's code: Bun's build errors carry one, runtime errors have a stack. */
export function locate(err: unknown, isUserFile: (file: string) => boolean): Location | undefined {
  const e = err as any;
  if (e?.position?.file) {
    return { file: e.position.file, line: e.position.line, column: (e.position.column ?? 0) + 1 };
  }
  if (Array.isArray(e?.errors) && e.errors[0]) return locate(e.errors[0], isUserFile);
  const stack: string = typeof e?.stack === "string" ? e.stack : "";
  let first: Location | undefined;
  for (const m of stack.matchAll(/(?:\(|at )((?:\/|file:\/\/)[^():]+):(\d+)(?::(\d+))?/g)) {
    const file = m[1]!.startsWith("file://") ? Bun.fileURLToPath(m[1]!) : m[1]!;
    const loc = { file, line: Number(m[2]), column: Number(m[3] ?? 1) };
    if (isUserFile(file)) return loc;
    first ??= loc;
  }
  return first && isUserFile(first.file) ? first : undefined;
}

/** A few lines of `file` around `line`, with a caret under `column`. */
export function codeFrame(loc: Location, before = 2, after = 1): string | undefined {
  let text: string;
  try {
    text = readFileSync(loc.file, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  if (loc.line < 1 || loc.line > lines.length) return undefined;
  const from = Math.max(1, loc.line - before);
  const to = Math.min(lines.length, loc.line + after);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    out.push(`${n === loc.line ? ">" : " "} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === loc.line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, loc.column - 1))}^`);
  }
  return out.join("\n");
}

/** The message of anything thrown, prefixed with its kind when that helps. */
export function messageOf(err: unknown): string {
  const e = err as any;
  if (Array.isArray(e?.errors) && e.errors.length) return e.errors.map(messageOf).join("\n");
  if (e && typeof e === "object" && "message" in e) {
    const plain = !e.name || e.name === "Error" || e.name === "BuildMessage" || e.name === "ResolveMessage";
    const name = plain || String(e.message).startsWith(e.name) ? "" : `${e.name}: `;
    return name + String(e.message);
  }
  try {
    return String(err);
  } catch {
    return Bun.inspect(err); // A thrown Object.create(null) has no toString.
  }
}

/** Everything about one failure, with file paths relative to `cwd` for printing. */
export function report(err: unknown, isUserFile: (file: string) => boolean): ErrorReport {
  const location = locate(err, isUserFile);
  return { message: messageOf(err), location, frame: location && codeFrame(location) };
}

/** `file:line:column`, relative to `cwd`. */
export function where(loc: Location, cwd = process.cwd()): string {
  return `${shown(loc.file, cwd)}:${loc.line}:${loc.column}`;
}

/** Bun's parse errors name a pretend file (`input.ts`); point them at the real one. */
export function atFile(err: unknown, file: string): Error {
  const first = (err as any)?.errors?.[0] ?? err;
  const out = new SyntaxError(String(first?.message ?? err)) as SyntaxError & { position?: unknown };
  if (first?.position) out.position = { ...first.position, file };
  return out;
}
