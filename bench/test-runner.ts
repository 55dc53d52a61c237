/**
 * Save-to-result time for one leaf edit: `hmr-run test` against `bun test --watch` on
 * the same generated suite, in the same run. The clock runs from just before the file
 * write to bun test's "Ran N tests across M files" line for that save.
 *
 *   bun bench/test-runner.ts [--tests 100,500] [--edits 15]
 *
 * Each suite: T test files with 5 tests each; test file i imports feature i/3 (which
 * imports its own util and a shared lib), so a util edit reaches 3 test files.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";
import { flag, fmt, machine, median, numbers, percentile, ratio, table } from "./lib/stats.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "src", "cli.ts");
const sizes = numbers("tests", [100, 500]);
const edits = Number(flag("edits", "15"));
/** Space between saves, as a person's next save comes later. */
const GAP_MS = 150;

type Kind = "hmr-run test" | "bun test --watch";
const COMMANDS: Record<Kind, string[]> = {
  "hmr-run test": [process.execPath, CLI, "test"],
  "bun test --watch": [process.execPath, "test", "--watch"],
};

function generate(tests: number): string {
  const dir = mkdtempSync(join(tmpdir(), "hmr-run-bench-tests-"));
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  };
  write("src/lib.ts", `export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n`);
  const features = Math.ceil(tests / 3);
  for (let k = 0; k < features; k++) {
    write(`src/utils/u${k}.ts`, `export const base${k} = ${k};\n`);
    write(
      `src/features/f${k}.ts`,
      `import { sum } from "../lib.ts";\nimport { base${k} } from "../utils/u${k}.ts";\n` +
        `export const feature${k} = (n: number) => sum(Array.from({ length: n }, (_, i) => i % 7)) + base${k};\n`,
    );
  }
  for (let i = 0; i < tests; i++) {
    const k = Math.floor(i / 3);
    const cases = Array.from({ length: 5 }, (_, c) =>
      `test("case ${c}", () => {\n  const xs = Array.from({ length: 2000 }, (_, j) => (j * ${c + 7}) % 101).sort((a, b) => a - b);\n` +
      `  expect(xs.length).toBe(2000);\n  expect(feature${k}(10)).toBe(${27 + k});\n});\n`,
    ).join("");
    write(`test/t${i}.test.ts`, `import { test, expect } from "bun:test";\nimport { feature${k} } from "../src/features/f${k}.ts";\n${cases}`);
  }
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "hmr-run"));
  return dir;
}

class Proc {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  out = "";
  readonly started = performance.now();

  constructor(kind: Kind, dir: string) {
    this.proc = Bun.spawn(COMMANDS[kind], {
      cwd: dir,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    for (const s of [this.proc.stdout, this.proc.stderr]) void this.pump(s);
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.out += dec.decode(chunk);
  }

  /** Waits for the next "Ran N tests across M files" after `from`: when it came, and M; undefined if none came. */
  async result(from: number, timeoutMs = 30_000): Promise<{ at: number; files: number } | undefined> {
    const end = performance.now() + timeoutMs;
    const re = /Ran \d+ tests? across (\d+) files?/;
    while (performance.now() < end) {
      const m = re.exec(this.out.slice(from));
      if (m) return { at: performance.now(), files: Number(m[1]) };
      await Bun.sleep(1);
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    const code = await Promise.race([this.proc.exited, Bun.sleep(5000).then(() => null)]);
    if (code === null) this.proc.kill("SIGKILL");
  }
}

interface Row {
  tests: number;
  kind: Kind;
  first: number;
  files: number[];
  ms: number[];
  /** Saves that brought no test result within 30 s. */
  missed: number;
}

let token = 0;
async function measure(dir: string, tests: number, kind: Kind): Promise<Row> {
  const p = new Proc(kind, dir);
  try {
    const ready = await p.result(0, 120_000);
    if (!ready) throw new Error(`${kind} printed no first result; output:\n${p.out.slice(-2000)}`);
    const first = ready.at - p.started;
    // hmr-run test builds its graph during the first run; let both settle before editing.
    await Bun.sleep(500);
    const row: Row = { tests, kind, first, files: [], ms: [], missed: 0 };
    for (let e = 0; e < edits; e++) {
      const k = e % Math.ceil(tests / 3);
      const from = p.out.length;
      const t0 = performance.now();
      writeFileSync(join(dir, `src/utils/u${k}.ts`), `export const base${k} = ${k}; // edit ${++token}\n`);
      const r = await p.result(from);
      if (!r) {
        row.missed++;
        continue;
      }
      row.ms.push(r.at - t0);
      row.files.push(r.files);
      await Bun.sleep(GAP_MS);
    }
    return row;
  } finally {
    await p.stop();
  }
}

const rows: Row[] = [];
for (const tests of sizes) {
  const dir = generate(tests);
  try {
    for (const kind of Object.keys(COMMANDS) as Kind[]) {
      console.error(`measuring ${kind} on ${tests} test files (${edits} edits)...`);
      rows.push(await measure(dir, tests, kind));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`\nSave to test result, one leaf edit (a util imported by 3 test files); ${machine()}\n`);
console.log(
  table(
    ["test files", "runner", "files run per save", "save → result p50 (ms)", "p90 (ms)", "first full run (ms)", "missed saves", "p50 vs bun test --watch"],
    rows.map((r) => {
      const watch = rows.find((x) => x.tests === r.tests && x.kind === "bun test --watch");
      return [
        String(r.tests),
        r.kind,
        String(median(r.files)),
        fmt(median(r.ms)),
        fmt(percentile(r.ms, 90)),
        fmt(r.first),
        String(r.missed),
        watch && watch !== r ? `${ratio(median(watch.ms), median(r.ms))} faster` : "",
      ];
    }),
  ),
);
