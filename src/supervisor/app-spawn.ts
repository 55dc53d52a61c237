/**
 * Starts an app process (src/dev.ts). The first one is started by src/cli.ts before the
 * rest of hmr-run loads: the two Bun processes then boot side by side on two cores, and
 * the app process is ready for its "start" message about when the supervisor sends it.
 * An app process loads nothing of the app before that message, and exits if hmr-run
 * exits first (bad usage, a missing entry), so starting it early changes nothing else.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { FromApp } from "./protocol.ts";
import { shellEnv } from "../env/shell.ts";
import { inspectArg, type Inspect } from "../inspect.ts";

/** What an app process is started with, before its options arrive: where, and Bun's own flags. */
export interface SpawnPlace {
  cwd: string;
  /** Flags for `bun` itself (`--smol`, `--inspect=...`, `--preload x`), in order. */
  bunArgs: string[];
}

const APP_MAIN = join(import.meta.dir, "..", "dev.ts");

export type Stdin = "inherit" | "ignore";

/** A started app process whose messages and exit go where `attach` says. */
export interface AppChild {
  readonly proc: Subprocess;
  readonly stdin: Stdin;
  readonly place: SpawnPlace;
  /** `performance.now()` when it was spawned. */
  readonly spawnedAt: number;
  /** Sets where its messages and its exit go; anything that came before is delivered now. */
  attach(onMessage: (m: FromApp) => void, onExit: (code: number | null, signal: string | null) => void): void;
}

/** Spawns `bun --no-env-file [bun flags] src/dev.ts` from the shell's environment. */
export function spawnApp(stdin: Stdin, place: SpawnPlace): AppChild {
  let onMessage: ((m: FromApp) => void) | undefined;
  let onExit: ((code: number | null, signal: string | null) => void) | undefined;
  const early: FromApp[] = [];
  let exit: [number | null, string | null] | undefined;
  const spawnedAt = performance.now();
  // The app process loads the env files itself (src/env/), from the shell's environment:
  // Bun loaded them into this process already, where an edit could not be undone.
  const proc = Bun.spawn([process.execPath, "--no-env-file", ...place.bunArgs, APP_MAIN], {
    cwd: place.cwd,
    // A session of its own: Ctrl+C in a terminal reaches hmr-run alone, which hands the
    // app exactly one signal, as `bun main.ts` would get (not one from the terminal and
    // one from hmr-run). It still dies with hmr-run (src/child/die-with-parent.ts).
    detached: true,
    stdio: [stdin, "inherit", "inherit"],
    env: shellEnv(place.cwd),
    ipc: (m: FromApp) => (onMessage ? onMessage(m) : early.push(m)),
    onExit: (_p, code, signal) => {
      if (onExit) onExit(code, signal as string | null);
      else exit = [code, signal as string | null];
    },
  });
  return {
    proc,
    stdin,
    place,
    spawnedAt,
    attach(message, exited) {
      onMessage = message;
      onExit = exited;
      for (const m of early.splice(0)) message(m);
      if (exit) exited(...exit);
    },
  };
}

let first: AppChild | undefined;

/** Where and with which Bun flags an app process of this run starts; `first`: the run's first start (the debugger may wait for it). */
export function placeOf(o: { cwd: string; bunArgs: string[]; inspect?: Inspect }, first: boolean): SpawnPlace {
  return { cwd: o.cwd, bunArgs: o.inspect ? [...o.bunArgs, inspectArg(o.inspect, first)] : o.bunArgs };
}

/** Starts the first app process now, for the supervisor to take with `takeEarlyApp`. */
export function spawnEarlyApp(stdin: Stdin, place: SpawnPlace): void {
  first = spawnApp(stdin, place);
}

/** The app process started early, if it was started with this stdin, folder and flags; only once. */
export function takeEarlyApp(stdin: Stdin, place: SpawnPlace): AppChild | undefined {
  const child = first;
  first = undefined;
  if (!child) return undefined;
  if (child.stdin === stdin && child.place.cwd === place.cwd && child.place.bunArgs.join("\0") === place.bunArgs.join("\0")) return child;
  child.proc.kill();
  return undefined;
}
