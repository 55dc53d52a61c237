/**
 * One measured edit: write a file, then poll a route on a keep-alive connection until
 * a response carries the new code. The time runs from just before the write to the
 * first such response; a person's next save comes later, so edits are spaced.
 */
import type { Runner } from "./runner.ts";

/** Space between edits: hmr-run treats saves within ~60 ms of the last batch as a save storm. */
export const EDIT_GAP_MS = 150;

export interface EditSample {
  /** Write to first response with the new code (ms). */
  ms: number;
  /** Modules that ran for this edit, counted by the app itself. */
  modules: number;
  /** What hmr-run's own log line said: modules re-ran and in-process reload time. */
  logged?: { modules: number; ms: number };
}

/**
 * Polls `url` back to back (one request in flight, Bun's fetch keeps the connection
 * alive) until the body contains `want`. Returns the time it arrived.
 */
export async function pollFor(url: string, want: string, timeoutMs: number): Promise<number> {
  const end = performance.now() + timeoutMs;
  let last = "(no answer)";
  while (performance.now() < end) {
    try {
      const res = await fetch(url);
      last = await res.text();
      if (last.includes(want)) return performance.now();
    } catch (err) {
      // Between a restart's exit and its new listener (bun --watch): retry at once.
      last = `(error: ${(err as Error).message})`;
      await Bun.sleep(1);
    }
  }
  throw new Error(`waited ${timeoutMs} ms for ${want} at ${url}; last answer: ${last.slice(0, 300)}`);
}

/** Makes one edit with `apply` (which returns the text to wait for) and measures it. */
export async function measureEdit(run: Runner, path: string, apply: () => string, timeoutMs = 30_000): Promise<EditSample> {
  const before = await run.runs();
  const from = run.mark();
  const t0 = performance.now();
  const want = apply();
  const t1 = await pollFor(run.url + path, want, timeoutMs);
  // Let stragglers finish (bun --hot may reload twice for one write) before counting.
  await Bun.sleep(EDIT_GAP_MS);
  const after = await run.runs();
  const modules = after.boot === before.boot ? after.runs - before.runs : after.runs;
  const sample: EditSample = { ms: t1 - t0, modules };
  if (run.kind === "hmr-run") sample.logged = loggedReloads(run.out.slice(from));
  return sample;
}

/** Sums hmr-run's "→ N modules re-ran in X ms" lines. */
function loggedReloads(out: string): { modules: number; ms: number } | undefined {
  let modules = 0;
  let ms = 0;
  let seen = false;
  for (const m of out.matchAll(/→ (\d+) modules? re-ran in ([\d.]+) ms/g)) {
    seen = true;
    modules += Number(m[1]);
    ms += Number(m[2]);
  }
  return seen ? { modules, ms } : undefined;
}
