/**
 * Start-up and memory once serving: time from spawning the process to the first HTTP
 * response, and memory a second later (after Bun.gc(true) in the app, summed over every
 * process of the runner: a supervisor and its app count together), as RSS and as PSS,
 * which counts the pages both processes share (Bun's executable) once; hmr-run
 * against plain `bun main.ts` (and `bun --hot` for reference). Runs alternate between
 * runners; the first round only warms the file cache.
 *
 *   bun bench/startup.ts [--modules 1000,3000] [--rounds 7] [--runners bun,hmr-run,hot] [--settle 1000]
 */
import { generateApp } from "./app/generate.ts";
import { Runner, type RunnerKind } from "./lib/runner.ts";
import { flag, fmt, machine, median, numbers, percentile, table } from "./lib/stats.ts";

const sizes = numbers("modules", [1000, 3000]);
const rounds = Number(flag("rounds", "7"));
/** Time from the first response to the RSS reading: hmr-run indexes the graph in the background meanwhile. */
const settleMs = Number(flag("settle", "1000"));
const RUNNERS: Record<string, RunnerKind> = { bun: "bun", "hmr-run": "hmr-run", hot: "bun --hot" };
const kinds = flag("runners", "bun,hmr-run,hot")
  .split(",")
  .map((r) => RUNNERS[r.trim()] ?? fail(`unknown runner ${r}; use ${Object.keys(RUNNERS).join(", ")}`));

/** `a / b` with two decimals: the targets are 1.25x and 1.5x. */
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : "n/a");

function fail(msg: string): never {
  console.error(`bench/startup: ${msg}`);
  process.exit(2);
}

interface Sample {
  ms: number;
  rssMb: number;
  pssMb: number;
  anonMb: number;
  processes: number;
}

const started = performance.now();
const results = new Map<number, Map<RunnerKind, Sample[]>>();
for (const modules of sizes) {
  const app = generateApp({ modules });
  process.stderr.write(`${modules} modules: ${app.dir}\n`);
  const samples = new Map<RunnerKind, Sample[]>(kinds.map((k) => [k, []]));
  results.set(modules, samples);
  try {
    for (let i = 0; i <= rounds; i++) {
      for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
        const run = new Runner(kind, app.dir);
        try {
          const ms = await run.ready();
          await Bun.sleep(settleMs);
          const { rssMb, pssMb, anonMb, processes } = await run.memory();
          if (i > 0) samples.get(kind)!.push({ ms, rssMb, pssMb, anonMb, processes });
          process.stderr.write(`  ${i === 0 ? "warm-up" : `round ${i}`} ${kind}: ${fmt(ms)} ms, RSS ${fmt(rssMb)} MB, PSS ${fmt(pssMb)} MB (${fmt(anonMb)} MB anonymous) in ${processes} process(es)\n`);
        } finally {
          await run.stop();
        }
      }
    }
  } finally {
    app.cleanup();
  }
}

console.log(`\n### Start-up and memory once serving (${machine()})\n`);
console.log(
  `\`${["bun bench/startup.ts", ...process.argv.slice(2)].join(" ")}\`: spawn to first response, then RSS ${settleMs} ms later ` +
    `after Bun.gc(true) in the app, summed over the runner's processes; ${rounds} alternating rounds, medians\n`,
);
const rows: string[][] = [];
const checks: string[] = [];
for (const [modules, samples] of results) {
  const ms = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.ms));
  const rss = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.rssMb));
  const anon = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.anonMb));
  const pss = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.pssMb));
  for (const k of kinds) {
    const s = samples.get(k)!;
    const t = s.map((x) => x.ms);
    rows.push([
      String(modules),
      k === "bun" ? "bun main.ts" : k,
      fmt(ms(k)),
      fmt(Math.min(...t)),
      fmt(percentile(t, 90)),
      samples.has("bun") ? ratio(ms(k), ms("bun")) : "n/a",
      `${fmt(rss(k))} (${Math.max(...s.map((x) => x.processes))})`,
      samples.has("bun") ? ratio(rss(k), rss("bun")) : "n/a",
      fmt(pss(k)),
      samples.has("bun") ? ratio(pss(k), pss("bun")) : "n/a",
      fmt(anon(k)),
    ]);
  }
  if (samples.has("hmr-run") && samples.has("bun")) {
    checks.push(`${modules} modules: hmr-run start-up / plain bun ${(ms("hmr-run") / ms("bun")).toFixed(2)}x (target <= 1.25x at 3000), RSS ${(rss("hmr-run") / rss("bun")).toFixed(2)}x, PSS ${(pss("hmr-run") / pss("bun")).toFixed(2)}x (target <= 1.5x at 3000)`);
  }
}
console.log(
  table(["modules", "runner", "p50 ms", "min ms", "p90 ms", "time vs plain bun", "RSS MB (processes)", "RSS vs plain bun", "PSS MB", "PSS vs plain bun", "anonymous MB"], rows),
);
if (checks.length) console.log(`\n${checks.map((c) => `- ${c}`).join("\n")}`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
