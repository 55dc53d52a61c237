/**
 * Where the dev server listens: a warning when other machines can reach it, and
 * `--unix` on a path that already holds something.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exposureWarning, loopbackOnly } from "../src/server/exposure.ts";
import { Fixture, Run, runOnce } from "./support/fixture.ts";

const APP = { "main.ts": `export default { fetch: () => new Response("ok") };\n` };
const fx = new Fixture(APP, { nodeModules: false });
afterAll(() => fx.cleanup());

describe("exposure", () => {
  test("loopback in any spelling the resolver takes is local; what only looks like it is not", () => {
    const local = ["127.1", "127.0.1", "127.255.0.9", "0x7f.1", "2130706433", "0177.0.0.1", "LOCALHOST", "0:0:0:0:0:0:0:1", "[0::1]", "::ffff:127.0.0.1", "[::ffff:127.9.8.7]", "::ffff:7f00:1"];
    for (const h of local) expect([h, loopbackOnly(h)]).toEqual([h, true]);
    const reachable = ["128.0.0.1", "0x80.1", "1.127.0.0.1", "127.0.0.1.5", "127.foo", "user@127.0.0.1", "localhost.example.com", "::ffff:10.0.0.1", "::127.0.0.1", "0", "0.0"];
    for (const h of reachable) expect([h, loopbackOnly(h)]).toEqual([h, false]);
    expect(exposureWarning("127.1", 3000, true)).toBeUndefined();
    expect(exposureWarning("0", 3000, false)).toContain("(all interfaces)");
    expect(exposureWarning("[0:0:0:0:0:0:0:0]", 3000, false)).toContain("(all interfaces)");
    expect(exposureWarning("192.168.1.20", 3000, false)).not.toContain("(all interfaces)");
  });

  test("loopback names and addresses are local; the rest is reachable", () => {
    for (const h of ["localhost", "api.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(loopbackOnly(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.1", "my-laptop.lan", "2001:db8::1"]) expect(loopbackOnly(h)).toBe(false);
    expect(exposureWarning("0.0.0.0", 3000, false)).toBe("listening on 0.0.0.0:3000 (all interfaces): other machines can reach this dev server");
    expect(exposureWarning("::", 3000, true)).toContain("[::]:3000 (all interfaces)");
    expect(exposureWarning("::", 3000, true)).toContain("--refresh shows them code frames");
    expect(exposureWarning("localhost", 3000, true)).toBeUndefined();
  });

  test("--host 0.0.0.0 prints one warning line; --host 127.0.0.1 or 127.1 none", async () => {
    const run = new Run(fx, ["main.ts", "--host", "0.0.0.0", "--port", "0", "--refresh"]);
    try {
      const out = await run.output("serving");
      const lines = out.split("\n").filter((l) => l.includes("other machines can reach"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("0.0.0.0:");
      expect(lines[0]).toContain("--refresh shows them code frames");
    } finally {
      await run.stop();
    }
    for (const host of ["127.0.0.1", "127.1"]) {
      const local = new Run(fx, ["main.ts", "--host", host, "--port", "0"]);
      try {
        expect(await local.output("serving")).not.toContain("other machines");
      } finally {
        await local.stop();
      }
    }
  });
});

describe("--unix on a path that exists", () => {
  const rejects = async (path: string, want: RegExp) => {
    const { code, out } = await runOnce(fx, ["main.ts", "--unix", path]);
    const lines = out.trimEnd().split("\n");
    expect({ code, lines: lines.length }).toEqual({ code: 2, lines: 1 });
    expect(lines[0]).toMatch(want);
  };

  test("a stale socket (nobody listening) is replaced", async () => {
    const sock = fx.path("stale.sock");
    // A server killed without cleaning up leaves its socket file behind.
    const dead = Bun.spawn([process.execPath, "-e", `Bun.serve({ unix: ${JSON.stringify(sock)}, fetch: () => new Response("") }); process.kill(process.pid, "SIGKILL")`]);
    await dead.exited;
    const run = new Run(fx, ["main.ts", "--unix", sock]);
    try {
      await run.output(`serving unix:${sock}`);
      expect(await (await fetch("http://localhost/", { unix: sock })).text()).toBe("ok");
    } finally {
      await run.stop();
    }
  });

  test("a live socket, a file or a folder: one line naming the path and what is there", async () => {
    const live = fx.path("live.sock");
    const server = Bun.serve({ unix: live, fetch: () => new Response("theirs") });
    try {
      await rejects(live, new RegExp(`--unix ${live}: a server is already listening on this socket`));
      expect(await (await fetch("http://localhost/", { unix: live })).text()).toBe("theirs");
    } finally {
      server.stop(true);
    }
    writeFileSync(fx.path("notes.txt"), "keep me");
    await rejects("notes.txt", /--unix .*notes\.txt: a file is already there, not a socket/);
    expect(fx.read("notes.txt")).toBe("keep me");
    mkdirSync(join(fx.dir, "dir.sock"));
    await rejects("dir.sock", /--unix .*dir\.sock: a folder is already there/);
  });
});
