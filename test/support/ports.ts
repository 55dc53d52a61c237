/**
 * Ports for test runs. Test files run in parallel worker processes, and a port one of
 * them picked is free for a moment (until its CLI binds it) while another may pick it
 * too: the app listens with SO_REUSEPORT, so two such apps could even share it and
 * answer each other's clients. So each port is claimed with a file created exclusively,
 * in a folder of this run (named after the process that started the workers, or this
 * one when it runs alone), and probed once. Ports stay below Linux's ephemeral range (32768+), where outgoing
 * connections take their local ports.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const LOW = 20000;
const HIGH = 32000;
const PREFIX = "hmr-run-test-ports-";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The process of this run: `bun test --parallel` sets BUN_TEST_WORKER_ID in its workers. */
const run = process.env.BUN_TEST_WORKER_ID ? process.ppid : process.pid;

/** This run's claims; folders of runs whose process is gone are removed. */
const dir = (() => {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(name.slice(PREFIX.length));
    if (name.startsWith(PREFIX) && pid !== run && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const d = join(tmpdir(), PREFIX + run);
  mkdirSync(d, { recursive: true });
  return d;
})();

let next = LOW + Math.floor(Math.random() * (HIGH - LOW));

function claim(port: number): boolean {
  try {
    writeFileSync(join(dir, String(port)), String(process.pid), { flag: "wx" });
    return true;
  } catch {
    return false; // Another worker of this run has it.
  }
}

function free(port: number): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false; // Held by something outside this run.
  }
}

/** A port no other test of this run was given, and free right now. */
export function freePort(): number {
  for (let tries = 0; tries < HIGH - LOW; tries++) {
    const port = next;
    next = next + 1 >= HIGH ? LOW : next + 1;
    if (claim(port) && free(port)) return port;
  }
  throw new Error(`no free port left between ${LOW} and ${HIGH} (claims in ${dir}${existsSync(dir) ? "" : ", which is gone"})`);
}
