/**
 * Small numbers helpers and a Markdown table printer: the benchmarks print tables
 * that can be pasted into the README as they are.
 */

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (xs: number[]) => percentile(xs, 50);

/** A number with a sensible number of digits for a table. */
export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return "n/a";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  return x.toFixed(digits);
}

/** `a / b` as "12.3x". */
export function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}x` : "n/a";
}

/** A Markdown table. */
export function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(" | ")} |`;
  return [line(head), `| ${width.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** The machine and Bun version, as the README's tables state them. */
export function machine(): string {
  const os = require("node:os") as typeof import("node:os");
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const date = new Date().toISOString().slice(0, 10);
  return `${date}, Bun ${Bun.version}, ${process.platform} ${process.arch}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM`;
}

/** Reads `--name value` / `--name=value` from argv. */
export function flag(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1] ?? fallback;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return fallback;
}

/** A comma-separated list flag of numbers. */
export function numbers(name: string, fallback: number[]): number[] {
  const v = flag(name, "");
  return v ? v.split(",").map(Number).filter((x) => Number.isFinite(x) && x > 0) : fallback;
}
