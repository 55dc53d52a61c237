/**
 * `hmr-run test`: the process around the test runner. Reads the arguments, starts the
 * watcher before the first run (so no save is lost), handles keys and signals.
 * Data flows one way: watcher → runner → test graph → `bun test` subprocess.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger } from "../log.ts";
import { inScope, type Scope } from "../loader/scope.ts";
import { Watcher } from "../watcher.ts";
import { Batches } from "../watch/batches.ts";
import { UsageError } from "../options.ts";
import { parseTestArgs, TEST_USAGE, type TestArgs } from "./args.ts";
import { Project } from "./project.ts";
import { TestGraph } from "./test-graph.ts";
import { TestRunner } from "./runner.ts";
import { listenKeys } from "../keys.ts";
import { shown } from "../paths.ts";

/** Runs `hmr-run test ...argv` until `q` or a signal. */
export async function runTestCommand(argv: string[]): Promise<void> {
  const args = parseTestArgs(argv);
  if (args.help) {
    console.log(TEST_USAGE);
    return;
  }
  const log = createLogger(args.logLevel);
  let project: Project;
  try {
    project = new Project(args);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const scope = testScope(args);
  const isUserFile = (p: string) => inScope(p, scope);
  const graph = new TestGraph(project, isUserFile);
  const runner = new TestRunner({
    args,
    project,
    graph,
    log,
    isUserFile,
    beforeRun: args.clear ? () => process.stderr.write("\x1B[2J\x1B[3J\x1B[H") : undefined,
  });
  const outside = [...project.configFiles].filter((f) => !isUserFile(f));
  const batches = new Batches((files) => void runner.changed(files));
  const watcher = new Watcher(scope, (path) => batches.add(path), { extra: outside, log });
  watcher.start();

  let quitting = false;
  const quit = async (code: number) => {
    if (quitting) process.exit(code);
    quitting = true;
    watcher.close();
    batches.close();
    await runner.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void quit(130));
  process.on("SIGTERM", () => void quit(0));
  listenKeys(
    { a: () => void runner.runAll("a pressed"), q: () => void quit(0) },
    () => log.info("keys: a + Enter runs every test file, q + Enter quits"),
  );

  await runner.start();
  log.info(`watching ${scope.include.map((p) => shown(p, args.cwd)).join(", ")} for changes: a + Enter runs every test file, q + Enter quits`);
}

/**
 * The watched paths. Unlike the dev server's scope, hmr-run's own sources are not
 * excluded: its own tests are a project like any other.
 */
function testScope(args: TestArgs): Scope {
  const real = (p: string) => {
    const abs = resolve(args.cwd, p);
    try {
      return realpathSync(abs);
    } catch {
      return abs; // Not there yet: watch the path as given.
    }
  };
  return {
    include: (args.include.length ? args.include : ["."]).map(real),
    exclude: args.exclude.map(real),
  };
}

