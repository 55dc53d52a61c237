/**
 * hmr-run's own arguments, read before anything else loads: what the thin entry
 * (src/cli.ts) needs to start the app process early, with the Bun flags it will run with.
 */
import { takeBunFlag } from "./bun-flags.ts";
import { inspectArg, parseInspect, type Inspect } from "./inspect.ts";

/** hmr-run's own arguments: those before `--` (the rest are the app's). */
export function ownArgs(argv: string[]): string[] {
  return argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
}

/** hmr-run's flags that take a value, so that the value is not taken for anything else. */
export const VALUE_FLAGS = ["host", "port", "unix", "log-level", "log-format", "env-file", "reload-include", "reload-exclude", "poll-interval", "tls-cert", "tls-key"];

/**
 * The Bun flags the first app process starts with, read roughly: the command's own
 * parse (src/command.ts) is the one that counts, and an early process started with
 * other flags is replaced (src/supervisor/app-spawn.ts).
 */
export function earlyBunArgs(argv: string[], execArgv: string[]): string[] {
  const own = ownArgs(argv);
  const out = forwardedExecArgv(execArgv).bunArgs;
  let inspect: Inspect | undefined;
  for (let i = 0; i < own.length; ) {
    const a = own[i]!;
    const t = a.startsWith("-") ? takeBunFlag(own, i) : undefined;
    if (t?.kind === "bun") out.push(t.arg);
    else if (t?.kind === "inspect") {
      try {
        inspect = parseInspect(t.flag, t.value);
      } catch {
        return out; // Bad input: the command says so, and the early process goes.
      }
    }
    if (t && "next" in t) i = t.next;
    else i += VALUE_FLAGS.includes(a.replace(/^--/, "")) ? 2 : 1;
  }
  return inspect ? [...out, inspectArg(inspect, true)] : out;
}

/** What `bun <flags> hmr-run` gave hmr-run's own process, sorted out. */
export interface ExecArgv {
  /** Handed on to the app process. */
  bunArgs: string[];
  /** An inspector flag: it opened the debugger in hmr-run's process, which runs none of the app's code. */
  inspect?: string;
  /** Preloads Bun ran in hmr-run's own process (they run in the app's too). */
  preloads: string[];
  /** Flags of Bun's that apply to hmr-run's process only (--hot, --watch). */
  ignored: string[];
}

/** Sorts out `process.execArgv`: `bun --smol hmr-run main.ts` runs the app with `--smol`. */
export function forwardedExecArgv(execArgv: string[]): ExecArgv {
  const out: ExecArgv = { bunArgs: [], preloads: [], ignored: [] };
  for (let i = 0; i < execArgv.length; ) {
    const t = takeBunFlag(execArgv, i);
    if (!t) {
      out.ignored.push(execArgv[i]!);
      i++;
      continue;
    }
    if (t.kind === "bun") {
      out.bunArgs.push(t.arg);
      if (/^--(?:preload|require|import)=/.test(t.arg)) out.preloads.push(t.arg.slice(t.arg.indexOf("=") + 1));
    } else if (t.kind === "inspect") out.inspect = execArgv[i];
    else if (t.kind === "refused") out.ignored.push(t.flag);
    if ("next" in t) i = t.next;
    else i++;
  }
  return out;
}
