/**
 * Start-up: time from spawning the process to the first HTTP response of the
 * 1000-module app, hmr-run against plain `bun main.ts` (and `bun --hot` for reference).
 * Runs alternate between runners; the first round only warms the file cache.
 *
 *   bun bench/startup.ts [--modules 1000] [--rounds 7] [--runners bun,hmr-run,hot]
 */
import { generateApp } from "./app/generate.ts";
import { Runner, type RunnerKind } from "./lib/runner.ts";
import { flag, fmt, machine, median, percentile, ratio, table } from "./lib/stats.ts";

const modules = Number(flag("modules", "1000"));
const rounds = Number(flag("rounds", "7"));
const RUNNERS: Record<string, RunnerKind> = { bun: "bun", "hmr-run": "hmr-run", hot: "bun --hot" };
const kinds = flag("runners", "bun,hmr-run,hot")
  .split(",")
  .map((r) => RUNNERS[r.trim()] ?? fail(`unknown runner ${r}; use ${Object.keys(RUNNERS).join(", ")}`));

function fail(msg: string): never {
  console.error(`bench/startup: ${msg}`);
  process.exit(2);
}

const started = performance.now();
const app = generateApp({ modules });
process.stderr.write(`${modules} modules: ${app.dir}\n`);
const samples = new Map<RunnerKind, number[]>(kinds.map((k) => [k, []]));
try {
  for (let i = 0; i <= rounds; i++) {
    for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
      const run = new Runner(kind, app.dir);
      try {
        const ms = await run.ready();
        if (i > 0) samples.get(kind)!.push(ms);
        process.stderr.write(`  ${i === 0 ? "warm-up" : `round ${i}`} ${kind}: ${fmt(ms)} ms\n`);
      } finally {
        await run.stop();
      }
    }
  }
} finally {
  app.cleanup();
}

const p50 = (k: RunnerKind) => median(samples.get(k)!);
console.log(`\n### Start-up (${machine()})\n`);
console.log(`\`${["bun bench/startup.ts", ...process.argv.slice(2)].join(" ")}\`: spawn to first response of the ${modules}-module app, ${rounds} alternating rounds\n`);
console.log(
  table(
    ["runner", "p50 ms", "min ms", "p90 ms", "vs plain bun (p50)"],
    kinds.map((k) => {
      const s = samples.get(k)!;
      return [k === "bun" ? "bun main.ts" : k, fmt(p50(k)), fmt(Math.min(...s)), fmt(percentile(s, 90)), ratio(p50(k), p50("bun"))];
    }),
  ),
);
if (samples.has("hmr-run") && samples.has("bun")) {
  console.log(`\n- hmr-run start-up / plain bun: ${(p50("hmr-run") / p50("bun")).toFixed(2)}x (target <= 1.5x)`);
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
