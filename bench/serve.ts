/**
 * Serving overhead: requests per second of a small JSON route under hmr-run against
 * plain `bun main.ts`, same app, same load generator (wrk), same run. Rounds alternate
 * between the two so that a noisy neighbour hurts both alike. Noise only ever lowers
 * throughput, so the best round is the steadiest measure of capacity; the median is shown too,
 * and so is the server's CPU time per request, which a busy neighbour barely moves.
 *
 *   bun bench/serve.ts [--modules 1000] [--rounds 5] [--seconds 5] [--connections 32]
 * Needs wrk (Debian: apt-get install wrk).
 */
import { generateApp } from "./app/generate.ts";
import { Runner, type RunnerKind } from "./lib/runner.ts";
import { readFileSync } from "node:fs";
import { flag, fmt, machine, median, table } from "./lib/stats.ts";

const modules = Number(flag("modules", "1000"));
const rounds = Number(flag("rounds", "5"));
const seconds = Number(flag("seconds", "5"));
const connections = Number(flag("connections", "32"));
const WRK = Bun.which("wrk");
if (!WRK) {
  console.error("bench/serve: wrk not found; install it (Debian: apt-get install wrk)");
  process.exit(2);
}

interface Sample {
  rps: number;
  p50Ms: number;
  errors: number;
  /** Server CPU time per request (µs): steadier than req/s when the machine is shared. */
  cpuUs: number;
}

/** One wrk run against a runner; parses requests/s, the median latency, non-2xx/socket errors, and the server's CPU time. */
async function wrk(run: Runner): Promise<Sample> {
  const url = run.url + "/json";
  const cpu0 = cpuMs(run.proc.pid);
  const proc = Bun.spawn([WRK!, "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err}${out}`);
  const cpu = cpuMs(run.proc.pid) - cpu0;
  const total = /(\d+) requests in/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)/m.exec(out);
  const unit = { us: 0.001, ms: 1, s: 1000 } as const;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const cpuUs = total ? (cpu * 1000) / Number(total[1]) : NaN;
  return { rps: Number(rps[1]), p50Ms: p50 ? Number(p50[1]) * unit[p50[2] as keyof typeof unit] : NaN, errors, cpuUs };
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
/** User + system CPU time of a process so far (ms), from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const started = performance.now();
const app = generateApp({ modules });
const kinds: RunnerKind[] = ["bun", "hmr-run"];
const samples = new Map<RunnerKind, Sample[]>(kinds.map((k) => [k, []]));
process.stderr.write(`${modules} modules: ${app.dir}\n`);
try {
  const runs = new Map(kinds.map((k) => [k, new Runner(k, app.dir)] as const));
  try {
    for (const run of runs.values()) await run.ready();
    // Warm both up (JIT, connection setup) before measuring.
    for (const run of runs.values()) await wrkWarmup(run.url + "/json");
    for (let i = 0; i < rounds; i++) {
      for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
        const s = await wrk(runs.get(kind)!);
        samples.get(kind)!.push(s);
        process.stderr.write(`  round ${i + 1} ${kind}: ${fmt(s.rps)} req/s, ${fmt(s.cpuUs, 2)} µs CPU/request, ${s.errors} errors\n`);
      }
    }
  } finally {
    for (const run of runs.values()) await run.stop();
  }
} finally {
  app.cleanup();
}

async function wrkWarmup(url: string) {
  const proc = Bun.spawn([WRK!, "-t1", `-c${connections}`, "-d2s", url], { stdout: "ignore", stderr: "ignore" });
  await proc.exited;
}

const rps = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.rps));
const cpu = (k: RunnerKind) => median(samples.get(k)!.map((s) => s.cpuUs));
const best = (k: RunnerKind) => Math.max(...samples.get(k)!.map((s) => s.rps));
console.log(`\n### Serving overhead (${machine()})\n`);
console.log(
  `\`${["bun bench/serve.ts", ...process.argv.slice(2)].join(" ")}\`: \`wrk -t1 -c${connections} -d${seconds}s\` on GET /json of the ${modules}-module app, ` +
    `${rounds} alternating rounds\n`,
);
console.log(
  table(
    ["runner", "req/s (best)", "req/s (median)", "each round", "p50 latency", "server CPU / request (median)", "errors", "best vs plain bun", "median vs plain bun"],
    kinds.map((k) => {
      const s = samples.get(k)!;
      return [
        k === "bun" ? "bun main.ts" : k,
        fmt(best(k)),
        fmt(rps(k)),
        s.map((x) => fmt(x.rps)).join(", "),
        `${fmt(median(s.map((x) => x.p50Ms)), 2)} ms`,
        `${fmt(cpu(k), 2)} µs`,
        String(s.reduce((a, x) => a + x.errors, 0)),
        `${((best(k) / best("bun")) * 100).toFixed(1)}%`,
        `${((rps(k) / rps("bun")) * 100).toFixed(1)}%`,
      ];
    }),
  ),
);
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
console.log(
  `\n- hmr-run serves ${pct(best("hmr-run"), best("bun"))} of plain Bun's requests per second, best round against best ` +
    `(${pct(rps("hmr-run"), rps("bun"))} median against median; target >= 97%)`,
);
console.log(`- server CPU time per request: hmr-run ${fmt(cpu("hmr-run"), 2)} µs, plain bun ${fmt(cpu("bun"), 2)} µs (${pct(cpu("bun"), cpu("hmr-run"))} of hmr-run's cost)`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
