/**
 * Restart: a change to tsconfig.json makes hmr-run restart the app process; the time
 * from the write to the first response of the new process, against plain `bun main.ts`
 * starting the same app (spawn to first response). The difference is what a restart
 * costs on top of the app's own start-up (target: under 300 ms). The polling that waits
 * for the new process is a client like any other: it counts the connections refused,
 * reset or answered 503 during the restarts (target: none refused).
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
  const errors: Record<string, number> = {};
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
        const ms = (await newProcess(run, boot, i > 0 ? errors : {})) - t0;
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
  const failed = Object.entries(errors).map(([k, n]) => `${n} ${k}`).join(", ") || "none";
  rows.push([String(modules), fmt(median(plain)), fmt(median(restart)), fmt(percentile(restart, 90)), fmt(median(logged)), fmt(extra), failed]);
  checks.push(`${modules} modules: a restart serves ${fmt(extra)} ms after plain bun would (target < 300 ms)`);
}

/** Polls until a response comes from another process than `boot`; returns when. Failed requests are counted in `errors` by code. */
async function newProcess(run: Runner, boot: string, errors: Record<string, number>): Promise<number> {
  const end = performance.now() + 30_000;
  while (performance.now() < end) {
    try {
      if ((await run.runs()).boot !== boot) return performance.now();
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message.slice(0, 40);
      errors[code] = (errors[code] ?? 0) + 1;
      await Bun.sleep(1);
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
console.log(table(["modules", "plain bun start-up ms", "restart ms", "restart p90 ms", "hmr-run's line ms", "restart - start-up ms", "failed requests while polling"], rows));
console.log(`\n${checks.map((c) => `- ${c}`).join("\n")}`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
