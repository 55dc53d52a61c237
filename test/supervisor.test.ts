/**
 * What only the real CLI shows about the app process hmr-run supervises: restarts after
 * exits, hangs and config changes, a slow start left to finish, stopping while a module
 * is stuck, and no process left behind. When each of these is decided is unit-tested in
 * test/decision-core.test.ts; here the real processes do it.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { scenarios } from "./support/scenario.ts";

const { start } = scenarios();

/** An app that answers with its dependency's value and its process id. */
const app = (dep: string) => ({
  "dep.ts": dep,
  "main.ts": `import { onDispose } from "hmr-run";\nimport { writeFileSync } from "node:fs";\nimport { V } from "./dep.ts";\n` +
    `onDispose(() => writeFileSync("disposed.txt", "yes"));\n` +
    `export default { fetch: (req: Request) => new URL(req.url).pathname === "/spin" ? spin() : new Response(V + " " + process.pid) };\n` +
    `function spin(): Response { writeFileSync("node_modules/spinning", ""); while (true) {} }\n`,
});
const dep = (v: string, extra = "") => `export const V = "${v}";\n${extra}`;

/** Running, or stopped but not yet reaped as a zombie ("Z") would be. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false; // No such process.
  }
};

async function until(ok: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return true;
    await Bun.sleep(20);
  }
  return false;
}

const gone = (pid: number) => until(() => !alive(pid));

const pidOf = (body: string) => Number(body.split(" ")[1]);

describe("restarts", () => {
  test("process.exit(3) in a saved module: a restart, then the fix serves again", async () => {
    const { fx, run } = start(app(dep("a")));
    const first = pidOf(await run.until(/^a /));
    const m = run.mark();
    fx.write("dep.ts", dep("b", "process.exit(3);\n"));
    // Restarted, the module exits again while starting: hmr-run waits for a fix.
    expect(await run.output("saving a file restarts it", m)).toContain("restarted (the app exited with code 3), but the app exited with code 3 again while starting");
    fx.write("dep.ts", dep("c"));
    const body = await run.until(/^c /);
    expect(pidOf(body)).not.toBe(first);
    expect(await run.output("restarted (dep.ts changed): serving again in", m)).toBeTruthy();
  });

  test("an endless loop saved: said once, never killed; the fix saved later restarts the app", async () => {
    const { fx, run } = start(app(dep("a")));
    const first = pidOf(await run.until(/^a /));
    const m = run.mark();
    fx.write("dep.ts", dep("b", "while (true) {}\n"));
    await run.output(/dep\.ts has been running for 3 s without answering \(an endless loop, or a long computation\?\); it keeps running/, m);
    fx.write("dep.ts", dep("c"));
    expect(pidOf(await run.until(/^c /))).not.toBe(first);
    await run.output("restarted (the reload stopped answering; dep.ts changed): serving again in", m);
  });

  test("a request handler stuck in a loop: a save restarts the app, with no wait on the clock", async () => {
    const { fx, run } = start(app(dep("a")));
    const first = pidOf(await run.until(/^a /));
    const spin = new AbortController();
    void fetch(run.url + "/spin", { signal: spin.signal }).catch(() => {});
    // The marker is written where nothing is watched: a save of it would be blamed for the hang.
    expect(await until(() => existsSync(fx.path("node_modules/spinning")))).toBe(true);
    // Given up by the client: a request still open would be retried by fetch, held through the
    // restart and answered by the new process, which would spin on it in turn.
    spin.abort();
    // Saved at once: whether the app was seen to hang before (a ping unanswered for 1 s) or
    // only after (the check of the save hangs), the save restarts it.
    fx.write("dep.ts", dep("b"));
    expect(pidOf(await run.until(/^b /))).not.toBe(first);
    expect(await run.output("restarted (the app stopped answering (a request handler in an endless loop?); dep.ts changed)")).toBeTruthy();
  });

  test("a start that takes 4.5 s is said once and served, never killed", async () => {
    const { run } = start({ "main.ts": `const end = Date.now() + 4500;\nwhile (Date.now() < end) {}\nexport default { fetch: () => new Response("slow but up " + process.pid) };\n` });
    await run.output(/main\.ts \(or a module it imports\) has been running for 3 s without answering/);
    await run.until(/^slow but up /, "/", 15_000);
    expect(run.out).not.toContain("restarted");
    expect(run.out).not.toContain("stopped the app");
  }, 20_000);

  test("a fix saved 1 s into a top-level await that never settles is served, with no other save", async () => {
    const { fx, run } = start(app(dep("a")));
    await run.until(/^a /);
    const m = run.mark();
    fx.write("dep.ts", dep("b", "await new Promise(() => {});\n"));
    // The scenario, as a person makes it: the fix a second later, before hmr-run said anything.
    await Bun.sleep(1000);
    expect(run.out.slice(m)).not.toContain("has been loading");
    fx.write("dep.ts", dep("c"));
    await run.until(/^c /, "/", 15_000);
    await run.output(/restarted \(dep\.ts never finished loading; dep\.ts changed\): serving again in/, m);
  }, 20_000);

  test("a config file's content changes: restart; touching it changes nothing", async () => {
    const { fx, run } = start({ ...app(dep("a")), "tsconfig.json": `{}\n` });
    const first = pidOf(await run.until(/^a /));
    fx.write("tsconfig.json", `{}\n`);
    fx.write("dep.ts", dep("b"));
    expect(pidOf(await run.until(/^b /))).toBe(first);
    expect(run.out).not.toContain("restarted");
    fx.write("tsconfig.json", `{ "compilerOptions": { "strict": true } }\n`);
    await run.until((b) => pidOf(b) !== first);
    await run.output("restarted (tsconfig.json changed): serving again in");
  });
});

test("R + Enter restarts the app process; r + Enter reloads it in place; --port over the app's port is said once", async () => {
  const files = app(dep("a"));
  files["main.ts"] = files["main.ts"]!.replace("export default {", "export default { port: 1, ");
  const { run } = start(files, ["main.ts"], { HMR_RUN_KEYS: "1" });
  const first = pidOf(await run.until(/^a /));
  run.proc.stdin.write("r\n");
  await run.output("(full reload: r + Enter)");
  run.proc.stdin.write("R\n");
  await run.until((b) => pidOf(b) !== first);
  await run.output("restarted (R + Enter): serving again in");
  expect(run.out.split("entry asks for port 1;").length - 1).toBe(1);
});

test("a restart runs the app's own SIGTERM handler, as bun --watch does; an app without one gets its dispose hooks", async () => {
  const { fx, run } = start(
    {
      "main.ts": `import { appendFileSync } from "node:fs";\n` +
        `process.on("SIGTERM", async () => { appendFileSync("log.txt", "shutdown " + process.pid + "\\n"); await Bun.sleep(20); process.exit(0); });\n` +
        `export default { fetch: () => new Response("pid " + process.pid) };\n`,
    },
    ["main.ts"],
    { HMR_RUN_KEYS: "1" },
  );
  const first = await run.until(/^pid /);
  run.proc.stdin.write("R\n");
  await run.until((b) => b.startsWith("pid ") && b !== first);
  expect(fx.read("log.txt")).toBe(`shutdown ${first.slice(4)}\n`);
});

describe("a restart refuses nothing", () => {
  test("10 restarts under a keep-alive polling client: not one connection refused, every request answered", async () => {
    const { run } = start({ "main.ts": `await Bun.sleep(100);\nexport default { fetch: () => new Response("pid " + process.pid) };\n` }, ["main.ts"], { HMR_RUN_KEYS: "1" });
    let last = await run.until(/^pid /);
    const errors: string[] = [];
    let answered = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        try {
          last = await (await fetch(run.url)).text();
          answered++;
        } catch (err) {
          errors.push((err as { code?: string }).code ?? String(err));
        }
      }
    })();
    for (let i = 0; i < 10; i++) {
      const before = last;
      const m = run.mark();
      run.proc.stdin.write("R\n");
      await until(() => last !== before && last.startsWith("pid "), 15_000);
      // The new process answers before the restart's line is read.
      await run.output("restarted (R + Enter)", m);
    }
    polling = false;
    await poll;
    expect(errors).toEqual([]);
    expect(answered).toBeGreaterThan(10);
    expect(run.out.split("restarted (R + Enter)").length - 1).toBe(10);
  }, 60_000);

  test("while the app is down, a request gets one clear 503 instead of a refused connection", async () => {
    const { fx, run } = start(app(dep("a")));
    await run.until(/^a /);
    // Exits at once when restarted: the app is down until the next save.
    fx.write("package.json", `{ "name": "x" }\n`);
    fx.write("dep.ts", dep("b", "process.exit(1);\n"));
    await run.output("saving a file restarts it");
    const res = await fetch(run.url);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("hmr-run: the app is down");
    fx.write("dep.ts", dep("c"));
    await run.until(/^c /);
  });
});

describe("stopping", () => {
  test("SIGTERM while a top-level await never settles: dispose hooks run, and hmr-run ends by SIGTERM", async () => {
    const { fx, run } = start(app(dep("a")));
    await run.until(/^a /);
    const m = run.mark();
    fx.write("dep.ts", dep("b", "await new Promise(() => {});\n"));
    await run.output("has been loading for 3 s", m, 8000);
    run.proc.kill("SIGTERM");
    expect(await run.exited()).toBe(143);
    expect(fx.read("disposed.txt")).toBe("yes");
  }, 15_000);

  test("SIGKILL of hmr-run while the app spins in a loop: the app process goes too", async () => {
    const { fx, run } = start(app(dep("a")));
    const child = pidOf(await run.until(/^a /));
    void fetch(run.url + "/spin").catch(() => {});
    // Only once the handler spins is the app stuck; before that, a stop would be clean.
    expect(await until(() => existsSync(fx.path("node_modules/spinning")))).toBe(true);
    run.proc.kill("SIGKILL");
    expect(await gone(child)).toBe(true);
  });

  test("a second Ctrl+C while the app is stuck exits 130 at once and leaves no process", async () => {
    const { fx, run } = start(app(dep("a")));
    const child = pidOf(await run.until(/^a /));
    void fetch(run.url + "/spin").catch(() => {});
    expect(await until(() => existsSync(fx.path("node_modules/spinning")))).toBe(true);
    run.proc.kill("SIGINT");
    await run.output("shutting down");
    run.proc.kill("SIGINT");
    expect(await run.exited()).toBe(130);
    expect(await gone(child)).toBe(true);
  });
});
