/**
 * The usual shape of a CLI scenario: write a fixture app, start the real CLI on it,
 * and clean both up after each test.
 */
import { afterEach } from "bun:test";
import { Fixture, Run } from "./fixture.ts";

/** Registers cleanup for this test file and returns `start(files, args?, env?)`. */
export function scenarios() {
  const runs: Run[] = [];
  const fixtures: Fixture[] = [];
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    for (const f of fixtures.splice(0)) f.cleanup();
  });
  /** Writes `files` to a new folder and runs `hmr-run ...args` there. */
  function start(files: Record<string, string>, args: string[] = ["main.ts"], env?: Record<string, string>) {
    const fx = new Fixture(files);
    fixtures.push(fx);
    const run = new Run(fx, args, { env });
    runs.push(run);
    return { fx, run };
  }
  /** Another run of the CLI on an existing fixture, stopped after the test too. */
  function again(fx: Fixture, args: string[], opts: ConstructorParameters<typeof Run>[2] = {}) {
    const run = new Run(fx, args, opts);
    runs.push(run);
    return run;
  }
  return { start, again };
}

/** Source that counts its module's executions in `globalThis.runs[name]`, to see what re-ran. */
export const counter = (name: string) =>
  `((globalThis as any).runs ??= {})["${name}"] = ((globalThis as any).runs["${name}"] ?? 0) + 1;\n`;

/** Source expression for all counts, as JSON. */
export const runCounts = `JSON.stringify((globalThis as any).runs)`;

/** The reload lines (succeeded or failed) in a piece of hmr-run's output. */
export const reloadLines = (text: string) => text.split("\n").filter((l) => /re-ran in|reload failed/.test(l));
