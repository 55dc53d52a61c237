/**
 * `hmr-run [entry[:export]] [options]`: parses arguments into one options object and
 * hands it to the dev server (or to `hmr-run test`). Only this file exits the process on
 * bad input.
 */
import { HmrRunError } from "./errors.ts";
import type { ArgsDef, CommandDef } from "citty";
import pkg from "../package.json" with { type: "json" };
import { resolveOptions, UsageError, type RawArgs } from "./options.ts";
import { LOG_FORMATS, LOG_LEVELS } from "./log.ts";
import { ownArgs } from "./own-args.ts";
import { bunFlagsHelp, takeBunFlag } from "./bun-flags.ts";

/** Every flag, with the defaults `--help` shows and the README's table repeats. */
export const args = {
  entry: { type: "positional", required: false, description: "Entry module, optionally with an export: main.ts or main.ts:app (default: package.json module/main, else index.ts)" },
  host: { type: "string", description: "Host to bind (default: localhost)", valueHint: "host" },
  port: { type: "string", description: "Port to bind, 0 for any free one (default: $BUN_PORT, $PORT or $NODE_PORT, else 3000)", valueHint: "port" },
  unix: { type: "string", description: "Serve on this Unix socket instead of host:port (default: none)", valueHint: "path" },
  "log-level": { type: "string", description: `hmr-run's own output: ${LOG_LEVELS.join(", ")}; debug says why each module re-ran (default: info)`, valueHint: "level" },
  "log-format": { type: "string", description: `hmr-run's own output as ${LOG_FORMATS.join(" or ")}: json is one object per line, see docs/log-format.md (default: text)`, valueHint: "format" },
  "env-file": { type: "string", description: "Load a dotenv file before the entry runs, read as bun --env-file reads it; repeatable, later files win; edits reload the app (default: Bun's own .env files)", valueHint: "path" },
  clear: { type: "boolean", description: "Clear the terminal before each reload (default: false)", negativeDescription: "Do not clear the terminal (the default; undoes an earlier --clear)" },
  refresh: { type: "boolean", description: "Reload open browser pages after each reload and show errors in them (default: false)", negativeDescription: "No browser refresh (the default; undoes an earlier --refresh)" },
  mcp: { type: "boolean", description: "Serve an MCP endpoint for agents at POST /__hmr-run/mcp, loopback only (default: true)", negativeDescription: "No MCP endpoint on the dev server" },
  "reload-include": { type: "string", description: "Watch this path or glob (src/**/*.ts); repeatable (default: the current folder)", valueHint: "path" },
  poll: { type: "boolean", description: "Poll for changes instead of using file events; on by itself on network, VM and WSL mounts (default: false)", negativeDescription: "File events where they arrive (the default; undoes an earlier --poll)" },
  "poll-interval": { type: "string", description: "How often to poll, in ms, whenever polling is on (default: 300)", valueHint: "ms" },
  "reload-exclude": { type: "string", description: "Do not watch this path or glob (**/*.gen.ts); repeatable; node_modules and .git never are (default: none)", valueHint: "path" },
  "tls-cert": { type: "string", description: "TLS certificate file (PEM); with --tls-key, serve https (default: none)", valueHint: "path" },
  "tls-key": { type: "string", description: "TLS private key file (PEM) (default: none)", valueHint: "path" },
  // Answered before citty parses anything (see the bottom of this file); listed for --help.
  help: { type: "boolean", alias: ["h"], description: "Show this help" },
  version: { type: "boolean", alias: ["v"], description: "Print the version" },
} satisfies ArgsDef;

const REPEATABLE = { "env-file": "envFiles", "reload-include": "include", "reload-exclude": "exclude" } as const;
const BOOLEAN = new Set(["clear", "refresh", "mcp", "poll"]);

/** What citty's usage does not list: the subcommand, Bun's flags and the keys. */
const FOOTER = `APP ARGUMENTS

  hmr-run server.ts -- a b    the app's process.argv.slice(2) is ["a", "b"], as under bun server.ts a b

BUN'S FLAGS, FOR THE APP PROCESS

  hmr-run main.ts --smol --preload ./pre.ts runs the app as bun --smol --preload ./pre.ts main.ts
  would, before or after the entry. Given to bun before hmr-run, they reach the app too, but
  --inspect there opens the debugger in hmr-run's own process. Passed to the app:
  ${wrap(bunFlagsHelp(), 96).join("\n  ")}
  --inspect, --inspect-wait and --inspect-brk open Bun's debugger in the app process, at one
  address for the whole run (restarts included); -wait and -brk wait on the first start only.

COMMANDS

  test         hmr-run test [options] [filters]: bun test, re-running on each save only
               the test files it can affect (see hmr-run test --help)

WHILE RUNNING

  r + Enter    Reload the whole app graph, in place
  R + Enter    Restart the app process (as a change to package.json or tsconfig.json does)
  q + Enter    Stop, as Ctrl+C does
  Ctrl+C       Stop: the app gets SIGINT as under bun (its own handler runs, and its exit
               code is hmr-run's; with none, dispose hooks run and hmr-run ends by SIGINT);
               a second Ctrl+C exits at once
`;

/**
 * The command as citty describes it. citty itself is loaded only to render `--help`: this
 * process stays alive as the supervisor, and citty with its dependencies held about 3 MB of RSS
 * there for nothing, since `collect` reads the arguments.
 */
export const main = {
  meta: { name: "hmr-run", version: pkg.version, description: pkg.description },
  args,
  async run({ rawArgs }: { rawArgs: string[] }) {
    const options = resolveOptions(collect(rawArgs));
    if (options.unix) {
      const { claimSocketPath } = await import("./server/unix-socket.ts");
      const problem = await claimSocketPath(options.unix);
      if (problem) throw new UsageError(problem);
    }
    const { runSupervisor } = await import("./supervisor/supervisor.ts");
    await runSupervisor(options);
  },
} satisfies CommandDef<typeof args>;

/**
 * Reads argv in order: citty keeps only the last of a repeated flag and lets
 * `--no-x` win wherever it stands, while here later flags win, as in Bun's own CLI.
 */
export function collect(rawArgs: string[]): RawArgs {
  const out: RawArgs = { envFiles: [], include: [], exclude: [], args: [], bunArgs: [] };
  const positionals: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    // The rest is the app's: `hmr-run server.ts -- stdio` runs as `bun server.ts stdio`.
    if (a === "--") {
      out.args = rawArgs.slice(i + 1);
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = eq >= 0 ? a.slice(0, eq) : a;
    const name = flag.replace(/^--?/, "");
    // Bun's own runtime flags are the app's: `hmr-run main.ts --smol` runs it as `bun --smol main.ts`.
    const bun = name in args ? undefined : takeBunFlag(rawArgs, i);
    if (bun) {
      if (bun.kind === "refused") throw new UsageError(`${bun.flag} is a flag of Bun's that hmr-run does not pass to the app: ${bun.why}`);
      if (bun.kind === "missing") throw new UsageError(`option ${bun.flag} needs a value`);
      if (bun.kind === "bun") (out.bunArgs ??= []).push(bun.arg);
      else out.inspect = { flag: bun.flag, value: bun.value };
      i = bun.next - 1;
      continue;
    }
    if (name.startsWith("no-") && BOOLEAN.has(name.slice(3))) {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
      out[name.slice(3) as "clear" | "refresh" | "mcp" | "poll"] = false;
      continue;
    }
    if (!(name in args) || name === "entry") {
      const hint = closest(name);
      throw new UsageError(`unknown option ${flag}${hint ? `; did you mean --${hint}?` : ""} (see hmr-run --help)`);
    }
    if (BOOLEAN.has(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : "true";
      if (value !== "true" && value !== "false") throw new UsageError(`${flag} is on or off: use ${flag} or --no-${name}`);
      out[name as "clear" | "refresh" | "mcp" | "poll"] = value === "true";
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : rawArgs[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`option --${name} needs a value`);
    if (name in REPEATABLE) out[REPEATABLE[name as keyof typeof REPEATABLE]].push(value);
    else (out as unknown as Record<string, string>)[name] = value;
  }
  if (positionals.length > 1) throw new UsageError(`one entry expected, got ${positionals.length}: ${positionals.join(" ")}`);
  out.entry = positionals[0];
  return out;
}

/** `text` cut at commas into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const part of text.split(", ")) {
    if (line && line.length + part.length + 2 > width) {
      lines.push(line + ",");
      line = part;
    } else line = line ? `${line}, ${part}` : part;
  }
  return line ? [...lines, line] : lines;
}

/** The known option meant by a mistyped one: the only one it begins, else the nearest (edit distance at most 3). */
function closest(name: string): string | undefined {
  const known = Object.keys(args).filter((k) => k !== "entry");
  const prefixed = known.filter((k) => name.length >= 2 && k.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = 4;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The full `--help` text; colours only on a terminal, so piped help reads cleanly. */
export async function helpText(): Promise<string> {
  const { renderUsage } = await import("citty");
  const text = (await renderUsage(main)).trimEnd() + "\n\n" + FOOTER;
  return process.stdout.isTTY ? text : Bun.stripANSI(text);
}

/** Runs the command line `argv` (without `bun` and the script); exits 2 with one line on bad input. */
export async function runCli(argv: string[]): Promise<void> {
  const own = ownArgs(argv);
  try {
    if (argv[0] === "test") {
      const { runTestCommand } = await import("./test-runner/command.ts");
      await runTestCommand(argv.slice(1));
    } else if (own.includes("--help") || own.includes("-h")) {
      console.log(await helpText());
    } else if (own.includes("--version") || own.includes("-v")) {
      console.log(pkg.version);
    } else {
      await main.run({ rawArgs: argv });
    }
  } catch (err) {
    // The one exit path for what hmr-run cannot go on with: one line, exit code 2.
    if (err instanceof HmrRunError) {
      // Programs reading --log-format json get the exit reason as one more JSON line.
      const json = own.some((a, i) => a === "--log-format=json" || (a === "--log-format" && own[i + 1] === "json"));
      console.error(json ? JSON.stringify({ type: "fatal", message: err.message, time: new Date().toISOString() }) : `hmr-run: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
