/**
 * Turns what a reload threw into something a person can act on: the message,
 * file:line:column in the user's code, and a code frame.
 */
import { readFileSync } from "node:fs";
import { types } from "node:util";
import { shown } from "./paths.ts";
import { has } from "./runtime/builtins.ts";

/**
 * What hmr-run itself cannot go on with, as one line for the user (never a stack):
 * `usage` (bad flags or files), `entry` (the entry's export cannot be served), `serve`
 * (a server cannot bind). At start-up each ends the run with exit code 2, through the
 * CLI's one exit path; during a reload, `entry` and `serve` are reload failures.
 */
export type ErrorCode = "usage" | "entry" | "serve";

export class HmrRunError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Bad input on the command line or in the files it names: one line, exit code 2. */
export class UsageError extends HmrRunError {
  override name = "UsageError";
  constructor(message: string) {
    super("usage", message);
  }
}

/**
 * Where an error points in the user's code. Without a line: the module that was loading
 * when a value that says nothing about where it came from was thrown (a Proxy whose
 * every read throws, a string), named rather than left out.
 */
export interface Location {
  file: string;
  line?: number;
  column?: number;
}

/** A reload failure, ready to print or to send to a browser overlay. */
export interface ErrorReport {
  message: string;
  location?: Location;
  frame?: string;
}

/**
 * Finds the first location in the user's code: Bun's build errors carry one, runtime
 * errors have a stack. A location outside the user's files is never returned, so a
 * thrown `{ position: { file: "/etc/passwd" } }` shows no frame of that file.
 */
export function locate(err: unknown, isUserFile: (file: string) => boolean): Location | undefined {
  const position = field(err, "position");
  const file = field(position, "file");
  if (typeof file === "string" && file && isUserFile(file)) {
    const line = Number(field(position, "line"));
    const column = Number(field(position, "column") ?? 0);
    if (line > 0) return { file, line, column: (Number.isFinite(column) ? column : 0) + 1 };
  }
  const errors = field(err, "errors");
  if (Array.isArray(errors) && errors[0] && errors[0] !== err) return locate(errors[0], isUserFile);
  const raw = field(err, "stack");
  const stack = typeof raw === "string" ? raw : "";
  for (const m of stack.matchAll(/(?:\(|at )((?:\/|file:\/\/)[^():]+):(\d+)(?::(\d+))?/g)) {
    const f = m[1]!.startsWith("file://") ? Bun.fileURLToPath(m[1]!) : m[1]!;
    if (isUserFile(f)) return { file: f, line: Number(m[2]), column: Number(m[3] ?? 1) };
  }
  return undefined;
}

/** A property of a thrown value, which may be a Proxy or have a getter that throws. */
function field(x: unknown, key: string): unknown {
  if (x === null || (typeof x !== "object" && typeof x !== "function")) return undefined;
  try {
    return (x as Record<string, unknown>)[key];
  } catch {
    return undefined; // Unreadable: as if absent.
  }
}

/** `String(x)` that cannot throw. */
function text(x: unknown, depth = 0): string {
  try {
    return String(x);
  } catch (err) {
    // Bun.inspect shows a Proxy's target (`{}`), which says nothing: say what it is instead.
    if (isProxy(x)) return `a Proxy that throws when read${depth < 2 ? ` (${text(field(err, "message") ?? err, depth + 1)})` : ""}`;
    try {
      return Bun.inspect(x); // A thrown Object.create(null) has no toString.
    } catch {
      return "(a value that cannot be printed)";
    }
  }
}

function isProxy(x: unknown): boolean {
  try {
    return types.isProxy(x);
  } catch {
    return false; // Never seen: a check of the value itself, no trap runs.
  }
}

/** A few lines of `file` around `line`, with a caret under `column`. */
export function codeFrame(loc: Location, before = 2, after = 1): string | undefined {
  if (loc.line === undefined) return undefined;
  const column = loc.column ?? 1;
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
    if (n === loc.line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

/** The message of anything thrown, prefixed with its kind when that helps; never throws. */
export function messageOf(err: unknown): string {
  const errors = field(err, "errors");
  if (Array.isArray(errors) && errors.length && !has(errors, err)) return errors.map(messageOf).join("\n");
  if (err && typeof err === "object") {
    let hasMessage = false;
    try {
      hasMessage = "message" in err;
    } catch {
      hasMessage = false; // A Proxy whose `has` trap throws.
    }
    if (hasMessage) {
      const rawName = field(err, "name");
      const name = typeof rawName === "string" ? rawName : "";
      const message = text(field(err, "message"));
      const plain = !name || name === "Error" || name === "BuildMessage" || name === "ResolveMessage";
      return (plain || message.startsWith(name) ? "" : `${name}: `) + message;
    }
  }
  return text(err);
}

/**
 * Everything about one failure, with file paths relative to `cwd` for printing.
 * `loading`: the module that was loading when it was thrown, the location when the
 * value itself gives none (a Proxy, a string, an error thrown from a dependency's code).
 */
export function report(err: unknown, isUserFile: (file: string) => boolean, loading?: string): ErrorReport {
  let location: Location | undefined;
  let message: string;
  // Each read is guarded already; this is for what no guard foresaw (an `errors` array
  // whose elements throw): a report always comes out, plain strings only.
  try {
    location = locate(err, isUserFile);
  } catch {
    location = undefined;
  }
  try {
    message = messageOf(err);
  } catch {
    message = "a thrown value that cannot be read";
  }
  if (!location && loading && isUserFile(loading)) location = { file: loading };
  return { message, location, frame: location && codeFrame(location) };
}

/** `file:line:column` (or the file alone when no line is known), relative to `cwd`. */
export function where(loc: Location, cwd = process.cwd()): string {
  if (loc.line === undefined) return shown(loc.file, cwd);
  return `${shown(loc.file, cwd)}:${loc.line}:${loc.column ?? 1}`;
}

/** Bun's parse errors name a pretend file (`input.ts`); point them at the real one. */
export function atFile(err: unknown, file: string): Error {
  const errors = field(err, "errors");
  const first = (Array.isArray(errors) && errors[0]) || err;
  const out = new SyntaxError(messageOf(first)) as SyntaxError & { position?: unknown };
  const position = field(first, "position");
  if (position && typeof position === "object") out.position = { ...position, file };
  return out;
}

/**
 * Thrown while Bun parsed or resolved modules (a `BuildMessage`, a `ResolveMessage`, or
 * several): no module's top level ran. Never throws.
 */
export function beforeRunning(err: unknown): boolean {
  const errors = field(err, "errors");
  if (Array.isArray(errors) && errors.length && !has(errors, err)) return errors.every(beforeRunning);
  const name = field(err, "name");
  return name === "BuildMessage" || name === "ResolveMessage";
}
