/**
 * `--log-format json` through the real CLI: every line hmr-run writes is one JSON object
 * on stderr, reloads and failures carry their data, and stdout stays the app's.
 */
import { describe, expect, test } from "bun:test";
import { scenarios } from "./support/scenario.ts";
import { runOnce } from "./support/fixture.ts";

const { start } = scenarios();

/** Every line of hmr-run's output in `text`, parsed; fails on any line that is not JSON. */
const events = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe("--log-format json", () => {
  test("start, a reload, a failed reload with its location and frame, and stop, one object per line", async () => {
    const { fx, run } = start(
      {
        "dep.ts": `export const V = "a";\n`,
        "main.ts": `import { V } from "./dep.ts";\nconsole.log("app says " + V);\nexport default { fetch: () => new Response(V) };\n`,
      },
      ["main.ts", "--log-format", "json"],
    );
    await run.until("a");
    await run.output(`"type":"start"`);
    fx.edit("dep.ts", `"a"`, `"b"`);
    await run.until("b");
    await run.output(`"type":"reload","ok":true`);
    // The app's line comes through stdout: it can be read after hmr-run's.
    await run.output("app says b");
    fx.write("dep.ts", `export const V = "c" +;\n`);
    await run.output(`"ok":false`);
    await run.stop();
    await run.output(`"type":"stop"`);

    expect(run.stdout).toBe("app says a\napp says b\n");
    const log = events(run.stderr);
    expect(log.map((e) => e.type)).toEqual(["start", "reload", "reload", "stop"]);
    const [startEv, ok, failed] = log as [any, any, any];
    expect(startEv).toMatchObject({ entry: fx.path("main.ts"), urls: [`${run.url}/`], loaded: true });
    expect(ok).toMatchObject({ ok: true, files: [fx.path("dep.ts")], executed: [fx.path("dep.ts"), fx.path("main.ts")] });
    expect(typeof ok.ms).toBe("number");
    expect(failed).toMatchObject({ ok: false, files: [fx.path("dep.ts")], error: { file: fx.path("dep.ts"), line: 1, column: 24 } });
    expect(failed.error.message).toContain("Unexpected ;");
    expect(failed.error.frame).toContain(`> 1 | export const V = "c" +;`);
  });

  test("bad input ends with one fatal JSON line", async () => {
    const { code, out } = await runOnce(start({}).fx, ["nope.ts", "--log-format", "json"]);
    expect(code).toBe(2);
    expect(events(out)).toMatchObject([{ type: "fatal", message: expect.stringContaining("entry nope.ts not found") }]);
  });
});
