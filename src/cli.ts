#!/usr/bin/env bun
/**
 * The `hmr-run` command. For the dev server, the app process is started before the rest
 * of hmr-run loads, so that both Bun processes boot side by side (src/supervisor/app-spawn.ts);
 * src/command.ts then reads the arguments and runs the command.
 */
import { spawnEarlyApp } from "./supervisor/app-spawn.ts";
import { keysOn } from "./keys.ts";
import { earlyBunArgs, ownArgs } from "./own-args.ts";

const argv = process.argv.slice(2);
const own = ownArgs(argv);
const info = own.some((a) => a === "--help" || a === "-h" || a === "--version" || a === "-v");
// The same stdin as the supervisor gives every app process: a terminal's is hmr-run's (keys).
if (argv[0] !== "test" && !info) spawnEarlyApp(keysOn() ? "ignore" : "inherit", { cwd: process.cwd(), bunArgs: earlyBunArgs(argv, process.execArgv) });
const { runCli } = await import("./command.ts");
await runCli(argv);
