/**
 * The decision core, event by event, in milliseconds: every case the CLI once covered
 * with sleeps, and the ordering races fixed in earlier versions (split writes, the
 * failure hold, storms, hangs before and after the watchdog, crash loops, config edits
 * during a reload, signals). Times are in ms from the app process's spawn.
 */
import { describe, expect, test } from "bun:test";
import { Settle } from "../src/core/settle.ts";
import { CoreSim } from "./support/core-sim.ts";

/** A sim whose app is up and idle at t=100. */
function up(policy = {}) {
  const s = new CoreSim(policy);
  s.ready(100);
  s.fresh();
  return s;
}

describe("is the write complete?", () => {
  test("a save goes out after 1 ms of quiet as one check, then one reload, then one line", () => {
    const s = up();
    s.save("/a.ts", 1000);
    expect(s.fresh()).toEqual([]);
    s.until(1001);
    expect(s.fresh()).toEqual([{ do: "check", id: 1, files: ["/a.ts"], force: false, full: undefined, env: false, then: "reload" }]);
    s.checked({ kind: "ok" }, 1002);
    expect(s.fresh()).toEqual([{ do: "reload", id: 1, full: undefined, env: false }]);
    s.reloadedOk(1005);
    expect(s.reported().map((o) => o.kind)).toEqual(["reloaded"]);
    expect(s.core.idle()).toBe(true);
  });

  test("a plain ok verdict reloads at once in the app process: no reload command, and the outcome is told", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    const c = s.last("check")!;
    s.on({ t: "checked", id: c.id, verdict: { kind: "ok", files: ["/a.ts"] }, reloading: true }, 1002);
    // Meanwhile the rest of a write: too late for this reload, it is the next batch.
    s.save("/b.ts", 1002.5);
    expect(s.all("reload")).toEqual([]);
    const outcome = { kind: "reloaded" as const, files: ["/a.ts"], executed: ["/a.ts"], evicted: ["/a.ts"], stoppedAt: [], because: {}, ms: 3 };
    s.on({ t: "reloaded", id: c.id, reply: { outcome, loaded: true, urls: [] } }, 1005);
    expect(s.reported().map((o) => o.kind)).toEqual(["reloaded"]);
    s.until(1020);
    expect(s.last("check")!.files).toEqual(["/b.ts"]);
  });

  test("files saved together are one check", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.save("/b.ts", 1000.2);
    s.until(1020);
    expect(s.all("check").map((c) => c.files)).toEqual([["/a.ts", "/b.ts"]]);
  });

  test("the second file of a write arriving while the first is checked: the verdict is dropped and both reload together", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.save("/b.ts", 1001.4); // 0.4 ms after the batch went out, before the check came back
    s.checked({ kind: "refused", error: { message: "SyntaxError: B is not exported by b.ts" } }, 1002);
    // Not told, not reloaded: checked again once the rest settled.
    expect(s.fresh().filter((c) => c.do !== "check")).toEqual([]);
    s.until(1020);
    expect(s.last("check")!.files).toEqual(["/a.ts", "/b.ts"]);
    s.checked({ kind: "ok" });
    s.reloadedOk();
    expect(s.reported().map((o) => o.kind)).toEqual(["reloaded"]);
  });

  test("a batch is not checked while more of its write is still settling", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1001.5);
    s.reloadedOk(1004);
    s.save("/b.ts", 1005);
    s.save("/c.ts", 1007); // b and c: a follow-up, gathered for 12 ms of quiet
    s.until(1018);
    expect(s.all("check")).toHaveLength(1);
    s.until(1019);
    expect(s.last("check")!.files).toEqual(["/b.ts", "/c.ts"]);
  });

  test("a file seen empty is looked at again 30 ms later", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "unchanged", lookAgain: ["/a.ts"] }, 1002);
    s.until(1050);
    expect(s.all("check").map((c) => c.files)).toEqual([["/a.ts"], ["/a.ts"]]);
  });

  test("a storm of 100 saves in a second ends in a handful of reloads, the last with the final content", () => {
    const s = up();
    let reloads = 0;
    for (let t = 1000; t < 2000; t += 10) {
      s.save("/a.ts", t);
      // The app answers 5 ms later, before the next save.
      s.until(t + 5);
      reloads += s.respond();
    }
    s.until(3000);
    reloads += s.respond();
    expect(reloads).toBeGreaterThanOrEqual(2);
    expect(reloads).toBeLessThanOrEqual(4);
    expect(s.core.idle()).toBe(true);
  });
});

describe("the failure hold", () => {
  test("a failure is told 20 ms later when nothing else of the write comes", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "refused", error: { message: "SyntaxError" } }, 1002);
    s.until(1021);
    expect(s.reported()).toEqual([]);
    s.until(1022);
    expect(s.reported().map((o) => o.kind)).toEqual(["failed"]);
  });

  test("a rollback of the first part is not told when the second part arrives within 20 ms; both reload together", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    s.reloadedRolledBack(1004);
    s.save("/b.ts", 1010);
    expect(s.reported().map((o) => o.kind)).toEqual(["held"]);
    s.until(1030);
    expect(s.last("check")!.files).toEqual(["/a.ts", "/b.ts"]);
    s.checked({ kind: "ok" });
    s.reloadedOk();
    expect(s.reported().map((o) => o.kind)).toEqual(["held", "reloaded"]);
  });

  test("a log file the app writes never holds, dirties or restarts anything", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.save("/app.log", 1001.2, "other");
    s.checked({ kind: "refused", error: { message: "SyntaxError" } }, 1002);
    s.save("/app.log", 1005, "other");
    s.until(1030);
    expect(s.reported().map((o) => o.kind)).toEqual(["failed"]);
  });

  test("the first load, and forced reloads, are told at once", () => {
    const s = new CoreSim();
    s.ready(100, false);
    s.save("/main.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    const c = s.last("reload")!;
    s.on({ t: "reloaded", id: c.id, reply: { outcome: { kind: "failed", files: ["/main.ts"], phase: "run", error: { message: "boom" }, ms: 1 }, loaded: false, urls: [] } });
    expect(s.reported()).toMatchObject([{ kind: "failed", start: true }]);
  });
});

describe("what a save means", () => {
  test("a config file whose content changed restarts the app; a touched one does nothing", () => {
    const s = up();
    s.save("/tsconfig.json", 1000, "config");
    s.until(1010);
    expect(s.all("restart")).toEqual([]);
    expect(s.reported()).toMatchObject([{ kind: "ignored", reason: { why: "config-same" } }]);
    s.changedConfigs.add("/tsconfig.json");
    s.save("/tsconfig.json", 2000, "config");
    s.until(2010);
    expect(s.all("restart")).toEqual([{ do: "restart", reason: { why: "config", files: ["/tsconfig.json"] }, graceMs: 1000 }]);
  });

  test("a config edit during a reload restarts with a grace for dispose hooks, and the reload's reply is ignored", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    const reload = s.last("reload")!;
    s.changedConfigs.add("/package.json");
    s.save("/package.json", 1003, "config");
    s.until(1020);
    expect(s.last("restart")).toEqual({ do: "restart", reason: { why: "config", files: ["/package.json"] }, graceMs: 1000 });
    s.on({ t: "reloaded", id: reload.id, reply: { outcome: { kind: "reloaded", files: [], executed: [], evicted: [], stoppedAt: [], because: {}, ms: 1 }, loaded: true, urls: [] } });
    expect(s.reported()).toEqual([]);
    s.on({ t: "spawned" }, 1100);
    s.ready(1300);
    expect(s.reported()).toMatchObject([{ kind: "restarted", reason: { why: "config" }, ms: 285, state: "serving" }]);
  });

  test("env files: a changed variable reloads every module with the new values; none changed says so", () => {
    const s = up();
    s.save("/.env", 1000, "env");
    s.until(1001);
    expect(s.last("check")!.env).toBe(true);
    s.checked({ kind: "unused", envVars: ["PORT_NAME"] }, 1002);
    expect(s.last("reload")).toEqual({ do: "reload", id: 1, full: ".env changed PORT_NAME", env: true });
    s.reloadedOk(1005);
    s.save("/.env", 2000, "env");
    s.until(2001);
    s.checked({ kind: "unused", envVars: [] }, 2002);
    expect(s.reported().map((o) => (o.kind === "ignored" ? o.reason.why : o.kind))).toEqual(["reloaded", "env-same"]);
  });

  test("a save the app wrote itself is said once as ignored; an unchanged save is a debug line", () => {
    const s = up();
    s.save("/count.txt", 1000, "other");
    s.until(1001);
    s.checked({ kind: "unused", selfWrites: [{ file: "/count.txt", reader: "/main.ts" }] }, 1002);
    s.save("/a.ts", 2000);
    s.until(2001);
    s.checked({ kind: "unchanged" }, 2002);
    expect(s.reported()).toMatchObject([{ kind: "ignored", reason: { why: "self-write" } }, { kind: "ignored", reason: { why: "unchanged" } }]);
  });

  test("r + Enter is a forced full reload; R + Enter a restart", () => {
    const s = up();
    s.on({ t: "key", key: "r" }, 1000);
    expect(s.last("check")).toEqual({ do: "check", id: 1, files: [], force: true, full: "r + Enter", env: false, then: "reload" });
    s.checked({ kind: "ok" });
    s.reloadedOk();
    s.on({ t: "key", key: "R" }, 2000);
    expect(s.last("restart")!.reason).toEqual({ why: "key" });
  });

  test("R, r or the MCP tool while the app restarts are said, not dropped: the restart loads everything anew", () => {
    const s = up();
    s.on({ t: "key", key: "R" }, 1000);
    const restarts = s.all("restart").length;
    const checks = s.all("check").length;
    const before = s.reported().length;
    s.on({ t: "key", key: "R" }, 1010);
    s.on({ t: "key", key: "r" }, 1020);
    s.on({ t: "asked", ask: { what: "restart" }, ticket: 7 }, 1030);
    expect(s.all("restart").length).toBe(restarts);
    expect(s.all("check").length).toBe(checks);
    const said = s.reported().slice(before);
    expect(said.map((o) => (o.kind === "ignored" ? o.reason : o.kind))).toEqual([
      { why: "restarting", by: "R + Enter" },
      { why: "restarting", by: "r + Enter" },
      { why: "restarting", by: "the MCP reload tool" },
    ]);
    expect(s.last("report")!.tickets).toEqual([7]);
  });

  test("a start that threw part-way is restarted by its fix (only a fresh process loads it again)", () => {
    const s = new CoreSim();
    s.ready(100, false);
    s.save("/dep.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok", fresh: true }, 1002);
    expect(s.last("restart")!.reason).toEqual({ why: "failed-start", files: ["/dep.ts"] });
  });

  test("a module whose new code cannot run in this process restarts the app", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    const c = s.last("reload")!;
    s.on({ t: "reloaded", id: c.id, reply: { outcome: { kind: "rolled-back", files: ["/a.ts"], phase: "run", error: { message: "stale" }, restored: [], ms: 1 }, stale: "/b.ts", loaded: true, urls: [] } });
    expect(s.last("restart")!.reason).toEqual({ why: "stale", module: "/b.ts", files: ["/a.ts"] });
  });
});

describe("the watchdog acts when new code is wanted, never because the app is slow", () => {
  test("a slow start is said once at 3 s and served when it is done: never restarted", () => {
    const s = new CoreSim();
    s.answers = false; // computing: the thread answers no ping
    s.until(3000);
    expect(s.reported()).toMatchObject([{ kind: "long", phase: "start", answering: false }]);
    expect(s.last("banner")).toMatchObject({ state: "loading", loading: undefined });
    s.until(4500);
    s.answers = true;
    s.ready(4500);
    expect(s.all("restart")).toEqual([]);
    // The banner said "still loading": now one line says where it serves.
    expect(s.reported()).toMatchObject([{ kind: "long" }, { kind: "serving", urls: ["http://localhost:3000/"], ms: 4500 }]);
  });

  test("a fix saved 1 s into a hung top-level await restarts the app when the watchdog sees it, with no other save", () => {
    const s = up();
    s.save("/dep.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    s.on({ t: "slow", module: "/dep.ts" }, 2002); // the app still answers: an await, not a loop
    s.save("/dep.ts", 2001 + 0); // the fix, 1 s in
    s.until(4000);
    expect(s.all("restart")).toEqual([]);
    s.until(4002);
    expect(s.reported()).toMatchObject([{ kind: "long", module: "/dep.ts", answering: true }]);
    expect(s.last("restart")).toEqual({ do: "restart", reason: { why: "stuck", module: "/dep.ts", files: ["/dep.ts"], ms: 3000, answering: true }, graceMs: 0 });
  });

  test("a save after the watchdog spoke restarts at once", () => {
    const s = up();
    s.save("/dep.ts", 1000);
    s.until(1001);
    s.checked({ kind: "ok" }, 1002);
    s.answers = false; // an endless loop in the saved module
    s.until(9000);
    expect(s.reported().map((o) => o.kind)).toEqual(["long"]);
    expect(s.all("restart")).toEqual([]);
    s.save("/dep.ts", 9000);
    s.until(9001);
    expect(s.last("restart")).toMatchObject({ reason: { why: "stuck", files: ["/dep.ts"], answering: false }, graceMs: 0 });
  });

  test("an idle app that stopped answering (a loop in a request handler) is restarted by the next save, once its check goes unanswered and 3 s of silence passed", () => {
    const s = up();
    s.answers = false;
    s.until(2600); // pings at 1000, 2000: unanswered since 1100 for 1.5 s
    s.save("/dep.ts", 2600);
    s.until(2601);
    expect(s.last("check")).toBeDefined();
    s.until(3602);
    // Silent for 2.5 s: not yet 3.
    expect(s.last("restart")).toBeUndefined();
    s.until(4101);
    expect(s.last("restart")).toEqual({ do: "restart", reason: { why: "unresponsive", files: ["/dep.ts"] }, graceMs: 0 });
  });

  test("an app silent for long is restarted 1 s after the save's check", () => {
    const s = up();
    s.answers = false;
    s.until(10_000);
    s.save("/dep.ts", 10_000);
    s.until(10_999);
    expect(s.last("restart")).toBeUndefined();
    s.until(11_002);
    expect(s.last("restart")).toEqual({ do: "restart", reason: { why: "unresponsive", files: ["/dep.ts"] }, graceMs: 0 });
  });

  test("a ping answered late (the app or hmr-run kept from running on a loaded machine) restarts nothing: the save's check is answered and it reloads", () => {
    const s = up();
    s.answers = false;
    s.until(2600); // unanswered since 1100: taken for a hang so far
    s.save("/dep.ts", 2600);
    s.until(2601);
    // The answers were only late.
    s.on({ t: "pong" }, 2700);
    s.checked({ kind: "ok" }, 2710);
    s.reloadedOk(2720);
    s.until(5000);
    expect(s.all("restart")).toEqual([]);
    expect(s.reported().map((o) => o.kind)).toEqual(["reloaded"]);
  });

  test("a save reaching an app that hung a moment before: the check hangs, and at 3 s the save restarts it", () => {
    const s = up();
    s.answers = false;
    s.until(1150); // the ping of 1100 is unanswered, but not yet for long
    s.save("/dep.ts", 1150);
    s.until(1151);
    expect(s.last("check")).toBeDefined();
    s.until(4151);
    expect(s.last("restart")).toEqual({ do: "restart", reason: { why: "unresponsive", files: ["/dep.ts"] }, graceMs: 0 });
  });

  test("a paused debugger is never taken for a hang: the save waits and runs when it resumes", () => {
    const s = up();
    s.answers = false;
    s.on({ t: "paused", paused: true }, 1000);
    s.until(5000);
    s.save("/dep.ts", 5000);
    s.save("/.sedX1a2", 5000.1, "other");
    s.until(5400);
    expect(s.all("restart")).toEqual([]);
    // Said once it has waited a moment, naming the app's file, not an editor's temp file.
    expect(s.reported()).toMatchObject([{ kind: "waiting", paused: true, files: ["/dep.ts"] }]);
    s.answers = true;
    s.on({ t: "paused", paused: false }, 6000);
    expect(s.last("check")!.files).toEqual(["/dep.ts", "/.sedX1a2"]);
  });

  test("under --inspect an app that answers nothing may be paused at a breakpoint: a save waits, R still restarts", () => {
    const s = up({ debugger: true });
    s.answers = false;
    s.until(2600);
    s.save("/dep.ts", 2600);
    s.until(9000);
    expect(s.all("restart")).toEqual([]);
    expect(s.reported()).toMatchObject([{ kind: "waiting", paused: false, files: ["/dep.ts"] }]);
    s.answers = true;
    s.on({ t: "pong" }, 9500);
    expect(s.last("check")!.files).toEqual(["/dep.ts"]);
    s.on({ t: "key", key: "R" }, 9600);
    expect(s.last("restart")!.reason).toEqual({ why: "key" });
  });

  test("a save held up only a moment (a debugger resumed just before) is not said as waiting", () => {
    const s = up({ debugger: true });
    s.answers = false;
    s.until(2600);
    s.save("/dep.ts", 2600);
    s.until(2700);
    s.answers = true;
    s.on({ t: "pong" }, 2750);
    s.until(3500);
    expect(s.reported("waiting")).toEqual([]);
    expect(s.last("check")!.files).toEqual(["/dep.ts"]);
  });

  test("a first start that waits for a debugger is never said to be long", () => {
    const s = new CoreSim({ firstStartWaits: true });
    s.answers = false;
    s.until(20_000);
    expect(s.reported()).toEqual([]);
  });

  test("pings count only when sent: a hmr-run process held up itself never blames the app", () => {
    const s = up();
    // No tick ran for 5 s (the hmr-run process was not scheduled): nothing was unanswered.
    s.save("/a.ts", 5000);
    s.until(5001);
    expect(s.last("check")).toBeDefined();
    expect(s.all("restart")).toEqual([]);
  });
});

describe("exits and crash loops", () => {
  test("process.exit in a saved module restarts; exiting again while starting waits for a save, which restarts it", () => {
    const s = up();
    s.save("/dep.ts", 2000);
    s.until(2001);
    s.checked({ kind: "ok" }, 2002);
    s.on({ t: "exited", code: 3, signal: null }, 2003);
    expect(s.last("restart")!.reason).toEqual({ why: "exited", code: 3, signal: null });
    s.on({ t: "spawned" }, 2100);
    s.on({ t: "exited", code: 3, signal: null }, 2200);
    expect(s.reported()).toMatchObject([{ kind: "down", cause: { why: "exited", when: "starting" }, after: { why: "exited" }, restarting: false }]);
    s.save("/dep.ts", 3000);
    s.until(3001);
    expect(s.last("restart")!.reason).toEqual({ why: "saved", files: ["/dep.ts"] });
  });

  test("a crash loop stops after 3 restarts with no save in between", () => {
    const s = up();
    let t = 2000;
    for (let i = 0; i < 4; i++) {
      s.on({ t: "exited", code: 1, signal: null }, t);
      if (i < 3) {
        s.on({ t: "spawned" }, t + 10);
        s.ready(t + 20);
      }
      t += 2000;
    }
    expect(s.all("restart")).toHaveLength(3);
    expect(s.reported("down")).toMatchObject([{ cause: { when: "again" } }]);
  });

  test("the moment the app process is gone, its addresses are held (connections wait instead of being refused)", () => {
    const s = up();
    s.on({ t: "gone" }, 2000);
    expect(s.fresh()).toEqual([{ do: "hold" }]);
    s.on({ t: "exited", code: 1, signal: null }, 2010);
    s.on({ t: "spawned" }, 2050);
    s.ready(2300);
    expect(s.fresh().filter((c) => c.do === "serve")).toEqual([{ do: "serve" }]);
  });

  test("a log line written next to the code never restarts an app that is down", () => {
    const s = up();
    s.on({ t: "exited", code: 1, signal: null }, 150);
    s.save("/app.log", 2000, "other");
    s.until(2100);
    expect(s.all("restart")).toEqual([]);
  });

  test("an app that cannot start at all (a port in use) ends hmr-run with one line", () => {
    const s = new CoreSim();
    s.on({ t: "fatal", message: "port 3000 is already in use" }, 50);
    s.on({ t: "exited", code: 2, signal: null }, 51);
    expect(s.last("fatal")).toEqual({ do: "fatal", message: "port 3000 is already in use" });
  });
});

describe("stopping", () => {
  test("Ctrl+C goes to the app; its exit code is hmr-run's", () => {
    const s = up();
    s.on({ t: "signal", signal: "SIGINT" }, 1000);
    expect(s.fresh()).toEqual([{ do: "report", outcome: { kind: "stopping", signal: "SIGINT" } }, { do: "signal", signal: "SIGINT" }]);
    s.on({ t: "exited", code: 7, signal: null }, 1050);
    expect(s.last("exit")).toEqual({ do: "exit", code: 7 });
  });

  test("an app ended by the signal ends hmr-run by it too (130 for SIGINT)", () => {
    const s = up();
    s.on({ t: "signal", signal: "SIGTERM" }, 1000);
    s.on({ t: "exited", code: null, signal: "SIGTERM" }, 1050);
    expect(s.last("exit")).toEqual({ do: "exit", code: 143, signal: "SIGTERM" });
  });

  test("hmr-run's part is bounded; an app handling the signal gets its own bound on top", () => {
    const s = up();
    s.on({ t: "signal", signal: "SIGINT" }, 1000);
    s.until(3499);
    expect(s.all("kill")).toEqual([]);
    s.until(3500);
    expect(s.all("kill")).toHaveLength(1);
    const t = up();
    t.on({ t: "signal", signal: "SIGINT" }, 1000);
    t.on({ t: "stopping", handled: true }, 1001);
    t.until(8499);
    expect(t.all("kill")).toEqual([]);
    t.until(8500);
    expect(t.all("kill")).toHaveLength(1);
    // One line says the app's shutdown ran past its bound.
    expect(t.reported("stopping")).toMatchObject([{ signal: "SIGINT" }, { signal: "SIGINT", cutOff: 7500 }]);
    t.on({ t: "exited", code: null, signal: "SIGKILL" }, 8510);
    expect(t.last("exit")).toEqual({ do: "exit", code: 130, signal: "SIGINT" });
  });

  test("saves still settling when Ctrl+C comes are dropped: nothing is checked, and the core sleeps until the stop's bound", () => {
    const s = up();
    s.save("/a.ts", 1000);
    s.on({ t: "signal", signal: "SIGINT" }, 1000.5);
    expect(s.core.wakeAt()).toBe(3500.5);
    s.until(3400);
    expect(s.all("check")).toEqual([]);
  });

  test("a second Ctrl+C kills the app and exits 130 at once", () => {
    const s = up();
    s.on({ t: "signal", signal: "SIGINT" }, 1000);
    s.on({ t: "signal", signal: "SIGINT" }, 1100);
    expect(s.fresh().slice(-3)).toEqual([{ do: "report", outcome: { kind: "stopping", signal: "SIGINT", forced: true } }, { do: "kill" }, { do: "exit", code: 130 }]);
  });

  test("q + Enter and a closed MCP stdin stop hmr-run's way: dispose hooks, exit 0", () => {
    const s = up();
    s.on({ t: "key", key: "q" }, 1000);
    expect(s.last("stop")).toEqual({ do: "stop" });
    s.on({ t: "exited", code: 0, signal: null }, 1010);
    expect(s.last("exit")).toEqual({ do: "exit", code: 0 });
  });
});

describe("settle policy", () => {
  const o = { settleMs: 1, multiSettleMs: 12, stormSettleMs: 150, stormWindowMs: 100, maxWaitMs: 500 };

  test("a save goes out after 1 ms of quiet; what follows the batch just sent is gathered briefly", () => {
    const s = new Settle(o);
    expect(s.change(1000, 1)).toEqual({ wait: 1, overdue: false });
    s.flushed(1000.1, false);
    expect(s.change(1005, 1)).toEqual({ wait: 12, overdue: false });
    expect(s.change(1006, 2)).toEqual({ wait: 12, overdue: false });
    s.flushed(1018, false);
    expect(s.change(2000, 1)).toEqual({ wait: 1, overdue: false });
  });

  test("a follow-up that is followed again is a storm: gathered for 150 ms, flushed at least every 500 ms", () => {
    const s = new Settle(o);
    s.change(0, 1);
    s.flushed(0.1, false);
    expect(s.change(9, 1)).toEqual({ wait: 12, overdue: false });
    s.flushed(21, false);
    expect(s.change(30, 1)).toEqual({ wait: 150, overdue: false });
    expect(s.change(600, 2)).toEqual({ wait: 0, overdue: true });
    s.flushed(600, true);
    expect(s.change(650, 1).wait).toBe(150);
    s.flushed(800, false);
    expect(s.change(1000, 1).wait).toBe(1);
  });
});
