/**
 * The package as users get it: packed with `bun pm pack`, installed with `bun add -d` into a
 * fresh app with its own package.json, and run from that app's node_modules/.bin, with
 * `bunx` and with `bun run dev` (the README's install section shows the same steps). The app
 * imports `hmr-run` and `hmr-run/reactive` from its own installed copy.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";
import { Fixture, Run, ROOT, freePort } from "./support/fixture.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;

/** Runs a command to completion; throws with its output when it fails. */
async function sh(cmd: string[], cwd: string): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code} in ${cwd}\n${out}${err}`);
  return out + err;
}

/** A command serving an app on a port: output collected, answers polled with a deadline. */
class Served {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly url: string;
  out = "";

  constructor(cmd: string[], cwd: string, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH, NO_COLOR: "1", PORT: String(port) } });
    for (const s of [this.proc.stdout, this.proc.stderr]) void this.pump(s);
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.out += dec.decode(chunk);
  }

  async until(want: (body: string) => boolean, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    let last = "(no answer)";
    while (Date.now() < end) {
      if (this.proc.exitCode !== null) throw new Error(`exited with ${this.proc.exitCode}\n${this.out}`);
      try {
        last = await (await fetch(this.url)).text();
        if (want(last)) return last;
      } catch (err) {
        last = `(error: ${(err as Error).message})`;
      }
      await Bun.sleep(20);
    }
    throw new Error(`waited ${ms} ms at ${this.url}; last answer: ${last}\n--- output ---\n${this.out}`);
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    const code = await Promise.race([this.proc.exited, Bun.sleep(5000).then(() => null)]);
    if (code === null) this.proc.kill("SIGKILL");
  }
}

// The app reports which copy of hmr-run it imported, whether that copy sees a runtime,
// how often its onDispose hook ran (main.ts runs again whenever word.ts changes), and a
// top-level signal from hmr-run/reactive that must keep its count when main.ts re-runs.
const APP = {
  "package.json": JSON.stringify({ name: "packed-app", private: true, type: "module", scripts: { dev: "hmr-run main.ts" } }, null, 2),
  "word.ts": `export const word = "one";\n`,
  "main.ts": `import { onDispose, isHot } from "hmr-run";
import { signal } from "hmr-run/reactive";
import { word } from "./word.ts";
const g = globalThis as any;
g.disposed ??= 0;
onDispose(() => void g.disposed++);
const hits = signal(0);
export default {
  fetch() {
    hits.update((n) => n + 1);
    return Response.json({ word, hot: isHot(), disposed: g.disposed, hits: hits.peek(), from: import.meta.resolve("hmr-run") });
  },
};
`,
};

let packDir: string;
let tarball: string;
let app: Fixture;
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  packDir = realpathSync(mkdtempSync(join(tmpdir(), "hmr-run-pack-")));
  await sh([process.execPath, "pm", "pack", "--destination", packDir, "--quiet"], ROOT);
  tarball = join(packDir, `${pkg.name}-${pkg.version}.tgz`);
  app = new Fixture(APP, { nodeModules: false });
  // Installs from the local tarball; its dependencies come from Bun's cache when present.
  await sh([process.execPath, "add", "-d", "--prefer-offline", tarball], app.dir);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  app.write("word.ts", APP["word.ts"]);
});

afterAll(() => {
  app?.cleanup();
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

/** Anything serving the app: a `Served` command, or the fixture's `Run` of this repository's CLI. */
type Serving = { until(want: (body: string) => boolean): Promise<string>; readonly out: string; stop(): Promise<void> };

interface Answer {
  word: string;
  hot: boolean;
  disposed: number;
  hits: number;
  from: string;
}
const parse = (body: string): Answer | undefined => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** Checks the first answer of the served app, makes one edit and checks the reload. */
async function serveAndEdit(s: Serving, copy: string) {
  running.push(s);
  const first = parse(await s.until((b) => parse(b)?.word === "one"))!;
  expect(first).toEqual({ word: "one", hot: true, disposed: 0, hits: 1, from: `file://${copy}` });
  app.write("word.ts", `export const word = "two";\n`);
  const after = parse(await s.until((b) => parse(b)?.word === "two"))!;
  // main.ts imports word.ts, so it ran again; the hook it registered through the app's own
  // `import { onDispose } from "hmr-run"` ran before that, and its signal kept counting.
  expect(after).toMatchObject({ hot: true, disposed: 1, from: `file://${copy}` });
  expect(after.hits).toBeGreaterThan(first.hits);
  // The new handler serves before the reload's line is printed: wait for the line too.
  const deadline = Date.now() + 10_000;
  while (!/word\.ts → 2 modules re-ran/.test(s.out) && Date.now() < deadline) await Bun.sleep(20);
  expect(s.out).toMatch(/word\.ts → 2 modules re-ran/);
}

describe("the packed package installed into a fresh app", () => {
  const installed = () => join(app.dir, "node_modules", "hmr-run", "src", "index.ts");

  test("the tarball holds the sources, license and readme, and no tests or examples", async () => {
    const list = (await sh(["tar", "-tzf", tarball], packDir)).split("\n").filter(Boolean);
    for (const f of ["package/package.json", "package/LICENSE", "package/README.md", "package/src/cli.ts", "package/src/index.ts"]) {
      expect(list).toContain(f);
    }
    expect(list.filter((f) => /^package\/(test|examples|bench|docs)\//.test(f))).toEqual([]);
    expect(existsSync(join(app.dir, "node_modules", ".bin", "hmr-run"))).toBe(true);
    expect((await sh([join(app.dir, "node_modules", ".bin", "hmr-run"), "--version"], app.dir)).trim()).toBe(pkg.version);
  });

  test("node_modules/.bin/hmr-run serves the app and reloads it on an edit", async () => {
    const port = freePort();
    await serveAndEdit(new Served(["node_modules/.bin/hmr-run", "main.ts", "--host", "127.0.0.1", "--port", String(port)], app.dir, port), installed());
  });

  test("bunx hmr-run runs the installed copy", async () => {
    const port = freePort();
    const bunx = Bun.which("bunx", { PATH }) ? ["bunx"] : [process.execPath, "x"];
    await serveAndEdit(new Served([...bunx, "hmr-run", "main.ts", "--host", "127.0.0.1", "--port", String(port)], app.dir, port), installed());
  });

  test(`bun run dev ("dev": "hmr-run main.ts" in the app's scripts)`, async () => {
    const port = freePort();
    // The CLI takes its port from $PORT when --port is not given.
    await serveAndEdit(new Served([process.execPath, "run", "dev", "--host", "127.0.0.1"], app.dir, port), installed());
  });

  test("an app importing its own copy of hmr-run shares the runtime of a CLI from another copy", async () => {
    // Run starts this repository's src/cli.ts; the app imports node_modules/hmr-run: two copies
    // of every module, one runtime, because it lives on globalThis[Symbol.for("hmr-run.runtime")].
    await serveAndEdit(new Run(app, ["main.ts"]), installed());
    expect(installed().startsWith(ROOT + "/")).toBe(false);
  });
});
