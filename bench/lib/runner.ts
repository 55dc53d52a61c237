/**
 * Starts one generated app under one of the runners being compared, on its own port,
 * and collects its output. Every runner serves the very same files.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { processTree } from "./proc.ts";

export const ROOT = resolve(import.meta.dir, "..", "..");
/** The hmr-run CLI to measure; HMR_RUN_BENCH_CLI points at another checkout to compare a change. */
const CLI = process.env.HMR_RUN_BENCH_CLI ?? join(ROOT, "src", "cli.ts");

/** The ways of running an app that the benchmarks compare. */
export type RunnerKind = "hmr-run" | "bun --hot" | "bun --watch" | "bun";

let nextPort = 31000 + Math.floor(Math.random() * 20000);

/** The command line for a runner (also printed with the results). */
export function commandOf(kind: RunnerKind, port: number): string[] {
  switch (kind) {
    case "hmr-run":
      return [process.execPath, CLI, "main.ts", "--port", String(port), "--host", "127.0.0.1"];
    case "bun --hot":
      return [process.execPath, "--hot", "main.ts"];
    case "bun --watch":
      return [process.execPath, "--watch", "main.ts"];
    case "bun":
      return [process.execPath, "main.ts"];
  }
}

/** A running app: its URL, its output so far, its resident memory. */
export class Runner {
  readonly port = nextPort++;
  readonly url = `http://127.0.0.1:${this.port}`;
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly startedAt = performance.now();
  out = "";
  private exitCode: number | null = null;

  constructor(
    readonly kind: RunnerKind,
    dir: string,
  ) {
    this.proc = Bun.spawn(commandOf(kind, this.port), {
      cwd: dir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, PORT: String(this.port), NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    void this.pump(this.proc.stdout);
    void this.pump(this.proc.stderr);
    void this.proc.exited.then((c) => (this.exitCode = c));
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.out += dec.decode(chunk);
  }

  /** Polls until the app answers `/json`; returns ms since spawn. */
  async ready(timeoutMs = 60_000): Promise<number> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (this.exitCode !== null) throw new Error(`${this.kind} exited with ${this.exitCode} before serving\n${this.out}`);
      try {
        const res = await fetch(this.url + "/json");
        if (res.status === 200) {
          await res.arrayBuffer();
          return performance.now() - this.startedAt;
        }
      } catch {
        // Not listening yet: keep polling until the deadline.
      }
      await Bun.sleep(1);
    }
    throw new Error(`${this.kind} did not answer within ${timeoutMs} ms\n${this.out}`);
  }

  /** Modules run so far in this process, and an id that changes when the process restarts. */
  async runs(): Promise<{ runs: number; boot: string }> {
    const res = await fetch(this.url + "/__runs");
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: `HTTP ${res.status}` });
    return (await res.json()) as { runs: number; boot: string };
  }

  /**
   * Collects garbage in the app (Bun.gc(true)), then reads the resident set size in MB of
   * the process and every process below it (a supervisor and its app count together).
   */
  async memory(): Promise<{ rssMb: number; anonMb: number; pssMb: number; heapMb: number; processes: number }> {
    const res = await fetch(this.url + "/__gc");
    const usage = (await res.json()) as { heapUsed: number };
    const tree = processTree(this.proc.pid);
    const sum = (field: string) => tree.reduce((kb, pid) => kb + statusKb(pid, field), 0) / 1024;
    const pss = tree.reduce((kb, pid) => kb + pssKb(pid), 0) / 1024;
    return { rssMb: sum("VmRSS"), anonMb: sum("RssAnon"), pssMb: pss, heapMb: usage.heapUsed / 2 ** 20, processes: tree.length };
  }

  get alive(): boolean {
    return this.exitCode === null;
  }

  /** Where the output is now, for `output(from)`. */
  mark(): number {
    return this.out.length;
  }

  async stop(): Promise<void> {
    if (this.exitCode !== null) return;
    this.proc.kill("SIGTERM");
    const code = await Promise.race([this.proc.exited, Bun.sleep(5000).then(() => null)]);
    if (code === null) {
      this.proc.kill("SIGKILL");
      await this.proc.exited;
    }
  }
}

/**
 * A memory field of /proc/<pid>/status in kB (VmRSS: resident; RssAnon: its anonymous
 * part, without the pages of Bun's executable that every Bun process maps); 0 if the
 * process has just exited.
 */
function statusKb(pid: number, field: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return 0; // Gone between listing and reading: it holds no memory any more.
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) : 0;
}


/**
 * Proportional set size in kB, from /proc/<pid>/smaps_rollup: each shared page (Bun's
 * executable, mapped by the hmr-run process and its app process alike) counted once
 * across the processes that map it, rather than once per process as RSS counts it.
 */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // Gone, or no smaps_rollup (a kernel before 4.14): counted as nothing.
  }
}
