/**
 * Watching through the real CLI: OS watches that do not grow with node_modules,
 * `--poll` seeing saves with no file events at all, and glob excludes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { Fixture, Run, runOnce } from "./support/fixture.ts";
import { inotifyWatches } from "../bench/lib/proc.ts";

const fx = new Fixture({
  "main.ts": `import { msg } from "./src/msg.ts";\nexport default { fetch: () => new Response(msg) };\n`,
  "src/msg.ts": `export const msg = "one";\n`,
});
// A dependency tree far bigger than the project: 300 folders.
for (let i = 0; i < 100; i++) mkdirSync(fx.path(`node_modules/.cache/pkg${i}/lib/sub`), { recursive: true });
afterAll(() => fx.cleanup());


async function edit(run: Run, to: string) {
  fx.write("src/msg.ts", `export const msg = "${to}";\n`);
  await run.until(to);
}

describe("watching through the CLI", () => {
  test.if(process.platform === "linux")("inotify watches do not grow with node_modules", async () => {
    const run = new Run(fx, ["main.ts"]);
    try {
      await run.until("one");
      await edit(run, "two");
      // The project has 2 folders (., src); node_modules has 300 and gets none.
      const n = inotifyWatches(run.proc.pid);
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThan(10);
    } finally {
      await run.stop();
    }
  });

  test("--poll sees saves without file events, and says nothing about it", async () => {
    const run = new Run(fx, ["main.ts", "--poll", "--poll-interval", "50"]);
    try {
      await run.until(/one|two/);
      await edit(run, "three");
      if (process.platform === "linux") expect(inotifyWatches(run.proc.pid)).toBe(0);
      expect(run.out).not.toContain("polling");
    } finally {
      await run.stop();
    }
  });

  test("--reload-include and --reload-exclude take globs as well as paths", async () => {
    const gx = new Fixture({
      "main.ts": `import { msg } from "./src/msg.ts";\nimport { gen } from "./src/v.gen.ts";\nimport { data } from "./src/a/fixtures/data.ts";\nexport default { fetch: () => new Response([msg, gen, data].join(" ")) };\n`,
      "src/msg.ts": `export const msg = "m1";\n`,
      "src/v.gen.ts": `export const gen = "g1";\n`,
      "src/a/fixtures/data.ts": `export const data = "d1";\n`,
    });
    const args = ["main.ts", "--reload-include", "main.ts", "--reload-include", "src/**/*.ts", "--reload-exclude", "*.gen.ts", "--reload-exclude", "src/**/fixtures"];
    const run = new Run(gx, args);
    try {
      await run.until("m1 g1 d1");
      // The banner follows the app's first answer: wait for it.
      await run.output("watching main.ts, src/**/*.ts, excluding *.gen.ts, src/**/fixtures");
      const from = run.mark();
      // Excluded files: saved, never reloaded, so their old values stay.
      gx.write("src/v.gen.ts", `export const gen = "g2";\n`);
      gx.write("src/a/fixtures/data.ts", `export const data = "d2";\n`);
      gx.write("src/msg.ts", `export const msg = "m2";\n`);
      await run.until("m2 g1 d1");
      // The new code answers before its reload's line is read: that line must not name them either.
      await run.reloaded(from);
      expect(run.out.slice(from)).not.toMatch(/v\.gen\.ts|fixtures/);
    } finally {
      await run.stop();
      gx.cleanup();
    }
  });

  test("a bad --poll-interval is one line", async () => {
    const { code, out } = await runOnce(fx, ["main.ts", "--poll-interval", "fast"]);
    expect(code).toBe(2);
    expect(out.trim()).toBe(`hmr-run: --poll-interval must be a whole number of milliseconds from 10 to 600000 (got "fast")`);
  });
});
