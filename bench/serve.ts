/**
 * Serving overhead: requests per second of a small JSON route under hmr-run against
 * plain `bun main.ts`, same app, same load generator (wrk), same run. Rounds alternate
 * between the two so that a noisy neighbour hurts both alike. Noise only ever lowers
 * throughput, so the best round is the steadiest measure of capacity; the median is shown too,
 * and so is the server's CPU time per request, which a busy neighbour barely moves.
 *
 * The same comparison runs on an Express 5 app (node:http, which hmr-run takes over on reload).
 *
 *   bun bench/serve.ts [--modules 1000] [--rounds 5] [--seconds 5] [--connections 32] [--apps generated,express]
 * Needs wrk (Debian: apt-get install wrk).
 */
import { generateApp } from "./app/generate.ts";
import { ROOT, Runner, type RunnerKind } from "./lib/runner.ts";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flag, fmt, machine, median, table } from "./lib/stats.ts";

const modules = Number(flag("modules", "1000"));
const rounds = Number(flag("rounds", "5"));
const seconds = Number(flag("seconds", "5"));
const connections = Number(flag("connections", "32"));
const apps = flag("apps", "generated,express").split(",");
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
/**
 * User + system CPU time of a process and its descendants so far (ms), from /proc: hmr-run
 * runs the app in a child process, which does the serving.
 */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  for (const child of children ? children.split(" ") : []) ms += cpuMs(Number(child));
  return ms;
}

/** An Express 5 app with a /json route like the generated app's, listening where the runner says. */
function expressApp(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hmr-run-bench-express-"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "main.ts"),
    `import express from "express";\n` +
      `const app = express();\n` +
      `app.get("/json", (_req, res) => { res.json({ ok: true, items: [1, 2, 3] }); });\n` +
      `app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1");\n`,
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const started = performance.now();
const kinds: RunnerKind[] = ["bun", "hmr-run"];
type Key = `${string}:${RunnerKind}`;
const samples = new Map<Key, Sample[]>();
for (const name of apps) await measure(name);

/** Alternating wrk rounds of plain bun and hmr-run on one app. */
async function measure(name: string): Promise<void> {
  const app = name === "express" ? expressApp() : generateApp({ modules });
  for (const k of kinds) samples.set(`${name}:${k}`, []);
  process.stderr.write(`${label(name)}: ${app.dir}\n`);
  try {
    const runs = new Map(kinds.map((k) => [k, new Runner(k, app.dir)] as const));
    try {
      for (const run of runs.values()) await run.ready();
      // Warm both up (JIT, connection setup) before measuring.
      for (const run of runs.values()) await wrkWarmup(run.url + "/json");
      for (let i = 0; i < rounds; i++) {
        for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
          const s = await wrk(runs.get(kind)!);
          samples.get(`${name}:${kind}`)!.push(s);
          process.stderr.write(`  round ${i + 1} ${name} ${kind}: ${fmt(s.rps)} req/s, ${fmt(s.cpuUs, 2)} µs CPU/request, ${s.errors} errors\n`);
        }
      }
    } finally {
      for (const run of runs.values()) await run.stop();
    }
  } finally {
    app.cleanup();
  }
}

async function wrkWarmup(url: string) {
  const proc = Bun.spawn([WRK!, "-t1", `-c${connections}`, "-d2s", url], { stdout: "ignore", stderr: "ignore" });
  await proc.exited;
}

function label(name: string): string {
  return name === "express" ? "Express 5" : `${modules}-module app`;
}
const rps = (k: Key) => median(samples.get(k)!.map((s) => s.rps));
const cpu = (k: Key) => median(samples.get(k)!.map((s) => s.cpuUs));
const best = (k: Key) => Math.max(...samples.get(k)!.map((s) => s.rps));
console.log(`\n### Serving overhead (${machine()})\n`);
console.log(
  `\`${["bun bench/serve.ts", ...process.argv.slice(2)].join(" ")}\`: \`wrk -t1 -c${connections} -d${seconds}s\` on GET /json of each app (${apps.map(label).join(", ")}), ` +
    `${rounds} alternating rounds\n`,
);
console.log(
  table(
    ["app", "runner", "req/s (best)", "req/s (median)", "each round", "p50 latency", "server CPU / request (median)", "errors", "best vs plain bun", "median vs plain bun"],
    apps.flatMap((name) => kinds.map((kind) => {
      const k: Key = `${name}:${kind}`;
      const base: Key = `${name}:bun`;
      const s = samples.get(k)!;
      return [
        label(name),
        kind === "bun" ? "bun main.ts" : kind,
        fmt(best(k)),
        fmt(rps(k)),
        s.map((x) => fmt(x.rps)).join(", "),
        `${fmt(median(s.map((x) => x.p50Ms)), 2)} ms`,
        `${fmt(cpu(k), 2)} µs`,
        String(s.reduce((a, x) => a + x.errors, 0)),
        `${((best(k) / best(base)) * 100).toFixed(1)}%`,
        `${((rps(k) / rps(base)) * 100).toFixed(1)}%`,
      ];
    })),
  ),
);
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
for (const name of apps) {
  const [h, b] = [`${name}:hmr-run`, `${name}:bun`] as const;
  console.log(
    `\n- ${label(name)}: hmr-run serves ${pct(best(h), best(b))} of plain Bun's requests per second, best round against best ` +
      `(${pct(rps(h), rps(b))} median against median; target >= 97%)`,
  );
  console.log(`- ${label(name)}: server CPU time per request: hmr-run ${fmt(cpu(h), 2)} µs, plain bun ${fmt(cpu(b), 2)} µs (${pct(cpu(b), cpu(h))} of hmr-run's cost)`);
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
