/**
 * The watch loop of `hmr-run test`: batches of saved files come in, the test graph
 * says which test files they reach, and one `bun test` subprocess runs exactly those.
 * Runs never overlap: saves made during a run wait for the next one.
 */
import { ReloadQueue, type Batch } from "../reload/queue.ts";
import { relative } from "node:path";
import type { ConsolaInstance } from "consola";
import type { Subprocess } from "bun";
import { logError } from "../log.ts";
import type { TestArgs } from "./args.ts";
import type { Project } from "./project.ts";
import type { Reach, TestGraph } from "./test-graph.ts";

/** One finished `bun test` run. */
export interface RunOutcome {
  /** The test files passed to `bun test`, or "all" for a full run. */
  files: string[] | "all";
  exitCode: number;
  ms: number;
}

export interface RunnerOptions {
  args: TestArgs;
  project: Project;
  graph: TestGraph;
  log: ConsolaInstance;
  isUserFile: (path: string) => boolean;
  /** Called before each run (--clear). */
  beforeRun?: () => void;
  /** Called after each run. */
  onRun?: (outcome: RunOutcome) => void;
}

/** How many chains are printed before "… and N more". */
const SHOWN = 20;

export class TestRunner {
  private wantAll: string | undefined;
  private readonly queue: ReloadQueue;
  /** Runs alongside the next test run (the first builds the graph meanwhile). */
  private meanwhile: (() => void) | undefined;
  private child: Subprocess | undefined;
  private stopped = false;

  constructor(private o: RunnerOptions) {
    this.queue = new ReloadQueue(
      (batch) => this.apply(batch),
      (err) => o.log.error(`hmr-run test failed while running: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private rel = (p: string) => relative(this.o.args.cwd, p) || ".";

  /** Runs the whole suite once; the graph is built while it runs. */
  start(): Promise<void> {
    this.meanwhile = () => this.o.graph.build();
    return this.queue.add([], true, "first run");
  }

  /** Queues saved files; a run starts when none is in progress. */
  changed(files: Iterable<string>): Promise<void> {
    const list = [...files];
    if (this.queue.busy) this.o.log.debug(`queued until the current run ends: ${list.map(this.rel).join(", ")}`);
    return this.queue.add(list);
  }

  /** Queues a run of every test file (the `a` key). */
  runAll(why: string): Promise<void> {
    return this.queue.add([], true, why);
  }

  /** Stops the current run, if any; nothing runs afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.stop();
    this.child?.kill("SIGTERM");
    await this.queue.idle();
  }

  /** One batch of the queue: what it runs, then the run. */
  private async apply(batch: Batch): Promise<void> {
    if (this.stopped) return;
    if (batch.force) this.wantAll = batch.full ?? "every test file asked for";
    const files = this.plan(batch.files);
    const meanwhile = this.meanwhile;
    this.meanwhile = undefined;
    if (files) await this.run(files, meanwhile);
    this.o.graph.prune();
  }

  /** Decides what a batch runs: "all", some test files, or nothing (undefined). Says why. */
  private plan(batch: Set<string>): string[] | "all" | undefined {
    const { project, graph, log } = this.o;
    const config = [...batch].filter((f) => project.configFiles.has(f));
    if (config.length) {
      try {
        project.reload();
      } catch (err) {
        log.error((err as Error).message);
        return undefined;
      }
      graph.build();
      this.wantAll = `${config.map(this.rel).join(", ")} changed`;
    }
    if (this.wantAll) {
      const why = this.wantAll;
      this.wantAll = undefined;
      // Saves that came with the request still update the graph, or their new imports would be missed later.
      if (!config.length && batch.size) graph.update(batch);
      if (why !== "first run") this.header(`${why}: running every test file`);
      return "all";
    }
    const update = graph.update(batch);
    for (const f of update.removed) log.info(`${this.rel(f)} was deleted`);
    if (update.unrelated.length) {
      log.info(`${update.unrelated.map(this.rel).join(", ")} changed: no test file imports ${them(update.unrelated)}; nothing to run`);
    }
    if (update.changed.length === 0) return undefined;
    const changedNames = update.changed.map((f) => this.rel(f) + (update.deleted.includes(f) ? " (deleted)" : "")).join(", ");
    const { tests, preloads } = graph.reach(update.changed);
    if (preloads.size) {
      const [pre, chain] = [...preloads][0]!;
      const via = chain.length > 1 ? ` (${this.chainText(chain)})` : "";
      this.header(`${changedNames} changed and preload ${this.rel(pre)} depends on it${via}: running every test file`);
      return "all";
    }
    for (const f of update.changed) {
      const err = graph.broken.get(f);
      if (err) logError(log, `${this.rel(f)} does not parse; its tests wait for a fix`, err, this.o.isUserFile);
    }
    const blocked = graph.broken.size ? graph.reach(graph.broken.keys()).tests : new Map();
    const runnable: Reach = new Map([...tests].filter(([t]) => !blocked.has(t)));
    const held = [...tests.keys()].filter((t) => blocked.has(t));
    if (runnable.size === 0) {
      if (held.length) {
        const which = [...graph.broken.keys()].map(this.rel).join(", ");
        log.info(`${changedNames} changed: its ${held.length} test file${s(held.length)} ${held.length === 1 ? "waits" : "wait"} for a fix to ${which}; nothing to run`);
      } else {
        log.info(`${changedNames} changed: no test file imports ${them(update.changed)}; nothing to run`);
      }
      return undefined;
    }
    this.printChoice(changedNames, runnable, update.added, held.length);
    return [...runnable.keys()];
  }

  private printChoice(changedNames: string, chosen: Reach, added: string[], held: number): void {
    const n = chosen.size;
    const total = this.o.graph.tests.size;
    const wait = held ? ` (${held} more wait for a syntax fix)` : "";
    const lines = [...chosen.values()].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)).map((chain) =>
      chain.length === 1 ? `  ${this.rel(chain[0]!)} (${added.includes(chain[0]!) ? "new" : "changed"})` : `  ${this.chainText(chain)}`,
    );
    const shown = this.o.log.level >= 4 ? lines : lines.slice(0, SHOWN);
    const more = lines.length > shown.length ? `\n  … and ${lines.length - shown.length} more (--log-level debug lists all)` : "";
    this.header(`${changedNames} changed → running ${n} of ${total} test file${s(total)}${wait}:\n${shown.join("\n")}${more}`);
  }

  /** `test/a.test.ts → src/feature.ts → src/util.ts`: the test imports the next, down to the change. */
  private chainText(chain: string[]): string {
    return chain.map(this.rel).join(" → ");
  }

  private header(text: string): void {
    this.o.beforeRun?.();
    this.o.log.info(text);
  }

  private async run(files: string[] | "all", meanwhile?: () => void): Promise<void> {
    const { args, log } = this.o;
    const started = performance.now();
    const argv = files === "all" ? args.bunArgs : [...args.bunFlags, ...files];
    this.child = Bun.spawn([process.execPath, "test", ...argv], {
      cwd: args.cwd,
      stdio: ["ignore", "inherit", "inherit"],
      env: process.env,
    });
    meanwhile?.();
    const exitCode = await this.child.exited;
    this.child = undefined;
    const ms = performance.now() - started;
    if (this.stopped) return;
    const count = files === "all" ? "all test files" : `${files.length} test file${s(files.length)}`;
    const took = `${count}, ${(ms / 1000).toFixed(2)} s`;
    if (exitCode === 0) log.success(`tests passed (${took})`);
    else log.fail(`tests failed (exit code ${exitCode}; ${took})`);
    this.o.onRun?.({ files, exitCode, ms });
  }
}

const s = (n: number) => (n === 1 ? "" : "s");
const them = (files: string[]) => (files.length === 1 ? "it" : "them");
