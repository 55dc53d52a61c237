/**
 * The cost of watching while nothing happens: idle CPU (% of one core, every hmr-run
 * process together) and inotify watches, for a project of 2000 files in 40 folders
 * next to a node_modules of 3000 folders, with OS file events and with polling.
 * Also how long a save takes to be served while polling.
 *
 *   bun bench/poll.ts [--files 2000] [--seconds 10] [--intervals 300,100]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib/runner.ts";
import { inotifyWatches, processTree } from "./lib/proc.ts";
import { flag, fmt, machine, median, numbers, table } from "./lib/stats.ts";

const files = Number(flag("files", "2000"));
const seconds = Number(flag("seconds", "10"));
const intervals = numbers("intervals", [300, 100]);
const CLI = join(ROOT, "src", "cli.ts");
const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux.

const dir = mkdtempSync(join(tmpdir(), "hmr-run-poll-"));
const perFolder = 50;
for (let i = 0; i < files; i++) {
  const sub = join(dir, "src", `f${Math.floor(i / perFolder)}`);
  if (i % perFolder === 0) mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, `m${i}.ts`), `export const v${i} = ${i};\n`);
}
for (let i = 0; i < 1000; i++) mkdirSync(join(dir, "node_modules", `pkg${i}`, "lib", "sub"), { recursive: true });
writeFileSync(join(dir, "src", "msg.ts"), `export const msg = "0";\n`);
writeFileSync(join(dir, "main.ts"), `import { msg } from "./src/msg.ts";\nexport default { fetch: () => new Response(msg) };\n`);

/** CPU time (s) used so far by `pid` and its descendants. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]); // utime, stime
    } catch {
      continue; // Exited meanwhile.
    }
  }
  return ticks / TICK;
}


let port = 32000 + Math.floor(Math.random() * 20000);
let saves = 0;

async function measure(label: string, args: string[]): Promise<string[]> {
  const p = port++;
  const proc = Bun.spawn([process.execPath, CLI, "main.ts", "--port", String(p), "--host", "127.0.0.1", "--no-mcp", ...args], {
    cwd: dir,
    stdout: "ignore",
    stderr: "ignore",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const url = `http://127.0.0.1:${p}/`;
  const get = () => fetch(url).then((r) => r.text(), () => "");
  try {
    const end = Date.now() + 30_000;
    while (Date.now() < end && !(await get())) await Bun.sleep(50);
    await Bun.sleep(1000); // Start-up and the first background scans are not idle time.
    const t0 = performance.now();
    const c0 = cpuSeconds(proc.pid);
    await Bun.sleep(seconds * 1000);
    const cpu = ((cpuSeconds(proc.pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
    const watches = inotifyWatches(proc.pid);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const want = String(++saves);
      const s0 = performance.now();
      writeFileSync(join(dir, "src", "msg.ts"), `export const msg = "${want}";\n`);
      while ((await get()) !== want) await Bun.sleep(2);
      latencies.push(performance.now() - s0);
      await Bun.sleep(200);
    }
    return [label, `${fmt(cpu, 2)} %`, String(watches), `${fmt(median(latencies), 0)} ms`];
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

try {
  const rows = [await measure("file events (inotify)", [])];
  for (const ms of intervals) rows.push(await measure(`--poll --poll-interval ${ms}`, ["--poll", "--poll-interval", String(ms)]));
  console.log(`${machine()}\n${files} project files in ${Math.ceil(files / perFolder)} folders, node_modules of 3000 folders; idle for ${seconds} s\n`);
  console.log(table(["watching", "idle CPU (all hmr-run processes)", "inotify watches", "save → served (median of 5)"], rows));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
