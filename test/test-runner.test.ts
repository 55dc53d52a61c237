// `hmr-run test` on a generated suite: the real CLI watches a temp folder, files are
// edited on disk, and every test file that runs appends its name to a log file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { CLI, Fixture } from "./support/fixture.ts";

/** 100 test files t0..t99; t(3k..3k+2) import features/f(k), which imports utils/u(k) and lib/math. */
function suite(): Record<string, string> {
  const files: Record<string, string> = {
    "src/lib/math.ts": `export const add = (a: number, b: number) => a + b;\n`,
    "src/lazy.ts": `export const lazy = "lazy";\n`,
    "src/unused.ts": `export const unused = 1;\n`,
    "test/setup.ts": `import { flag } from "./setup-dep.ts";\n(globalThis as any).setupFlag = flag;\n`,
    "test/setup-dep.ts": `export const flag = "set";\n`,
    "bunfig.toml": `[test]\npreload = ["./test/setup.ts"]\n`,
  };
  for (let k = 0; k < 34; k++) {
    files[`src/utils/u${k}.ts`] = `export const base${k} = ${k};\n`;
    files[`src/features/f${k}.ts`] =
      `import { add } from "../lib/math.ts";\nimport { base${k} } from "../utils/u${k}.ts";\n` +
      `export const feature${k} = (x: number) => add(x, base${k});\n`;
  }
  for (let i = 0; i < 100; i++) {
    const k = Math.floor(i / 3);
    const lazy = i === 50 ? `\ntest("lazy", async () => expect((await import("../src/lazy.ts")).lazy).toBe("lazy"));\n` : "";
    files[`test/t${i}.test.ts`] =
      `import { test, expect } from "bun:test";\nimport { appendFileSync } from "node:fs";\n` +
      `import { feature${k} } from "../src/features/f${k}.ts";\n` +
      `appendFileSync(process.env.RAN_LOG!, "t${i}\\n");\n` +
      `test("t${i}", () => expect(feature${k}(1)).toBe(${k + 1}));\n` +
      `test("setup ran", () => expect((globalThis as any).setupFlag).toBe("set"));\n` +
      lazy;
  }
  return files;
}

/** The real CLI running `hmr-run test` in a fixture; its output is collected. */
class TestCli {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  out = "";
  private exit: number | null = null;

  constructor(readonly fx: Fixture, args: string[] = []) {
    this.proc = Bun.spawn([process.execPath, CLI, "test", ...args], {
      cwd: fx.dir,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", RAN_LOG: fx.path("ran.log"), HMR_RUN_KEYS: "1" },
    });
    for (const s of [this.proc.stdout, this.proc.stderr]) void this.pump(s);
    void this.proc.exited.then((c) => (this.exit = c));
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.out += dec.decode(chunk);
  }

  mark(): number {
    return this.out.length;
  }

  /** Waits until the output after `from` matches; returns that part. */
  async output(want: string | RegExp, from = 0, ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    const has = () => (typeof want === "string" ? this.out.slice(from).includes(want) : want.test(this.out.slice(from)));
    while (Date.now() < end) {
      if (has()) return this.out.slice(from);
      if (this.exit !== null) break;
      await Bun.sleep(10);
    }
    throw new Error(`waited for ${want}\n--- output ---\n${this.out.slice(from)}`);
  }

  /** Waits for the end of the next run after `from`. */
  finished(from: number): Promise<string> {
    return this.output(/tests (passed|failed) \(/, from);
  }

  /** Test files that ran since the last call, sorted. */
  ran(): string[] {
    let text = "";
    try {
      text = readFileSync(this.fx.path("ran.log"), "utf8");
    } catch {
      return []; // Nothing ran yet.
    }
    writeFileSync(this.fx.path("ran.log"), "");
    return text.split("\n").filter(Boolean).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  }

  key(k: string): void {
    this.proc.stdin.write(k + "\n");
    this.proc.stdin.flush();
  }

  async exited(ms = 10_000): Promise<number | null> {
    return Promise.race([this.proc.exited, Bun.sleep(ms).then(() => null)]);
  }

  async stop(): Promise<void> {
    if (this.exit !== null) return;
    this.proc.kill("SIGTERM");
    if ((await this.exited(5000)) === null) this.proc.kill("SIGKILL");
  }
}

const all = Array.from({ length: 100 }, (_, i) => `t${i}`);

describe("hmr-run test on a generated suite of 100 test files", () => {
  let fx: Fixture;
  let cli: TestCli;

  beforeAll(async () => {
    fx = new Fixture(suite());
    cli = new TestCli(fx);
    await cli.finished(0);
    await cli.output("watching");
  });
  afterAll(async () => {
    await cli?.stop();
    fx?.cleanup();
  });

  test("the first run runs every test file, with the bunfig preload", () => {
    expect(cli.ran()).toEqual(all);
    expect(cli.out).toContain("tests passed (all test files");
    expect(cli.out).toContain("201 pass");
  });

  test("editing a util imported by 3 tests runs exactly those 3, and says through which imports", async () => {
    const m = cli.mark();
    fx.write("src/utils/u5.ts", `export const base5 = 5; // edited\n`);
    const out = await cli.finished(m);
    expect(cli.ran()).toEqual(["t15", "t16", "t17"]);
    expect(out).toContain("src/utils/u5.ts changed → running 3 of 100 test files:");
    expect(out).toContain("test/t15.test.ts → src/features/f5.ts → src/utils/u5.ts");
    expect(out).toContain("tests passed (3 test files");
  });

  test("editing a test runs only it", async () => {
    const m = cli.mark();
    fx.edit("test/t42.test.ts", `test("setup ran"`, `test("setup still ran"`);
    const out = await cli.finished(m);
    expect(cli.ran()).toEqual(["t42"]);
    expect(out).toContain("test/t42.test.ts (changed)");
  });

  test("a module reached only through import() still selects its test", async () => {
    const m = cli.mark();
    fx.write("src/lazy.ts", `export const lazy = "lazy"; // edited\n`);
    const out = await cli.finished(m);
    expect(cli.ran()).toEqual(["t50"]);
    expect(out).toContain("test/t50.test.ts → src/lazy.ts");
  });

  test("a failing test is reported as a failed run", async () => {
    let m = cli.mark();
    fx.write("src/utils/u9.ts", `export const base9 = 1000;\n`);
    await cli.output(/tests failed \(exit code 1; 3 test files/, m);
    expect(cli.ran()).toEqual(["t27", "t28", "t29"]);
    m = cli.mark();
    fx.write("src/utils/u9.ts", `export const base9 = 9;\n`);
    await cli.output("tests passed (3 test files", m);
    expect(cli.ran()).toEqual(["t27", "t28", "t29"]);
  });

  test("a deleted module runs the test files that imported it; restoring it runs them again", async () => {
    const text = fx.read("src/utils/u30.ts");
    let m = cli.mark();
    rmSync(fx.path("src/utils/u30.ts"));
    let out = await cli.finished(m);
    expect(out).toContain("src/utils/u30.ts (deleted) changed → running 3 of 100 test files");
    expect(out).toContain("tests failed (exit code 1; 3 test files");
    expect(cli.ran()).toEqual([]); // They fail to load, before their first line runs.
    m = cli.mark();
    fx.write("src/utils/u30.ts", text);
    out = await cli.finished(m);
    expect(out).toContain("tests passed (3 test files");
    expect(cli.ran()).toEqual(["t90", "t91", "t92"]);
  });

  test("an edit that reaches no test file runs nothing and says so", async () => {
    const m = cli.mark();
    fx.write("src/unused.ts", `export const unused = 2;\n`);
    await cli.output("src/unused.ts changed: no test file imports it; nothing to run", m);
    // The next edit's run shows that nothing else ran in between.
    fx.edit("test/t1.test.ts", `test("setup ran"`, `test("setup ran (1)"`);
    await cli.finished(m);
    expect(cli.ran()).toEqual(["t1"]);
  });

  test("a syntax error is reported with file:line and runs nothing broken, twice; the fix runs its tests", async () => {
    let m = cli.mark();
    fx.write("src/utils/u7.ts", `export const base7 = 7 +;\n`);
    let out = await cli.output("nothing to run", m);
    expect(out).toContain("src/utils/u7.ts does not parse; its tests wait for a fix (src/utils/u7.ts:1:");
    expect(out).toContain("> 1 | export const base7 = 7 +;");
    expect(out).toContain("its 3 test files wait for a fix to src/utils/u7.ts");
    m = cli.mark();
    fx.write("src/utils/u7.ts", `export const base7 = 7 * ;\n`);
    out = await cli.output("nothing to run", m);
    expect(out).toContain("> 1 | export const base7 = 7 * ;");
    // A save that reaches both broken and sound tests runs only the sound ones.
    m = cli.mark();
    fx.write("src/lib/math.ts", `export const add = (a: number, b: number) => b + a;\n`);
    out = await cli.finished(m);
    expect(out).toContain("running 97 of 100 test files (3 more wait for a syntax fix)");
    expect(cli.ran()).toEqual(all.filter((t) => !["t21", "t22", "t23"].includes(t)));
    m = cli.mark();
    fx.write("src/utils/u7.ts", `export const base7 = 7;\n`);
    out = await cli.finished(m);
    expect(out).toContain("tests passed (3 test files");
    expect(cli.ran()).toEqual(["t21", "t22", "t23"]);
  });

  test("a save that changes nothing runs nothing", async () => {
    const m = cli.mark();
    fx.write("src/utils/u3.ts", fx.read("src/utils/u3.ts"));
    fx.edit("test/t2.test.ts", `test("setup ran"`, `test("setup ran (2)"`);
    await cli.finished(m);
    expect(cli.ran()).toEqual(["t2"]);
  });

  test("saves made during a run are queued and run next", async () => {
    fx.write(
      "test/slow.test.ts",
      `import { test } from "bun:test";\nimport { appendFileSync, existsSync, writeFileSync } from "node:fs";\n` +
        `appendFileSync(process.env.RAN_LOG!, "t1000\\n");\n` +
        `test("waits for release", async () => {\n  writeFileSync("started", "");\n` +
        `  for (const end = Date.now() + 20000; Date.now() < end && !existsSync("release"); ) await Bun.sleep(10);\n});\n`,
    );
    const m = cli.mark();
    for (const end = Date.now() + 20_000; Date.now() < end && !fx.read("ran.log").includes("t1000"); ) await Bun.sleep(10);
    await waitForFile(fx.path("started"));
    fx.write("src/utils/u11.ts", `export const base11 = 11; // saved during a run\n`);
    fx.write("release", "");
    await cli.finished(m);
    const second = cli.mark();
    await cli.finished(second);
    expect(cli.ran()).toEqual(["t33", "t34", "t35", "t1000"]);
    expect(cli.out.slice(m)).toContain("test/slow.test.ts (new)");
    // Said when the queued run starts, which can be before the first run's end was read.
    expect(cli.out.slice(m)).toContain("src/utils/u11.ts changed → running 3 of 101 test files");
    rmSync(fx.path("release"));
    rmSync(fx.path("started"));
  });

  test("a deleted test file is dropped and runs nothing", async () => {
    const m = cli.mark();
    rmSync(fx.path("test/slow.test.ts"));
    await cli.output("test/slow.test.ts was deleted", m);
    fx.edit("test/t3.test.ts", `test("setup ran"`, `test("setup ran (3)"`);
    const out = await cli.finished(m);
    expect(out).toContain("running 1 of 100 test files");
    expect(cli.ran()).toEqual(["t3"]);
  });

  test("a change to a preload's import runs everything", async () => {
    const m = cli.mark();
    fx.write("test/setup-dep.ts", `export const flag = "set"; // edited\n`);
    const out = await cli.finished(m);
    expect(out).toContain("preload test/setup.ts depends on it (test/setup.ts → test/setup-dep.ts): running every test file");
    expect(cli.ran()).toEqual(all);
  });

  test("a change to bunfig.toml runs everything", async () => {
    const m = cli.mark();
    fx.write("bunfig.toml", `[test]\npreload = ["./test/setup.ts"]\n# edited\n`);
    const out = await cli.finished(m);
    expect(out).toContain("bunfig.toml changed: running every test file");
    expect(cli.ran()).toEqual(all);
  });

  test("a + Enter runs every test file; q + Enter quits", async () => {
    const m = cli.mark();
    cli.key("a");
    await cli.finished(m);
    expect(cli.ran()).toEqual(all);
    cli.key("q");
    expect(await cli.exited()).toBe(0);
  });
});

describe("hmr-run test options", () => {
  test("bun test options pass through: -t, path filters; --watch is refused", async () => {
    const fx = new Fixture(suite());
    const cli = new TestCli(fx, ["-t", "^t\\d+$", "--timeout", "5000", "test/t1"]);
    try {
      let out = await cli.finished(0);
      // The filter keeps t1 and t10..t19; -t skips the "setup ran" tests.
      expect(cli.ran()).toEqual(["t1", ...Array.from({ length: 10 }, (_, i) => `t${10 + i}`)]);
      expect(out).toContain(" 11 pass");
      expect(out).toContain(" 11 filtered out");
      await cli.output("watching");
      const m = cli.mark();
      fx.write("src/utils/u4.ts", `export const base4 = 4; // edited\n`);
      out = await cli.finished(m);
      // u4 reaches t12, t13, t14; the others are outside the filter.
      expect(cli.ran()).toEqual(["t12", "t13", "t14"]);
      expect(out).toContain("running 3 of 11 test files");
      expect(out).toContain(" 3 filtered out");
    } finally {
      await cli.stop();
      fx.cleanup();
    }
    const refused = new TestCli(new Fixture({}, { nodeModules: false }), ["--watch"]);
    expect(await refused.exited()).toBe(2);
    expect(refused.out).toContain("--watch is not needed");
    refused.fx.cleanup();
  });

  test("--clear clears the terminal before each run", async () => {
    const fx = new Fixture({
      "a.ts": `export const a = 1;\n`,
      "a.test.ts": `import { test, expect } from "bun:test";\nimport { a } from "./a.ts";\ntest("a", () => expect(a).toBe(1));\n`,
    }, { nodeModules: false });
    const cli = new TestCli(fx, ["--clear"]);
    try {
      await cli.output("watching");
      const m = cli.mark();
      fx.write("a.ts", `export const a = 1; // edited\n`);
      const out = await cli.finished(m);
      expect(out).toContain("\x1B[2J");
      expect(out.indexOf("\x1B[2J")).toBeLessThan(out.indexOf("a.ts changed"));
    } finally {
      await cli.stop();
      fx.cleanup();
    }
  });
});

async function waitForFile(path: string, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(10)) {
    try {
      readFileSync(path);
      return;
    } catch {
      // Not there yet: keep polling until the deadline.
    }
  }
  throw new Error(`${path} did not appear within ${ms} ms`);
}
