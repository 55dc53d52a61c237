import { describe, expect, test } from "bun:test";
import { scenarios, counter, runCounts } from "./support/scenario.ts";

const { start, again } = scenarios();


describe("core: serve and reload only what changed", () => {
  test("a leaf edit serves new code and leaves the untouched module alone", async () => {
    const { fx, run } = start({
      "lib/stable.ts": counter("stable") + `export const STABLE = "s";\n`,
      "lib/text.ts": counter("text") + `export const TEXT = "one";\n`,
      "main.ts": counter("main") +
        `import { STABLE } from "./lib/stable.ts";\nimport { TEXT } from "./lib/text.ts";\n` +
        `export default { fetch: () => new Response(TEXT + ":" + STABLE + ":" + ${runCounts}) };\n`,
    });
    await run.until(`one:s:{"stable":1,"text":1,"main":1}`);
    const m = run.mark();
    fx.edit("lib/text.ts", `"one"`, `"two"`);
    await run.until(`two:s:{"stable":1,"text":2,"main":2}`);
    const log = await run.reloaded(m);
    expect(log).toMatch(/lib\/text\.ts → 2 modules re-ran in [\d.]+ ms/);
  });

  test("a syntax error keeps the old response, prints file:line and a frame, and a fix recovers", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = "good";\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default (req: Request) => new Response(V);\n`,
    });
    await run.until("good");
    const m = run.mark();
    fx.write("dep.ts", `export const V = "bad" +;\n`);
    const log = await run.output("reload failed", m);
    expect(await run.get()).toBe("good");
    await run.output(/dep\.ts:1:\d+/, m);
    expect(run.out.slice(m)).toContain(`> 1 | export const V = "bad" +;`);
    fx.write("dep.ts", `export const V = "fixed";\n`);
    await run.until("fixed");
    expect(log).toBeTruthy();
  });

  test("a module that throws at top level keeps the old code serving", async () => {
    const { fx, run } = start({
      "dep.ts": `export const V = 1;\n`,
      "main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response("v" + V) };\n`,
    });
    await run.until("v1");
    const m = run.mark();
    fx.write("dep.ts", `export const V = 2;\nthrow new Error("kaboom");\n`);
    await run.output("kaboom", m);
    await run.output(/dep\.ts:2:\d+/, m);
    expect(await run.get()).toBe("v1");
    fx.write("dep.ts", `export const V = 3;\n`);
    await run.until("v3");
  });

  test("a broken entry at start-up waits for a fix instead of exiting", async () => {
    const { fx, run } = start({ "main.ts": `export default { fetch: () => new Response("x") +;\n` });
    await run.output("waiting for a fix");
    fx.write("main.ts", `export default { fetch: () => new Response("started") };\n`);
    await run.until("started");
  });

  test("an Elysia app that calls .listen() itself reloads on the same port", async () => {
    const { fx, run } = start(
      {
        "routes.ts": `export const greeting = () => "hello";\n`,
        "main.ts": `import { Elysia } from "elysia";\nimport { greeting } from "./routes.ts";\n` +
          `new Elysia().get("/", () => greeting()).listen(Number(process.env.APP_PORT));\n`,
      },
      ["main.ts"],
    );
    // The app picks its own port; hmr-run must reuse that server on each reload.
    expect(run).toBeTruthy();
    await run.stop();
    const fx2 = fx;
    const port = 23000 + Math.floor(Math.random() * 1000);
    const own = again(fx2, ["main.ts"], { port, env: { APP_PORT: String(port) } });
    await own.until("hello");
    for (const word of ["hi", "hey", "howdy"]) {
      fx2.write("routes.ts", `export const greeting = () => "${word}";\n`);
      await own.until(word);
    }
    expect(own.out).not.toContain("EADDRINUSE");
  });

  test("keep-alive clients see no failed request across reloads", async () => {
    const { fx, run } = start({
      "dep.ts": `export const N = 0;\n`,
      "main.ts": `import { N } from "./dep.ts";\nexport default { fetch: () => new Response(String(N)) };\n`,
    });
    await run.until("0");
    let failures = 0;
    let ok = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const r = await fetch(run.url, { keepalive: true });
          if (r.status !== 200) failures++;
          await r.text();
          ok++;
        } catch {
          failures++;
        }
      }
    };
    const clients = Array.from({ length: 5 }, client);
    for (let i = 1; i <= 10; i++) {
      fx.write("dep.ts", `export const N = ${i};\n`);
      await run.until(String(i));
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toBe(0);
    expect(ok).toBeGreaterThan(10);
  });

  test("a script entry (no server) re-runs its changed subgraph", async () => {
    const { fx, run } = start({
      "job.ts": `export const job = "a";\n`,
      "main.ts": `import { job } from "./job.ts";\nconsole.log("job=" + job);\n`,
    });
    await run.output("job=a");
    fx.write("job.ts", `export const job = "b";\n`);
    await run.output("job=b");
  });
});
