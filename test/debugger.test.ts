/**
 * Debugging the app under hmr-run with a real inspector client (test/support/inspector.ts):
 * the debugger is the app process's, at one address for the whole run, breakpoints keep
 * hitting after their module is hot-reloaded, and Bun's runtime flags reach the app.
 */
import { describe, expect, test } from "bun:test";
import { scenarios } from "./support/scenario.ts";
import { freePort } from "./support/fixture.ts";
import { InspectorClient } from "./support/inspector.ts";

const { start, again } = scenarios();

// Not a constant Bun's transpiler would fold into the return: the debugger sees `word`.
const route = (word: string) => `export function answer(): string {\n  const word = ["${word}"][0]!;\n  return word + " " + process.pid;\n}\n`;
const app = {
  "route.ts": route("one"),
  "main.ts": `import { answer } from "./route.ts";\n(globalThis as any).SERVED = "served by " + process.pid;\nexport default { fetch: () => new Response(answer()) };\n`,
};

describe("--inspect", () => {
  test("opens Bun's debugger in the app process, at the same address after a restart", async () => {
    const port = freePort();
    const url = `ws://127.0.0.1:${port}/app-debug`;
    const { fx, run } = start(app, ["main.ts", `--inspect=127.0.0.1:${port}/app-debug`], { HMR_RUN_KEYS: "1" });
    const pid = (await run.until(/^one \d+$/)).split(" ")[1];
    await run.output(`debugger: ${url} (in a browser: https://debug.bun.sh/#127.0.0.1:${port}/app-debug)`);
    let client = await InspectorClient.connect(url);
    await client.send("Runtime.enable");
    // Evaluated in the process that serves the app, not in hmr-run's.
    expect(await client.evaluate("globalThis.SERVED")).toBe(`served by ${pid}`);
    client.close();
    run.proc.stdin.write("R\n");
    const next = (await run.until((b) => /^one \d+$/.test(b) && !b.endsWith(` ${pid}`))).split(" ")[1];
    client = await InspectorClient.connect(url);
    await client.send("Runtime.enable");
    expect(await client.evaluate("globalThis.SERVED")).toBe(`served by ${next}`);
    client.close();
    expect(fx.read("main.ts")).toContain("SERVED");
  });

  test("a breakpoint set by URL and line hits before and after its module is hot-reloaded", async () => {
    const port = freePort();
    const url = `ws://127.0.0.1:${port}/bp`;
    const { fx, run } = start(app, ["main.ts", `--inspect-wait=127.0.0.1:${port}/bp`]);
    const client = await InspectorClient.connect(url);
    // Attached before any module runs (--inspect-wait): every script is seen as it is parsed.
    await client.init();
    const file = fx.path("route.ts");
    await client.next("Debugger.scriptParsed", (p) => p.url === file);
    const line = await client.lineOf(file, "return word");
    await client.send("Debugger.setBreakpointByUrl", { url: file, lineNumber: line });
    const ask = () => fetch(run.url).then((r) => r.text());
    let mark = client.mark();
    let answer = ask();
    let paused = await client.next("Debugger.paused", () => true, mark);
    expect(paused.callFrames[0].location.lineNumber).toBe(line);
    let word = await client.send("Debugger.evaluateOnCallFrame", { callFrameId: paused.callFrames[0].callFrameId, expression: "word", returnByValue: true });
    expect(word.result.value).toBe("one");
    await client.send("Debugger.resume");
    expect(await answer).toMatch(/^one /);
    const m = run.mark();
    fx.write("route.ts", route("two"));
    await run.reloaded(m);
    mark = client.mark();
    answer = ask();
    paused = await client.next("Debugger.paused", () => true, mark);
    // The same line of the edited file, running its new code.
    expect(client.urlOf(paused.callFrames[0].location.scriptId)).toBe(file);
    expect(paused.callFrames[0].location.lineNumber).toBe(line);
    word = await client.send("Debugger.evaluateOnCallFrame", { callFrameId: paused.callFrames[0].callFrameId, expression: "word", returnByValue: true });
    expect(word.result.value).toBe("two");
    await client.send("Debugger.resume");
    expect(await answer).toMatch(/^two /);
    client.close();
  });

  test("a save while paused at a breakpoint waits for the debugger, says why, and is served once it resumes", async () => {
    const port = freePort();
    const url = `ws://127.0.0.1:${port}/paused`;
    const { fx, run } = start(app, ["main.ts", `--inspect-wait=127.0.0.1:${port}/paused`]);
    const client = await InspectorClient.connect(url);
    await client.init();
    const file = fx.path("route.ts");
    await client.next("Debugger.scriptParsed", (p) => p.url === file);
    await client.send("Debugger.setBreakpointByUrl", { url: file, lineNumber: await client.lineOf(file, "return word") });
    const mark = client.mark();
    const answer = fetch(run.url).then((r) => r.text());
    await client.next("Debugger.paused", () => true, mark);
    const m = run.mark();
    fx.write("main.ts", app["main.ts"].replace("answer()", `"edited " + answer()`));
    await run.output("will reload once it answers (R + Enter restarts it)", m);
    expect(run.out.slice(m)).not.toContain("restarted");
    await client.send("Debugger.setBreakpointsActive", { active: false });
    await client.send("Debugger.resume");
    expect(await answer).toMatch(/^one /);
    await run.until(/^edited one /);
    client.close();
  }, 20_000);

  test("--inspect-brk pauses before the first line of the entry, and only on the first start", async () => {
    const port = freePort();
    const url = `ws://127.0.0.1:${port}/brk`;
    const { fx, run } = start(
      { "main.ts": `console.log("first line ran");\nexport default { fetch: () => new Response("up " + process.pid) };\n` },
      ["main.ts", `--inspect-brk=127.0.0.1:${port}/brk`],
      { HMR_RUN_KEYS: "1" },
    );
    const client = await InspectorClient.connect(url);
    const mark = client.mark();
    await client.init();
    const paused = await client.next("Debugger.paused", () => true, mark);
    expect(client.urlOf(paused.callFrames[0].location.scriptId)).toBe(fx.path("main.ts"));
    expect(paused.callFrames[0].location.lineNumber).toBe(0);
    expect(run.stdout).not.toContain("first line ran");
    await client.send("Debugger.resume");
    const first = await run.until(/^up /);
    // The answer can come before the app's stdout line is read.
    await run.output("first line ran");
    expect(run.stdout).toContain("first line ran");
    client.close();
    // A restart listens at the same address but neither waits nor pauses.
    run.proc.stdin.write("R\n");
    await run.until((b) => b.startsWith("up ") && b !== first);
  });
});

describe("source positions", () => {
  test("an error in a reloaded module points at its line in the edited file", async () => {
    const handler = (above: string) => `${above}export function answer(): string {\n  throw new Error("boom at the marked line");\n}\n`;
    const { fx, run } = start({ "route.ts": handler(""), "main.ts": `import { answer } from "./route.ts";\nexport default { fetch: () => new Response(answer()) };\n` });
    let m = run.mark();
    await run.until("Internal Server Error");
    expect(await run.output(/route\.ts:2:\d+\): (Error: )?boom at the marked line/, m)).toBeTruthy();
    // Three lines added above: the same throw is now on line 5.
    m = run.mark();
    fx.write("route.ts", handler("// one\n// two\nconst three = 3;\n"));
    await run.reloaded(m);
    m = run.mark();
    await run.until("Internal Server Error");
    expect(await run.output(/route\.ts:5:\d+\): (Error: )?boom at the marked line/, m)).toBeTruthy();
  });
});

describe("Bun's runtime flags reach the app process", () => {
  const flagged = {
    "pre.ts": `(globalThis as any).PRELOADED = "yes";\n`,
    "main.ts": `export default { fetch: () => new Response(typeof (globalThis as any).gc + " " + (globalThis as any).PRELOADED) };\n`,
  };

  test("given to hmr-run, after the entry: hmr-run main.ts --expose-gc --preload ./pre.ts is bun --expose-gc --preload ./pre.ts main.ts", async () => {
    const { run } = start(flagged, ["main.ts", "--expose-gc", "--preload", "./pre.ts"]);
    expect(await run.until(/^function /)).toBe("function yes");
  });

  test("given to bun, before hmr-run: they reach the app, and a preload that ran in hmr-run's process too is said", async () => {
    const { fx } = start(flagged, ["main.ts"]);
    const port = freePort();
    const run = again(fx, ["main.ts", "--port", String(port), "--host", "127.0.0.1"], { port, bunArgs: ["--expose-gc", "-r", "./pre.ts"] });
    expect(await run.until(/^function /)).toBe("function yes");
    await run.output("./pre.ts also ran in hmr-run's own process");
  });

  test("a Bun flag that makes no sense for the app is one line of bad input", async () => {
    const { run } = start(flagged, ["main.ts", "--hot"]);
    expect(await run.exited()).toBe(2);
    expect(run.out).toContain("--hot is a flag of Bun's that hmr-run does not pass to the app: hmr-run reloads the app by itself");
  });
});
