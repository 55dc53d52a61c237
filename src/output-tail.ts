/**
 * The last lines this process printed (hmr-run's log and the app's own output), for the
 * dev server's MCP `logs` tool. Bun's `console` writes to the file descriptors directly,
 * not through `process.stdout.write`, so both are teed.
 */
import { formatWithOptions } from "node:util";

/** A ring of the most recent output lines, each tagged with the stream it went to. */
export class OutputTail {
  private ring: string[] = [];
  private partial = { stdout: "", stderr: "" };

  constructor(private max = 1000) {}

  /** The last `n` lines, oldest first. */
  last(n: number): string[] {
    return this.ring.slice(-Math.max(0, n));
  }

  /** Adds text written to `stream`; a line is kept once its newline came. */
  push(stream: "stdout" | "stderr", text: string): void {
    const all = this.partial[stream] + text;
    const parts = all.split("\n");
    this.partial[stream] = parts.pop()!;
    for (let line of parts) {
      // A huge line (a JSON dump, a protocol message) would crowd out everything else.
      if (line.length > 2000) line = `${line.slice(0, 2000)} … (${line.length - 2000} more characters)`;
      this.ring.push(stream === "stderr" ? `[stderr] ${line}` : line);
    }
    if (this.ring.length > this.max) this.ring.splice(0, this.ring.length - this.max);
  }

  /** Tees `process.stdout`/`stderr` writes and `console` calls into this tail, for the rest of the run. */
  install(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const target = process[stream];
      const write = target.write.bind(target);
      target.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.push(stream, typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof target.write;
    }
    const methods = { log: "stdout", info: "stdout", debug: "stdout", warn: "stderr", error: "stderr" } as const;
    for (const [name, stream] of Object.entries(methods)) {
      const original = console[name as keyof typeof methods].bind(console);
      console[name as keyof typeof methods] = (...args: unknown[]) => {
        this.push(stream, formatWithOptions({ colors: false }, ...args) + "\n");
        original(...args);
      };
    }
  }
}
