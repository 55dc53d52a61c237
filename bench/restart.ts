/**
 * Restart: a change to tsconfig.json makes hmr-run restart the app process; the time
 * from the write to the first response of the new process, against plain `bun main.ts`
 * starting the same app (spawn to first response). The difference is what a restart
 * costs on top of the app's own start-up (target: under 300 ms).
 *
 *   bun bench/restart.ts [--modules 50,1000] [--rounds 10]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateApp } from "./app/generate.ts";
import { Runner } from "./lib/runner.ts";
import { flag, fmt, machine, median, numbers, percentile, table } from "./lib/stats.ts";

const sizes = numbers("modules", [50, 1000]);
const rounds = Number(flag("rounds", "10"));

const started = performance.now();
const rows: string[][] = [];
const checks: string[] = [];
for (const modules of sizes) {
  const app = generateApp({ modules });
  process.stderr.write(`${modules} modules: ${app.dir}\n`);
  const tsconfig = join(app.dir, "tsconfig.json");
  writeFileSync(tsconfig, `{ "compilerOptions": {} }\n`);
  const plain: number[] = [];
  const restart: number[] = [];
  const logged: number[] = [];
  try {
    for (let i = 0; i <= rounds; i++) {
      const bun = new Runner("bun", app.dir);
      try {
        const ms = await bun.ready();
        if (i > 0) plain.push(ms);
      } finally {
        await bun.stop();
      }
    }
    const run = new Runner("hmr-run", app.dir);
    try {
      await run.ready();
      for (let i = 0; i <= rounds; i++) {
        // Saves closer than 100 ms to the last batch are a save storm, which settles for 150 ms.
        await Bun.sleep(300);
        const { boot } = await run.runs();
        const from = run.mark();
        const t0 = performance.now();
        writeFileSync(tsconfig, `{ "compilerOptions": {}, "restart": ${i} }\n`);
        const ms = await newProcess(run, boot) - t0;
        const line = await logLine(run, from);
        if (i > 0) {
          restart.push(ms);
          logged.push(line);
        }
        process.stderr.write(`  round ${i}: restart ${fmt(ms)} ms (log: ${fmt(line)} ms)\n`);
      }
    } finally {
      await run.stop();
    }
  } finally {
    app.cleanup();
  }
  const extra = median(restart) - median(plain);
  rows.push([String(modules), fmt(median(plain)), fmt(median(restart)), fmt(percentile(restart, 90)), fmt(median(logged)), fmt(extra)]);
  checks.push(`${modules} modules: a restart serves ${fmt(extra)} ms after plain bun would (target < 300 ms)`);
}

/** Polls until a response comes from another process than `boot`; returns when. */
async function newProcess(run: Runner, boot: string): Promise<number> {
  const end = performance.now() + 30_000;
  while (performance.now() < end) {
    try {
      if ((await run.runs()).boot !== boot) return performance.now();
    } catch {
      await Bun.sleep(1); // Between the old process and the new listener.
    }
  }
  throw new Error(`no restart within 30 s\n${run.out}`);
}

/** The "serving again in N ms" of hmr-run's restart line after `from`. */
async function logLine(run: Runner, from: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const m = /restarted \(.*\): serving again in (\d+) ms/.exec(run.out.slice(from));
    if (m) return Number(m[1]);
    await Bun.sleep(5);
  }
  return NaN;
}

console.log(`\n### Restart (${machine()})\n`);
console.log(`\`${["bun bench/restart.ts", ...process.argv.slice(2)].join(" ")}\`: tsconfig.json edited, to the first response of the new app process; ${rounds} rounds, medians\n`);
console.log(table(["modules", "plain bun start-up ms", "restart ms", "restart p90 ms", "hmr-run's line ms", "restart - start-up ms"], rows));
console.log(`\n${checks.map((c) => `- ${c}`).join("\n")}`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
