#!/usr/bin/env bun
/**
 * `hmr-run [entry[:export]] [options]`: parses arguments (citty) into one options
 * object and hands it to the dev server. Only this file exits the process on bad input.
 */
import { defineCommand, runCommand, renderUsage, type ArgsDef } from "citty";
import pkg from "../package.json" with { type: "json" };
import { resolveOptions, UsageError, type RawArgs } from "./options.ts";
import { LOG_LEVELS } from "./log.ts";

/** Every flag, with the defaults `--help` shows and the README's table repeats. */
export const args = {
  entry: { type: "positional", required: false, description: "Entry module, optionally with an export: main.ts or main.ts:app (default: package.json module/main, else index.ts)" },
  host: { type: "string", description: "Host to bind (default: localhost)", valueHint: "host" },
  port: { type: "string", description: "Port to bind (default: $PORT, else 3000)", valueHint: "port" },
  unix: { type: "string", description: "Serve on this Unix socket instead of host:port", valueHint: "path" },
  "log-level": { type: "string", description: `hmr-run's own output: ${LOG_LEVELS.join(", ")} (default: info; debug says why each module re-ran)`, valueHint: "level" },
  "env-file": { type: "string", description: "Load a dotenv file before the entry runs; repeatable, later files win; edits reload the app", valueHint: "path" },
  clear: { type: "boolean", description: "Clear the terminal before each reload (default: false)" },
  refresh: { type: "boolean", description: "Reload open browser pages after each reload and show errors in them (default: false)" },
  "reload-include": { type: "string", description: "Watch this path; repeatable (default: the current folder)", valueHint: "path" },
  "reload-exclude": { type: "string", description: "Do not watch this path; repeatable (node_modules and .git never are)", valueHint: "path" },
  "tls-cert": { type: "string", description: "TLS certificate file (PEM), with --tls-key: serve https", valueHint: "path" },
  "tls-key": { type: "string", description: "TLS private key file (PEM)", valueHint: "path" },
} satisfies ArgsDef;

const REPEATABLE = { "env-file": "envFiles", "reload-include": "include", "reload-exclude": "exclude" } as const;
const BOOLEAN = new Set(["clear", "refresh"]);

export const main = defineCommand({
  meta: { name: "hmr-run", version: pkg.version, description: pkg.description },
  args,
  async run({ args: parsed, rawArgs }) {
    const raw = collect(rawArgs, parsed as Record<string, unknown>);
    const options = resolveOptions(raw);
    const { runDev } = await import("./dev.ts");
    await runDev(options);
  },
});

/** Checks flags citty let through, and gathers repeatable ones (citty keeps only the last). */
function collect(rawArgs: string[], parsed: Record<string, unknown>): RawArgs {
  const out: RawArgs = { ...(parsed as object), envFiles: [], include: [], exclude: [] };
  const positionals: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") {
      positionals.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    let name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, "");
    if (name.startsWith("no-") && BOOLEAN.has(name.slice(3))) continue;
    if (!(name in args) || name === "entry") {
      const hint = closest(name);
      throw new UsageError(`unknown option ${a.slice(0, eq >= 0 ? eq : undefined)}${hint ? `; did you mean --${hint}?` : ""} (see hmr-run --help)`);
    }
    if (BOOLEAN.has(name)) continue;
    const value = eq >= 0 ? a.slice(eq + 1) : rawArgs[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`option --${name} needs a value`);
    if (name in REPEATABLE) out[REPEATABLE[name as keyof typeof REPEATABLE]].push(value);
  }
  if (positionals.length > 1) throw new UsageError(`one entry expected, got ${positionals.length}: ${positionals.join(" ")}`);
  out.entry = positionals[0];
  return out;
}

/** The known option nearest to a mistyped one (edit distance at most 3). */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const known of Object.keys(args)) {
    if (known === "entry") continue;
    const d = distance(name, known);
    if (d < bestD) [best, bestD] = [known, d];
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

if (import.meta.main) {
  const argv = process.argv.slice(2);
  try {
    if (argv[0] === "test") {
      const { runTestCommand } = await import("./test-runner/command.ts");
      await runTestCommand(argv.slice(1));
    } else if (argv.includes("--help") || argv.includes("-h")) {
      console.log(await renderUsage(main));
    } else if (argv.includes("--version") || argv.includes("-v")) {
      console.log(pkg.version);
    } else {
      await runCommand(main, { rawArgs: argv });
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`hmr-run: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
