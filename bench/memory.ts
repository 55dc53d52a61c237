/**
 * Memory over many reloads: resident set size (after a full GC in the app) after 1,
 * 100 and 500 leaf edits of the 1000-module app, hmr-run against `bun --hot`.
 * Evicted modules must be collectable, so RSS should level off rather than climb.
 *
 *   bun bench/memory.ts [--modules 1000] [--checkpoints 1,100,500] [--runners hmr-run,hot]
 */
import { generateApp } from "./app/generate.ts";
import { pollFor, EDIT_GAP_MS } from "./lib/edits.ts";
import { Runner, type RunnerKind } from "./lib/runner.ts";
import { flag, fmt, machine, numbers, table } from "./lib/stats.ts";

const modules = Number(flag("modules", "1000"));
const checkpoints = numbers("checkpoints", [1, 100, 500]);
const RUNNERS: Record<string, RunnerKind> = { "hmr-run": "hmr-run", hot: "bun --hot" };
const runners = flag("runners", "hmr-run,hot")
  .split(",")
  .map((r) => RUNNERS[r.trim()] ?? fail(`unknown runner ${r}; use ${Object.keys(RUNNERS).join(", ")}`));

function fail(msg: string): never {
  console.error(`bench/memory: ${msg}`);
  process.exit(2);
}

interface Point {
  reloads: number;
  rssMb: number;
  heapMb: number;
}

const started = performance.now();
const app = generateApp({ modules });
process.stderr.write(`${modules} modules: ${app.dir}\n`);
const results = new Map<RunnerKind, Point[]>();
let token = 0;
try {
  for (const kind of runners) {
    const run = new Runner(kind, app.dir);
    const points: Point[] = [];
    try {
      await run.ready();
      const base = await run.memory();
      points.push({ reloads: 0, rssMb: base.rssMb, heapMb: base.heapMb });
      const last = Math.max(...checkpoints);
      for (let i = 1; i <= last; i++) {
        const t0 = performance.now();
        await pollFor(run.url + app.leaf.url, app.editLeaf(`m${++token}`), 30_000);
        // Saves stay at least EDIT_GAP_MS apart, as a person's would.
        const left = EDIT_GAP_MS - (performance.now() - t0);
        if (left > 0) await Bun.sleep(left);
        if (checkpoints.includes(i)) {
          const m = await run.memory();
          points.push({ reloads: i, rssMb: m.rssMb, heapMb: m.heapMb });
          process.stderr.write(`  ${kind} after ${i} reloads: RSS ${fmt(m.rssMb)} MB, heap ${fmt(m.heapMb)} MB\n`);
        }
      }
    } finally {
      await run.stop();
    }
    results.set(kind, points);
  }
} finally {
  app.cleanup();
}

console.log(`\n### Memory over reloads (${machine()})\n`);
console.log(`\`${["bun bench/memory.ts", ...process.argv.slice(2)].join(" ")}\`, ${modules} modules, leaf edits ${EDIT_GAP_MS} ms apart; RSS after Bun.gc(true) in the app\n`);
const first = Math.min(...checkpoints);
const lastCp = Math.max(...checkpoints);
console.log(
  table(
    ["runner", "at start", ...checkpoints.map((c) => `after ${c}`), `growth ${first} → ${lastCp}`, "JS heap after " + lastCp],
    [...results].map(([kind, pts]) => {
      const at = (n: number) => pts.find((p) => p.reloads === n);
      const growth = (at(lastCp)?.rssMb ?? NaN) - (at(first)?.rssMb ?? NaN);
      return [
        kind,
        `${fmt(at(0)?.rssMb ?? NaN)} MB`,
        ...checkpoints.map((c) => `${fmt(at(c)?.rssMb ?? NaN)} MB`),
        `${growth >= 0 ? "+" : ""}${fmt(growth)} MB`,
        `${fmt(at(lastCp)?.heapMb ?? NaN)} MB`,
      ];
    }),
  ),
);
const mine = results.get("hmr-run");
if (mine) {
  const g = (mine.find((p) => p.reloads === lastCp)?.rssMb ?? NaN) - (mine.find((p) => p.reloads === first)?.rssMb ?? NaN);
  console.log(`\n- hmr-run RSS after ${lastCp} reloads vs after ${first}: ${g >= 0 ? "+" : ""}${fmt(g)} MB (target within 20 MB)`);
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
