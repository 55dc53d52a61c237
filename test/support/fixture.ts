/**
 * Test scenarios through a real fixture: files in a temp folder, the real CLI as a
 * subprocess, real HTTP. Every wait polls with a deadline; nothing sleeps and hopes.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, symlinkSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";
import { freePort } from "./ports.ts";

export const ROOT = resolve(import.meta.dir, "..", "..");
export const CLI = join(ROOT, "src", "cli.ts");

/** A folder of files, written and edited the way an editor would. */
export class Fixture {
  readonly dir: string;

  constructor(files: Record<string, string> = {}, opts: { nodeModules?: boolean } = {}) {
    this.dir = realpathSync(mkdtempSync(join(tmpdir(), "hmr-run-test-")));
    for (const [name, text] of Object.entries(files)) this.write(name, text);
    // Fixtures import elysia, hono and hmr-run itself as a user's app would.
    if (opts.nodeModules !== false) {
      mkdirSync(join(this.dir, "node_modules"), { recursive: true });
      for (const dep of readdirSync(join(ROOT, "node_modules"))) {
        if (dep.startsWith(".")) continue;
        symlinkSync(join(ROOT, "node_modules", dep), join(this.dir, "node_modules", dep));
      }
      symlinkSync(ROOT, join(this.dir, "node_modules", "hmr-run"));
    }
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, text: string): void {
    const p = this.path(name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }

  read(name: string): string {
    return readFileSync(this.path(name), "utf8");
  }

  /** Replaces the first occurrence of `from` in a file. */
  edit(name: string, from: string | RegExp, to: string): void {
    const text = this.read(name);
    const next = text.replace(from, to);
    if (next === text) throw new Error(`edit of ${name}: ${from} not found`);
    this.write(name, next);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Re-exported: tests that start servers of their own take ports from the same claims. */
export { freePort };

/** The real `hmr-run` CLI running on a fixture; its output is collected for assertions. */
export class Run {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  /** stdout and stderr interleaved, as a terminal shows them. */
  out = "";
  /** stdout alone: the app's output, never hmr-run's own. */
  stdout = "";
  /** stderr alone: hmr-run's own lines and the app's errors. */
  stderr = "";
  readonly port: number;
  readonly url: string;
  private exitCode: number | null = null;

  /** `cwd`: a folder of the fixture to run from (an app of a monorepo); its root by default. */
  /** `bunArgs`: flags for `bun` itself, before the CLI (`bun --smol hmr-run main.ts`). */
  constructor(fx: Fixture, args: string[], opts: { port?: number; env?: Record<string, string>; stdin?: boolean; cwd?: string; bunArgs?: string[] } = {}) {
    // With PORT in the environment the port is the CLI's default, not an explicit flag.
    this.port = opts.env?.PORT ? Number(opts.env.PORT) : (opts.port ?? freePort());
    this.url = `http://127.0.0.1:${this.port}`;
    const hasPort = !!opts.env?.PORT || args.some((a) => a === "--port" || a.startsWith("--port=") || a === "--unix");
    const full = hasPort ? args : [...args, "--port", String(this.port), "--host", "127.0.0.1"];
    // --no-orphans: a test process that dies (a killed run) takes its hmr-run with it.
    this.proc = Bun.spawn([process.execPath, "--no-orphans", ...(opts.bunArgs ?? []), CLI, ...full], {
      cwd: opts.cwd ? fx.path(opts.cwd) : fx.dir,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...opts.env },
    });
    this.drained = Promise.all([this.pump(this.proc.stdout, true), this.pump(this.proc.stderr, false)]).then(() => {
      this.closed = true;
    });
    void this.proc.exited.then((c) => (this.exitCode = c));
  }

  /** Both pipes were read to their end: nothing more can come. */
  private closed = false;
  private drained: Promise<void>;

  private async pump(stream: ReadableStream<Uint8Array>, isStdout: boolean) {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      const text = dec.decode(chunk, { stream: true });
      this.out += text;
      if (isStdout) this.stdout += text;
      else this.stderr += text;
    }
  }

  /** GET a path; returns the body text, or throws when nothing answers. */
  async get(path = "/"): Promise<string> {
    const res = await fetch(this.url + path);
    return res.text();
  }

  /** Polls `path` until the body satisfies `want`; fails with the last body seen. */
  async until(want: string | RegExp | ((body: string) => boolean), path = "/", ms = 10_000): Promise<string> {
    const ok = typeof want === "function" ? want : (b: string) => (typeof want === "string" ? b === want : want.test(b));
    const end = Date.now() + ms;
    let last = "(no answer)";
    while (Date.now() < end) {
      if (this.exitCode !== null) throw new Error(`hmr-run exited with ${this.exitCode}\n${this.out}`);
      try {
        last = await this.get(path);
        if (ok(last)) return last;
      } catch (err) {
        last = `(error: ${(err as Error).message})`;
      }
      await Bun.sleep(15);
    }
    throw new Error(`waited ${ms} ms for ${want} at ${path}; last answer: ${last}\n--- output ---\n${this.out}`);
  }

  /** Waits until the output contains `text` (counting from `from`, an earlier `mark()`). */
  async output(text: string | RegExp, from = 0, ms = 10_000): Promise<string> {
    const end = Date.now() + ms;
    // Whole lines only: a line read in two chunks would match a pattern with its first half.
    const lines = () => {
      const s = this.out.slice(from);
      return this.closed ? s : s.slice(0, s.lastIndexOf("\n") + 1);
    };
    const has = () => (typeof text === "string" ? lines().includes(text) : text.test(lines()));
    while (Date.now() < end) {
      if (has()) return this.out.slice(from);
      // Exited and read to the end: what is not there now never comes.
      if (this.closed) break;
      await Bun.sleep(10);
    }
    throw new Error(`waited for output ${text}\n--- output ---\n${this.out}`);
  }

  /** Where the output is now: pass to `output()` to wait only for what comes next. */
  mark(): number {
    return this.out.length;
  }

  /** Waits for the next finished reload line (✔ or ERROR) after `from`. */
  async reloaded(from: number, ms = 10_000): Promise<string> {
    return this.output(/re-ran in|evicted in|reload failed|ERROR/, from, ms);
  }

  async exited(ms = 10_000): Promise<number> {
    const code = await Promise.race([this.proc.exited, Bun.sleep(ms).then(() => null)]);
    if (code === null) throw new Error(`hmr-run did not exit within ${ms} ms\n${this.out}`);
    // What it wrote before exiting is read by then (an app process it left behind may keep the pipes open: not waited for long).
    await Promise.race([this.drained, Bun.sleep(1000)]);
    return code;
  }

  async stop(): Promise<void> {
    if (this.exitCode !== null) return;
    this.proc.kill("SIGTERM");
    const code = await Promise.race([this.proc.exited, Bun.sleep(5000).then(() => null)]);
    if (code === null) this.proc.kill("SIGKILL");
  }
}

/** Runs the CLI to completion (for bad-input tests): exit code and all output. */
export async function runOnce(fx: Fixture, args: string[], ms = 10_000): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    cwd: fx.dir,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out: out + err };
}
