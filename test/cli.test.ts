/**
 * The command line, run for real: every option, the keys, Ctrl+C, the banner, and
 * every bad input (one line on stderr, a non-zero exit, no stack trace).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { CLI, Fixture, ROOT, Run, freePort } from "./support/fixture.ts";

const runs: Run[] = [];
const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.stop()));
  for (const f of fixtures.splice(0)) f.cleanup();
});

function fixture(files: Record<string, string>): Fixture {
  const fx = new Fixture(files);
  fixtures.push(fx);
  return fx;
}

function start(fx: Fixture, args: string[], opts: ConstructorParameters<typeof Run>[2] = {}): Run {
  const run = new Run(fx, args, opts);
  runs.push(run);
  return run;
}

/** Runs the CLI to its end with a chosen environment; stdout and stderr apart. */
async function once(
  fx: Fixture,
  args: string[],
  opts: { env?: Record<string, string | undefined>; prefix?: string[] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const proc = Bun.spawn([...(opts.prefix ?? []), process.execPath, CLI, ...args], {
    cwd: fx.dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: env as Record<string, string>,
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Bad input: exit 2, nothing on stdout, exactly one line on stderr that says `want`. */
async function rejects(fx: Fixture, args: string[], want: RegExp, opts: Parameters<typeof once>[2] = {}): Promise<string> {
  const { code, stdout, stderr } = await once(fx, args, opts);
  const lines = stderr.trimEnd().split("\n");
  expect({ code, stdout, lines: lines.length }).toEqual({ code: 2, stdout: "", lines: 1 });
  expect(lines[0]).toStartWith("hmr-run: ");
  expect(lines[0]).toMatch(want);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

const APP = { "main.ts": `export default { fetch: () => new Response("ok") };\n` };

// Each module counts its own executions, so a test can see what re-ran.
const counter = (name: string) => `((globalThis as any).runs ??= {})["${name}"] = ((globalThis as any).runs["${name}"] ?? 0) + 1;\n`;
const runsOf = `JSON.stringify((globalThis as any).runs)`;

describe("--help, --version", () => {
  test("--help lists every flag with its default, in plain text when piped, and exits 0", async () => {
    const fx = fixture({});
    for (const flag of ["--help", "-h"]) {
      // None of the variables that turn colours off anyway: only the pipe should.
      const { code, stdout } = await once(fx, [flag], { env: { NO_COLOR: undefined, TEST: undefined, CI: undefined, TERM: "xterm-256color" } });
      expect(code).toBe(0);
      expect(stdout).not.toContain("\x1b[");
      for (const name of ["host", "port", "unix", "log-level", "env-file", "clear", "no-clear", "refresh", "reload-include", "reload-exclude", "tls-cert", "tls-key", "help", "version"]) {
        expect(stdout).toContain(`--${name}`);
      }
      expect(stdout).toContain("(default: localhost)");
      expect(stdout).toContain("(default: $BUN_PORT, $PORT or $NODE_PORT, else 3000)");
      expect(stdout).toContain("r + Enter");
    }
  });

  test("the README's option table matches --help, default for default", async () => {
    const { stdout } = await once(fixture({}), ["--help"]);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Options"));
    const table = section.slice(0, section.indexOf("\n## ") > 0 ? section.indexOf("\n## ") : undefined);
    const rows = new Map<string, string>();
    for (const m of table.matchAll(/^\| `(-[^`]*)` \|\s*([^|]*?)\s*\|/gm)) {
      for (const flag of m[1]!.match(/--?[a-z][\w-]*/g)!) rows.set(flag, m[2]!.replace(/`/g, "").trim());
    }
    const listed = [...stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)(?:=<\w+>)?\s+(.*)$/gm)];
    expect(listed.length).toBeGreaterThanOrEqual(14);
    for (const [, flag, text] of listed) {
      expect(rows.has(flag!) ? flag : `${flag} missing from the README table`).toBe(flag);
      const def = /\(default: ([^)]*)\)\s*$/.exec(text!)?.[1];
      if (def) expect(`${flag}: ${rows.get(flag!)}`).toBe(`${flag}: ${def}`);
    }
  });

  test("--version and -v print the package version", async () => {
    const fx = fixture({});
    for (const flag of ["--version", "-v"]) {
      const { code, stdout } = await once(fx, [flag]);
      expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: pkg.version });
    }
  });
});

describe("where it serves", () => {
  test("--host and --port, and a banner naming the URL, the watched paths and the Bun version", async () => {
    const fx = fixture(APP);
    const run = start(fx, ["main.ts"]);
    await run.until("ok");
    const banner = await run.output("Ctrl+C");
    expect(banner).toContain(`hmr-run ${pkg.version} on Bun ${Bun.version}: serving http://127.0.0.1:${run.port}/`);
    expect(banner).toContain("entry main.ts, watching .");
  });

  test("without --port: $BUN_PORT, then $PORT, then $NODE_PORT, as Bun.serve picks", async () => {
    const fx = fixture(APP);
    const [a, b, c] = [freePort(), freePort(), freePort()];
    const cases: Array<[Record<string, string>, number]> = [
      [{ PORT: String(a), NODE_PORT: String(c), BUN_PORT: "" }, a],
      [{ BUN_PORT: String(b), PORT: String(a), NODE_PORT: String(c) }, b],
      [{ NODE_PORT: String(c), BUN_PORT: "", PORT: "" }, c],
    ];
    for (const [env, port] of cases) {
      // Not `Run`: it always passes --port, which would hide the variables.
      const proc = Bun.spawn([process.execPath, CLI, "main.ts", "--host", "127.0.0.1"], {
        cwd: fx.dir,
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, NO_COLOR: "1", ...env },
      });
      try {
        let err = "";
        void (async () => {
          for await (const chunk of proc.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
        })();
        await until(async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => "")) === "ok");
        // The app answers a moment before hmr-run's process prints where it serves.
        await until(async () => err.includes(`serving http://127.0.0.1:${port}/`));
        proc.kill("SIGINT");
        await proc.exited;
      } finally {
        proc.kill("SIGKILL");
      }
    }
  });

  test("--unix serves on a Unix socket", async () => {
    const fx = fixture(APP);
    const sock = join(fx.dir, "app.sock");
    const run = start(fx, ["main.ts", "--unix", "app.sock"]);
    await run.output(`serving unix:${sock}`);
    const res = await fetch("http://localhost/", { unix: sock });
    expect(await res.text()).toBe("ok");
    fx.write("main.ts", `export default { fetch: () => new Response("changed") };\n`);
    const end = Date.now() + 10_000;
    let body = "";
    while (Date.now() < end && body !== "changed") body = await (await fetch("http://localhost/", { unix: sock })).text();
    expect(body).toBe("changed");
  });

  test("--tls-cert and --tls-key serve https with that certificate; the key never sits in the app's environment", async () => {
    // Past 128 KiB (a long chain, say), as Linux's limit for one environment string is.
    const bigCert = CERT + "# text after the certificate is ignored\n".repeat(3500);
    const fx = fixture({ "main.ts": `export default { fetch: () => new Response(String(process.pid)) };\n`, "cert.pem": bigCert, "key.pem": KEY });
    const run = start(fx, ["main.ts", "--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
    await run.output(`serving https://127.0.0.1:${run.port}/`);
    // Trusting only this certificate proves it is the one served.
    const res = await fetch(`https://127.0.0.1:${run.port}/`, { tls: { ca: CERT } });
    const pid = Number(await res.text());
    expect(pid).toBeGreaterThan(0);
    // Anyone running as the same user reads /proc/<pid>/environ, even after the app deletes a variable.
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    expect(environ).toContain("PATH=");
    // Booleans: a failure must not print the whole environment.
    expect(environ.includes(KEY.split("\n")[1]!)).toBe(false);
    expect(environ.includes(fx.path("main.ts"))).toBe(false);
  });
});

describe("output and reloading", () => {
  const graph = {
    "dep.ts": counter("dep") + `export const V = "a";\n`,
    "main.ts": counter("main") + `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V + ${runsOf}) };\n`,
  };

  test("--log-level debug says why each module re-ran", async () => {
    const fx = fixture(graph);
    const run = start(fx, ["main.ts", "--log-level", "debug"]);
    await run.until(`a{"dep":1,"main":1}`);
    const m = run.mark();
    fx.edit("dep.ts", `"a"`, `"b"`);
    await run.until(`b{"dep":2,"main":2}`);
    const log = await run.output("re-ran because it imports", m);
    expect(log).toMatch(/ {2}dep\.ts changed$/m);
    expect(log).toMatch(/ {2}main\.ts re-ran because it imports dep\.ts$/m);
  });

  test("--log-level silent prints nothing of hmr-run's own, yet reloads; warn hides the banner", async () => {
    const fx = fixture({ ...graph, "main.ts": graph["main.ts"] + `console.log("app says " + V);\n` });
    const run = start(fx, ["main.ts", "--log-level", "silent"]);
    await run.until(`a{"dep":1,"main":1}`);
    fx.edit("dep.ts", `"a"`, `"b"`);
    await run.until(`b{"dep":2,"main":2}`);
    await run.output("app says b");
    expect(run.out).not.toContain("hmr-run");
    expect(run.out.trim().split("\n")).toEqual(["app says a", "app says b"]);

    const warn = start(fx, ["main.ts", "--log-level", "warn"]);
    await warn.until(`b{"dep":1,"main":1}`);
    fx.write("dep.ts", `export const V = "c" +;\n`);
    await warn.output("reload failed");
    expect(warn.out).not.toContain("serving");
  });

  test("hmr-run's own lines go to stderr; stdout carries only the app's output", async () => {
    const fx = fixture({ ...graph, "main.ts": graph["main.ts"] + `console.log("app says " + V);\n` });
    const run = start(fx, ["main.ts"]);
    await run.until(`a{"dep":1,"main":1}`);
    let m = run.mark();
    fx.edit("dep.ts", `"a"`, `"b"`);
    await run.until(`b{"dep":2,"main":2}`);
    await run.reloaded(m);
    m = run.mark();
    fx.write("dep.ts", `export const V = "c" +;\n`);
    await run.output("reload failed", m);
    expect(run.out).toContain("serving");
    // The app's line comes through stdout, hmr-run's through stderr: it can be read after them.
    await run.output("app says b");
    expect(run.stdout.trim().split("\n")).toEqual(["app says a", "app says b"]);
  });

  test("--clear wipes the terminal before a reload; a later --no-clear turns it off", async () => {
    const fx = fixture(graph);
    const clear = start(fx, ["main.ts", "--clear"]);
    await clear.until(`a{"dep":1,"main":1}`);
    expect(clear.out).not.toContain("\x1b[2J");
    const plain = start(fx, ["main.ts", "--clear", "--no-clear"]);
    await plain.until(`a{"dep":1,"main":1}`);
    const [m1, m2] = [clear.mark(), plain.mark()];
    fx.edit("dep.ts", `"a"`, `"b"`);
    await clear.until(`b{"dep":2,"main":2}`);
    await plain.until(`b{"dep":2,"main":2}`);
    expect(await clear.reloaded(m1)).toMatch(/\x1b\[2J\x1b\[3J\x1b\[H[^\n]*dep\.ts → 2 modules re-ran/);
    await plain.reloaded(m2);
    expect(plain.out).not.toContain("\x1b[2J");
  });

  test("--reload-exclude, node_modules and .git: edits there trigger nothing", async () => {
    const fx = fixture({
      "vendor/v.ts": counter("vendor") + `export const VENDOR = "v1";\n`,
      "src/s.ts": counter("src") + `export const SRC = "s1";\n`,
      "main.ts": counter("main") +
        `import { VENDOR } from "./vendor/v.ts";\nimport { SRC } from "./src/s.ts";\n` +
        `export default { fetch: () => new Response(VENDOR + SRC + ${runsOf}) };\n`,
    });
    mkdirSync(fx.path(".git"));
    const run = start(fx, ["main.ts", "--reload-exclude", "vendor", "--log-level", "debug"]);
    await run.until(`v1s1{"vendor":1,"src":1,"main":1}`);
    await run.output("excluding vendor");
    const m = run.mark();
    fx.edit("vendor/v.ts", `"v1"`, `"v2"`);
    fx.write(".git/HEAD", "ref: refs/heads/other\n");
    fx.write("node_modules/local-pkg/index.js", "module.exports = 2;\n");
    fx.edit("src/s.ts", `"s1"`, `"s2"`);
    // The excluded module is not re-run even though its importer is: it keeps its first value.
    await run.until(`v1s2{"vendor":1,"src":2,"main":2}`);
    const log = await run.reloaded(m);
    expect(log).toContain("src/s.ts → 2 modules re-ran");
    expect(log).not.toMatch(/vendor|\.git|local-pkg/);
  });

  test("--reload-include watches only the paths given, and warns when the entry is outside them", async () => {
    const fx = fixture({
      "src/s.ts": `export const SRC = "s1";\n`,
      "other/o.ts": `export const O = "o1";\n`,
      "src/main.ts": `import { SRC } from "./s.ts";\nimport { O } from "../other/o.ts";\nexport default { fetch: () => new Response(SRC + O) };\n`,
    });
    const run = start(fx, ["src/main.ts", "--reload-include", "src", "--log-level", "debug"]);
    await run.until("s1o1");
    await run.output("watching src");
    const m = run.mark();
    fx.edit("other/o.ts", `"o1"`, `"o2"`);
    fx.edit("src/s.ts", `"s1"`, `"s2"`);
    // main.ts re-runs, but other/o.ts is not the app's to reload: it keeps its first value.
    await run.until("s2o1");
    expect(await run.reloaded(m)).not.toContain("other");
    // That warning would follow the banner, written apart from it: by the reload's line it is in.
    expect(run.out).not.toContain("outside the watched paths");

    const outside = start(fx, ["src/main.ts", "--reload-include", "other"]);
    await outside.output("src/main.ts is outside the watched paths: edits to it will not reload");
  });

  test("--env-file: later files win (a.env,b.env as with Bun), an edit reloads with new values, a deleted variable is gone", async () => {
    const fx = fixture({
      "a.env": "SHARED=from-a\nONLY_A=a\n",
      "b.env": "SHARED=from-b\nGONE=here\n",
      "main.ts": `export default { fetch: () => Response.json([process.env.SHARED, process.env.ONLY_A, process.env.GONE ?? null]) };\n`,
    });
    const run = start(fx, ["main.ts", "--env-file", "a.env,b.env"]);
    await run.until(`["from-b","a","here"]`);
    const m = run.mark();
    fx.write("b.env", "SHARED=edited\n");
    await run.until(`["edited","a",null]`);
    expect(await run.output("(full reload: b.env changed", m)).toMatch(/b\.env → \d+ modules? re-ran in [\d.]+ ms \(full reload: b\.env changed (SHARED, GONE|GONE, SHARED)\)/);
  });

  test("r + Enter reloads the whole app graph, q + Enter stops (keys on through HMR_RUN_KEYS=1)", async () => {
    const fx = fixture(graph);
    const run = start(fx, ["main.ts"], { env: { HMR_RUN_KEYS: "1" } });
    await run.until(`a{"dep":1,"main":1}`);
    run.proc.stdin.write("r\n");
    await run.proc.stdin.flush();
    await run.until(`a{"dep":2,"main":2}`);
    await run.output("every module → 2 modules re-ran");
    expect(run.out).toContain("(full reload: r + Enter)");
    run.proc.stdin.write("q\n");
    await run.proc.stdin.flush();
    expect(await run.exited()).toBe(0);
  });

  test("without a terminal or HMR_RUN_KEYS, stdin stays the app's: r + Enter reloads nothing", async () => {
    const fx = fixture({
      "main.ts": counter("main") + `let got = "";\nprocess.stdin.on("data", (d) => (got += d));\n` +
        `export default { fetch: () => new Response(JSON.stringify(got) + ${runsOf}) };\n`,
    });
    const run = start(fx, ["main.ts"], { env: { HMR_RUN_KEYS: "" } });
    await run.until(`""{"main":1}`);
    run.proc.stdin.write("r\n");
    await run.proc.stdin.flush();
    // Both listeners would see the same data event: once the app has it, a key handler would have run.
    await run.until(`"r\\n"{"main":1}`);
    expect(run.out).not.toContain("reloading the whole app");
  });
});

describe("stopping", () => {
  const disposing = (body: string) => ({
    "main.ts": `import { onDispose } from "hmr-run";\n${body}\nexport default { fetch: () => new Response("up") };\n`,
  });

  test("Ctrl+C with no handler of the app's: dispose hooks run, the server stops, and hmr-run ends by SIGINT as bun does (130)", async () => {
    const fx = fixture(disposing(`onDispose(async () => { await Bun.sleep(1); console.log("disposed cleanly"); });`));
    const run = start(fx, ["main.ts"]);
    await run.until("up");
    run.proc.kill("SIGINT");
    expect(await run.exited()).toBe(130);
    expect(run.proc.signalCode).toBe("SIGINT");
    expect(run.out).toContain("shutting down");
    expect(run.out).toContain("disposed cleanly");
    expect(await fetch(run.url).then(() => "answered", () => "closed")).toBe("closed");
  });

  test("a second Ctrl+C exits at once, without waiting for hanging dispose hooks", async () => {
    // Five hooks that never settle: waiting them out would take 5 × 3 s and exit 0.
    const hang = Array.from({ length: 5 }, (_, i) => `onDispose(() => { console.log("hook ${i} hangs"); return new Promise(() => {}); });`);
    const fx = fixture(disposing(hang.join("\n")));
    const run = start(fx, ["main.ts"]);
    await run.until("up");
    run.proc.kill("SIGINT");
    await run.output("hook 0 hangs");
    run.proc.kill("SIGINT");
    expect(await run.exited()).toBe(130);
    expect(run.out).toContain("SIGINT again: exiting now");
    expect(run.out).not.toContain("hook 4 hangs");
  });

  test("in a terminal: r + Enter reloads everything; Ctrl+C reaches the app's own handler once, and its exit code is hmr-run's", async () => {
    const fx = fixture({
      "dep.ts": counter("dep") + `export const V = "a";\n`,
      "main.ts": counter("main") + `import { onDispose } from "hmr-run";\nimport { appendFileSync, writeFileSync } from "node:fs";\nimport { V } from "./dep.ts";\n` +
        `onDispose(() => writeFileSync("disposed.txt", "yes"));\n` +
        `process.on("SIGINT", () => { appendFileSync("bye.txt", "bye\\n"); process.exit(7); });\n` +
        `export default { fetch: () => new Response(V + ${runsOf}) };\n`,
    });
    const port = freePort();
    // A real terminal without tmux or a shell: Ctrl+C goes through the terminal's line discipline as SIGINT.
    const proc = Bun.spawn([process.execPath, CLI, "main.ts", "--port", String(port), "--host", "127.0.0.1"], {
      cwd: fx.dir,
      env: { ...process.env, NO_COLOR: "1" },
      terminal: { cols: 160, rows: 40, data() {} },
    });
    try {
      const url = `http://127.0.0.1:${port}/`;
      await until(async () => (await fetch(url).then((r) => r.text(), () => "")) === `a{"dep":1,"main":1}`);
      proc.terminal!.write("r\r");
      await until(async () => (await fetch(url).then((r) => r.text(), () => "")) === `a{"dep":2,"main":2}`);
      proc.terminal!.write("\x03");
      expect(await proc.exited).toBe(7);
      // Once: the terminal's SIGINT reaches hmr-run alone, which hands the app one.
      expect(readFileSync(fx.path("bye.txt"), "utf8")).toBe("bye\n");
      // Its exit ran the dispose hooks as the process went.
      expect(readFileSync(fx.path("disposed.txt"), "utf8")).toBe("yes");
    } finally {
      proc.kill("SIGKILL");
    }
  });
});

async function until(ok: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await Bun.sleep(20);
  }
  throw new Error(`condition not met within ${ms} ms: ${ok}`);
}

describe("bad input: one clear line, exit 2, no stack trace", () => {
  const exporting = {
    "main.ts": `export const helper = 1;\nexport const app = { fetch: () => new Response("ok") };\nexport default app;\n`,
  };

  test("entry missing", async () => {
    await rejects(fixture({}), ["nope.ts"], /^hmr-run: entry nope\.ts not found \(looked in .*\)$/);
  });

  test("entry that is not a module", async () => {
    await rejects(fixture({ "notes.md": "# notes\n" }), ["notes.md"], /^hmr-run: entry notes\.md is not a module Bun runs \(expected \.ts, .*\)$/);
  });

  test("entry not readable", async () => {
    const fx = fixture(APP);
    chmodSync(fx.path("main.ts"), 0o000);
    chmodSync(fx.dir, 0o755);
    // root reads anything: run as nobody then, so the check meets a real EACCES.
    const prefix = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    await rejects(fx, ["main.ts"], /^hmr-run: entry main\.ts is not readable$/, { prefix });
  });

  test(":export that does not exist names the exports that do", async () => {
    await rejects(fixture(exporting), ["main.ts:server", "--port", String(freePort())], /has no export "server"; it exports: .*\bapp\b.*\bhelper\b|has no export "server"; it exports: .*\bhelper\b.*\bapp\b/);
  });

  test("an export that is not servable says which shapes are", async () => {
    const line = await rejects(fixture(exporting), ["main.ts:helper", "--port", String(freePort())], /export "helper" is not servable/);
    expect(line).toContain("an object with fetch() or routes");
    expect(line).toContain("(Elysia, Hono)");
  });

  test("invalid port, from --port or $PORT", async () => {
    const fx = fixture(APP);
    await rejects(fx, ["main.ts", "--port", "http"], /--port must be a whole number from 0 to 65535 \(got "http"\)/);
    await rejects(fx, ["main.ts", "--port=70000"], /--port must be a whole number from 0 to 65535 \(got "70000"\)/);
    await rejects(fx, ["main.ts"], /\$PORT must be a whole number from 0 to 65535 \(got "eighty"\)/, { env: { PORT: "eighty", BUN_PORT: undefined } });
  });

  test("port already in use names the port, once", async () => {
    const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
    try {
      const line = await rejects(fixture(APP), ["main.ts", "--host", "127.0.0.1", "--port", String(busy.port)], /port \d+ is already in use/);
      expect(line).toContain(`port ${busy.port} is already in use`);
    } finally {
      busy.stop(true);
    }
  });

  test("host that cannot be bound", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    await rejects(fixture(APP), ["main.ts", "--host", "192.0.2.1", "--port", String(freePort())], /cannot bind host 192\.0\.2\.1/);
  });

  test("unix socket path that cannot be written", async () => {
    const fx = fixture(APP);
    await rejects(fx, ["main.ts", "--unix", "missing/app.sock"], /--unix missing\/app\.sock: folder .*missing does not exist/);
    await rejects(fx, ["main.ts", "--unix", "/proc/hmr-run.sock"], /unix:\/proc\/hmr-run\.sock/);
  });

  test("unknown flag suggests the closest one", async () => {
    const fx = fixture(APP);
    await rejects(fx, ["main.ts", "--prot", "3000"], /unknown option --prot; did you mean --port\?/);
    await rejects(fx, ["main.ts", "--env", "x"], /unknown option --env; did you mean --env-file\?/);
    await rejects(fx, ["main.ts", "--zzzzzzzzzz"], /^hmr-run: unknown option --zzzzzzzzzz \(see hmr-run --help\)$/);
  });

  test("include path that does not exist", async () => {
    await rejects(fixture(APP), ["main.ts", "--reload-include", "srcc"], /--reload-include srcc: no such file or folder/);
  });

  // Lines Bun ignores are warned about, not refused: test/project-setups.test.ts.
  test("env file missing", async () => {
    await rejects(fixture(APP), ["main.ts", "--env-file", "nope.env"], /--env-file nope\.env: no such file/);
  });

  test("other misuse: bad log level, half a TLS pair, two entries, a flag without its value", async () => {
    const fx = fixture({ ...APP, "cert.pem": CERT });
    await rejects(fx, ["main.ts", "--log-level", "loud"], /--log-level must be one of debug, info, warn, error, silent \(got "loud"\)/);
    await rejects(fx, ["main.ts", "--tls-cert", "cert.pem"], /--tls-cert and --tls-key go together/);
    await rejects(fx, ["main.ts", "--tls-cert", "cert.pem", "--tls-key", "nokey.pem"], /--tls-key nokey\.pem: no such file/);
    await rejects(fx, ["main.ts", "other.ts"], /one entry expected, got 2/);
    await rejects(fx, ["main.ts", "--port"], /option --port needs a value/);
  });
});

describe("no entry given", () => {
  test("package.json module, then main, then index.ts", async () => {
    const fx = fixture({
      "package.json": JSON.stringify({ name: "app", module: "server.ts", main: "main.ts" }),
      "server.ts": `export default { fetch: () => new Response("module") };\n`,
      "main.ts": `export default { fetch: () => new Response("main") };\n`,
      "index.ts": `export default { fetch: () => new Response("index") };\n`,
    });
    const byModule = start(fx, []);
    await byModule.until("module");
    await byModule.stop();
    fx.write("package.json", JSON.stringify({ name: "app", main: "main.ts" }));
    const byMain = start(fx, []);
    await byMain.until("main");
    await byMain.stop();
    rmSync(fx.path("package.json"));
    const byIndex = start(fx, []);
    await byIndex.until("index");
  });

  test("nothing to run: a short usage message", async () => {
    const line = await rejects(fixture({ "README.md": "# hi\n" }), [], /no entry given and none found/);
    expect(line).toContain("Usage: hmr-run <entry[:export]> [options]");
  });
});

// A self-signed certificate for localhost and 127.0.0.1, valid until 2126: test-only.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUApwpPNsa9LTEWPT3y2Be3Y28jLIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODAxMzQ0NloYDzIxMjYxMTA0
MDEzNDQ2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARKDdObdyVn+E7nMocA4otdbd9hbiVOEphSVs6n6/r7hO94047P4RRM
YOOARUmVx1j2BpZSJvduZGt/eUmUNjXIo28wbTAdBgNVHQ4EFgQUvAbvsJexagkz
2y/juai4hx6+GEYwHwYDVR0jBBgwFoAUvAbvsJexagkz2y/juai4hx6+GEYwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgXsW9cXqWDC9+FK1As3slcSpaqdDsAB/cSBFOSVCVn6MCIGKw
0Wfq1jyEd+j2J9NfAG8eoCCKzTjc9NO7QkGgG3q8
-----END CERTIFICATE-----
`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEiAUkvfvEOaWRE/v
lv2CUY1/sY7WzRqNr3MA4OoA95uhRANCAARKDdObdyVn+E7nMocA4otdbd9hbiVO
EphSVs6n6/r7hO94047P4RRMYOOARUmVx1j2BpZSJvduZGt/eUmUNjXI
-----END PRIVATE KEY-----
`;

describe("an entry outside the current folder", () => {
  test("its project is watched, not the current folder (an MCP client may start hmr-run from /)", async () => {
    const app = fixture({ "package.json": `{ "type": "module" }\n`, "src/dep.ts": `export const V = "a";\n`, "src/main.ts": `import { V } from "./dep.ts";\nexport default { fetch: () => new Response(V) };\n` });
    const elsewhere = fixture({ "notes.txt": "not the app\n" });
    const run = start(elsewhere, [app.path("src/main.ts")]);
    await run.until("a");
    // The banner follows the app's first answer: wait for it.
    await run.output(`watching ${app.dir}`);
    app.edit("src/dep.ts", `"a"`, `"b"`);
    await run.until("b");
  });
});

describe("the app's arguments", () => {
  test("after --, they are the app's process.argv.slice(2), and argv[1] is the entry, as under bun", async () => {
    const fx = fixture({ "main.ts": `export default { fetch: () => Response.json(process.argv.slice(1)) };\n` });
    const port = freePort();
    const run = start(fx, ["main.ts", "--port", String(port), "--host", "127.0.0.1", "--", "stdio", "--verbose"], { port });
    expect(JSON.parse(await run.until((b) => b.startsWith("[")))).toEqual([fx.path("main.ts"), "stdio", "--verbose"]);
  });
});
