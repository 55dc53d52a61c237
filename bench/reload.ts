/**
 * Reload latency: hmr-run against `bun --hot` and `bun --watch` on the same generated
 * apps in the same run. For a leaf edit (one route module), a deep edit (a util at the
 * bottom layer) and a wide edit (the exports of `shared.ts`, which every module imports,
 * change), the time from the file write to the first HTTP response carrying the new
 * code, p50/p90 over the edits, and how many modules ran per edit.
 *
 *   bun bench/reload.ts [--sizes 50,300,1000,3000] [--edits 20] [--startup-sizes 1000]
 *                       [--runners hmr-run,hot,watch] [--kinds leaf,deep,wide]
 */
import { generateApp, type GeneratedApp } from "./app/generate.ts";
import { measureEdit, EDIT_GAP_MS, type EditSample } from "./lib/edits.ts";
import { Runner, type RunnerKind } from "./lib/runner.ts";
import { flag, fmt, machine, median, numbers, percentile, ratio, table } from "./lib/stats.ts";

const STARTUP_MS = 300;
const sizes = numbers("sizes", [50, 300, 1000, 3000]);
const startupSizes = numbers("startup-sizes", [1000]);
const edits = Number(flag("edits", "20"));
const RUNNERS: Record<string, RunnerKind> = { "hmr-run": "hmr-run", hot: "bun --hot", watch: "bun --watch" };
type EditKind = "leaf" | "deep" | "wide";
const KINDS: EditKind[] = ["leaf", "deep", "wide"];
const kinds = flag("kinds", KINDS.join(","))
  .split(",")
  .map((k) => (KINDS.includes(k.trim() as EditKind) ? (k.trim() as EditKind) : fail(`unknown edit kind ${k}; use ${KINDS.join(", ")}`)));
const runners = flag("runners", "hmr-run,hot,watch")
  .split(",")
  .map((r) => RUNNERS[r.trim()] ?? fail(`unknown runner ${r}; use ${Object.keys(RUNNERS).join(", ")}`));

interface Row {
  modules: number;
  startup: boolean;
  edit: EditKind;
  runner: RunnerKind;
  samples: EditSample[];
}

function fail(msg: string): never {
  console.error(`bench/reload: ${msg}`);
  process.exit(2);
}

let token = 0;
async function measure(app: GeneratedApp, kind: RunnerKind, startup: boolean): Promise<Row[]> {
  const run = new Runner(kind, app.dir);
  try {
    await run.ready();
    const rows: Row[] = [];
    for (const edit of kinds) {
      const target = app[edit];
      const editOf = { leaf: app.editLeaf, deep: app.editDeep, wide: app.editWide }[edit];
      const apply = () => editOf(`t${++token}`);
      // One unmeasured edit first: the first save also builds hmr-run's graph.
      await measureEdit(run, target.url, apply);
      const samples: EditSample[] = [];
      for (let i = 0; i < edits; i++) {
        // measureEdit waits EDIT_GAP_MS after each response, so saves stay that far apart.
        samples.push(await measureEdit(run, target.url, apply));
      }
      rows.push({ modules: app.modules, startup, edit, runner: kind, samples });
      process.stderr.write(
        `  ${app.modules}${startup ? "+startup" : ""} ${edit} ${kind}: p50 ${fmt(median(samples.map((s) => s.ms)))} ms, ` +
          `${median(samples.map((s) => s.modules))} modules\n`,
      );
    }
    return rows;
  } finally {
    await run.stop();
  }
}

const rows: Row[] = [];
const plan = [...sizes.map((n) => ({ n, startup: false })), ...startupSizes.map((n) => ({ n, startup: true }))];
const started = performance.now();
for (const { n, startup } of plan) {
  const app = generateApp({ modules: n, startupMs: startup ? STARTUP_MS : undefined });
  process.stderr.write(`${n} modules${startup ? `, ${STARTUP_MS} ms start-up module` : ""}: ${app.dir}\n`);
  try {
    for (const kind of runners) rows.push(...(await measure(app, kind, startup)));
  } finally {
    app.cleanup();
  }
}

const p50 = (r: Row | undefined) => (r ? median(r.samples.map((s) => s.ms)) : NaN);
const find = (n: number, startup: boolean, edit: string, runner: RunnerKind) =>
  rows.find((r) => r.modules === n && r.startup === startup && r.edit === edit && r.runner === runner);

console.log(`\n### Reload latency (${machine()})\n`);
console.log(`\`${["bun bench/reload.ts", ...process.argv.slice(2)].join(" ")}\`, ${edits} edits each, ${EDIT_GAP_MS} ms apart\n`);
console.log(
  table(
    ["app", "edit", "runner", "p50 ms", "p90 ms", "modules run / edit", "p50 vs hmr-run"],
    rows.map((r) => {
      const ms = r.samples.map((s) => s.ms);
      const mine = p50(find(r.modules, r.startup, r.edit, "hmr-run"));
      const logged = r.samples.map((s) => s.logged?.modules).filter((x) => x !== undefined);
      const counted = median(r.samples.map((s) => s.modules));
      // hmr-run's own log line should agree with the app's count; show both if not.
      const mod = logged.length && median(logged as number[]) !== counted ? `${counted} (log: ${median(logged as number[])})` : String(counted);
      return [
        `${r.modules}${r.startup ? ` + ${STARTUP_MS} ms start-up` : ""}`,
        r.edit,
        r.runner,
        fmt(median(ms)),
        fmt(percentile(ms, 90)),
        mod,
        r.runner === "hmr-run" ? "1x" : ratio(median(ms), mine),
      ];
    }),
  ),
);

const mine = rows.filter((r) => r.runner === "hmr-run");
if (mine.length) {
  console.log(`\nhmr-run's own reload time (from its log line, p50), the rest is watcher and HTTP:\n`);
  console.log(
    table(
      ["app", "edit", "end to end p50 ms", "in-process reload p50 ms"],
      mine.map((r) => [
        `${r.modules}${r.startup ? " + start-up" : ""}`,
        r.edit,
        fmt(p50(r)),
        fmt(median(r.samples.map((s) => s.logged?.ms ?? NaN))),
      ]),
    ),
  );
}

const checks: string[] = [];
for (const n of sizes) {
  const wide = find(n, false, "wide", "hmr-run");
  const hot = find(n, false, "wide", "bun --hot");
  if (wide && hot) checks.push(`hmr-run / bun --hot, wide edit at ${n} modules: ${(p50(wide) / p50(hot)).toFixed(2)}x (target <= 0.8x at 1000)`);
}
const at1000 = find(1000, false, "leaf", "hmr-run");
if (at1000) {
  checks.push(`p50 leaf edit at 1000 modules: ${fmt(p50(at1000))} ms (target < 20 ms)`);
  const hot = find(1000, false, "leaf", "bun --hot");
  if (hot) checks.push(`bun --hot / hmr-run, leaf edit at 1000 modules: ${ratio(p50(hot), p50(at1000))} (target >= 10x)`);
}
const withStartup = find(1000, true, "leaf", "hmr-run");
const watchStartup = find(1000, true, "leaf", "bun --watch");
if (withStartup && watchStartup) {
  checks.push(`bun --watch / hmr-run, leaf edit at 1000 modules with the ${STARTUP_MS} ms start-up module: ${ratio(p50(watchStartup), p50(withStartup))} (target >= 20x)`);
}
const small = find(Math.min(...sizes), false, "leaf", "hmr-run");
const big = find(Math.max(...sizes), false, "leaf", "hmr-run");
if (small && big && small !== big) {
  checks.push(`leaf edit, ${big.modules} modules / ${small.modules} modules: ${ratio(p50(big), p50(small))} (target <= 1.5x)`);
}
if (checks.length) console.log(`\n${checks.map((c) => `- ${c}`).join("\n")}`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
