/**
 * Bun's own runtime flags, for the app process. `hmr-run main.ts --smol --preload ./pre.ts`
 * runs the app as `bun --smol --preload ./pre.ts main.ts` would, and so does
 * `bun --smol hmr-run main.ts`: those flags reach hmr-run's process as `process.execArgv`
 * and are handed on. The list is Bun 1.4.5's `bun --help`.
 */

/** Flags that take a value (`--name=value` or `--name value`). */
const VALUE = new Set([
  "preload", "require", "import", "conditions", "define", "drop", "feature", "loader", "tsconfig-override",
  "console-depth", "unhandled-rejections", "user-agent", "main-fields", "extension-order", "jsx-factory",
  "jsx-fragment", "jsx-import-source", "jsx-runtime", "install", "fetch-preconnect", "max-http-header-size",
  "dns-result-order", "redirect-warnings", "disable-warning", "title", "config", "cpu-prof-name", "cpu-prof-dir",
  "cpu-prof-interval", "heap-prof-name", "heap-prof-dir", "heap-prof-interval",
]);

/** Flags that take no value. */
const BOOLEAN = new Set([
  "smol", "expose-gc", "no-install", "prefer-offline", "prefer-latest", "experimental-http2-fetch",
  "experimental-http3-fetch", "insecure-http-parser", "experimental-stream-iter", "no-deprecation",
  "throw-deprecation", "no-warnings", "trace-warnings", "trace-deprecation", "pending-deprecation",
  "zero-fill-buffers", "use-system-ca", "use-openssl-ca", "use-bundled-ca", "tls-min-v1.0", "tls-min-v1.1",
  "tls-min-v1.2", "tls-min-v1.3", "tls-max-v1.2", "tls-max-v1.3", "redis-preconnect", "sql-preconnect",
  "no-addons", "no-ffi-cc", "preserve-symlinks", "preserve-symlinks-main", "jsx-side-effects",
  "ignore-dce-annotations", "no-macros", "cpu-prof", "cpu-prof-md", "heap-prof", "heap-prof-md", "no-orphans",
]);

/** Bun's one-letter flags, by the long name they stand for (`-i` is `--install=fallback`). */
const SHORT: Record<string, string> = { r: "preload", d: "define", l: "loader", c: "config" };

/** Bun flags that mean nothing for the app process, and why: one line each. */
const NOT_FOR_THE_APP: Record<string, string> = {
  hot: "hmr-run reloads the app by itself",
  watch: "hmr-run reloads the app by itself",
  "no-clear-screen": "hmr-run clears nothing unless --clear is given",
  eval: "hmr-run runs an entry file",
  print: "hmr-run runs an entry file",
  interactive: "hmr-run runs an entry file",
  cwd: "run hmr-run from that folder instead",
  "no-env-file": "hmr-run loads the env files itself (see --env-file)",
};

/** The flags of the inspector, whose value is optional (`--inspect`, `--inspect=9229`). */
export const INSPECT_FLAGS = ["inspect", "inspect-wait", "inspect-brk"] as const;
export type InspectFlag = (typeof INSPECT_FLAGS)[number];

/** What one argument turned out to be. */
export type Taken =
  /** A Bun flag for the app, normalized to `--name` or `--name=value`; `next` is the index after it. */
  | { kind: "bun"; arg: string; next: number }
  | { kind: "inspect"; flag: InspectFlag; value?: string; next: number }
  /** A Bun flag that makes no sense for the app process, with why. */
  | { kind: "refused"; flag: string; why: string }
  /** A value flag given without its value. */
  | { kind: "missing"; flag: string };

/** Reads `argv[i]` as one of Bun's runtime flags, or undefined when it is not one. */
export function takeBunFlag(argv: string[], i: number): Taken | undefined {
  const a = argv[i]!;
  if (a === "-i") return { kind: "bun", arg: "-i", next: i + 1 };
  const short = /^-([rdlc])(?:=(.*))?$/.exec(a);
  const eq = a.indexOf("=");
  const name = short ? SHORT[short[1]!]! : a.startsWith("--") ? a.slice(2, eq >= 0 ? eq : undefined) : undefined;
  if (!name) return undefined;
  const inline = short ? short[2] : eq >= 0 ? a.slice(eq + 1) : undefined;
  if ((INSPECT_FLAGS as readonly string[]).includes(name)) return { kind: "inspect", flag: name as InspectFlag, value: inline, next: i + 1 };
  if (name in NOT_FOR_THE_APP) return { kind: "refused", flag: `--${name}`, why: NOT_FOR_THE_APP[name]! };
  if (BOOLEAN.has(name)) return inline === undefined ? { kind: "bun", arg: `--${name}`, next: i + 1 } : undefined;
  if (!VALUE.has(name)) return undefined;
  if (inline !== undefined) return { kind: "bun", arg: `--${name}=${inline}`, next: i + 1 };
  const value = argv[i + 1];
  if (value === undefined) return { kind: "missing", flag: `--${name}` };
  return { kind: "bun", arg: `--${name}=${value}`, next: i + 2 };
}

/** The flags `--help` lists as passed to the app process. */
export function bunFlagsHelp(): string {
  const value = [...VALUE].filter((f) => !["require", "import"].includes(f)).map((f) => `--${f} <value>`);
  return [...INSPECT_FLAGS.map((f) => `--${f}[=[host:]port[/path]]`), "--smol", "--expose-gc", "-r/--preload <module>", ...value.filter((f) => !f.startsWith("--preload")), ...[...BOOLEAN].filter((f) => f !== "smol" && f !== "expose-gc").map((f) => `--${f}`)].join(", ");
}
