/**
 * The watcher's sources: mount detection from mountinfo text, polling rounds on a real
 * folder, and the OS watch's cost counted in inotify watches (/proc/self/fdinfo), which
 * must not grow with node_modules.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync, watch } from "node:fs";
import { join } from "node:path";
import { mountOf, noEvents, parseMounts, whyPoll } from "../src/watch/mounts.ts";
import { PollWatch } from "../src/watch/poll-watch.ts";
import { OsWatch } from "../src/watch/os-watch.ts";
import { limitMessage, WatchLimitError } from "../src/watch/source.ts";
import { Watcher, watchSet } from "../src/watcher.ts";
import { makeScope } from "../src/loader/scope.ts";
import { Fixture } from "./support/fixture.ts";
import { inotifyWatchesOf } from "../bench/lib/proc.ts";

const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
61 27 0:52 / /mnt/c rw,noatime - 9p drvfs rw,dirsync,aname=drvfs;path=C:\\
62 27 0:53 / /srv/nfs rw,relatime shared:5 - nfs4 server:/export rw,vers=4.2
63 62 0:54 / /srv/nfs/local rw,relatime - ext4 /dev/vdb rw
64 27 0:55 / /home/me/My\\040Share rw - cifs //nas/share rw
65 27 0:56 / /home/me/remote rw - fuse.sshfs me@host: rw
66 27 0:57 / /app rw - virtiofs myfs rw`;

describe("mounts", () => {
  const mounts = parseMounts(MOUNTINFO);

  test("mountinfo and /proc/mounts lines parse into mount point and type", () => {
    expect(mounts.find((m) => m.point === "/home/me/My Share")?.type).toBe("cifs");
    expect(parseMounts("server:/export /srv/nfs nfs4 rw,vers=4.2 0 0\n/dev/vda / ext4 rw 0 0")).toEqual([
      { point: "/srv/nfs", type: "nfs4" },
      { point: "/", type: "ext4" },
    ]);
  });

  test("the longest mount point above a path holds it", () => {
    expect(mountOf("/srv/nfs/app/main.ts", mounts)?.type).toBe("nfs4");
    expect(mountOf("/srv/nfs/local/app", mounts)?.type).toBe("ext4");
    expect(mountOf("/srv/nfsx", mounts)?.type).toBe("ext4");
  });

  test("network, VM and FUSE mounts are polled; local disks and WSL's own files are not", () => {
    for (const t of ["9p", "nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "vboxsf"]) expect(noEvents(t)).toBe(true);
    for (const t of ["ext4", "btrfs", "xfs", "tmpfs", "overlay", "virtiofs"]) expect(noEvents(t)).toBe(false);
    expect(whyPoll("/mnt/c/Users/me/app", mounts, true)).toBe("on a mount of type 9p (/mnt/c)");
    expect(whyPoll("/home/me/remote/app", mounts, false)).toBe("on a mount of type fuse.sshfs (/home/me/remote)");
    expect(whyPoll("/home/me/app", mounts, true)).toBeUndefined();
    // WSL1 shows Windows drives as drvfs, or a mount table may be missing: /mnt/<letter> still polls.
    expect(whyPoll("/mnt/d/app", [], true)).toBe("on a Windows drive under WSL");
    expect(whyPoll("/mnt/d/app", [], false)).toBeUndefined();
  });

  test("the limit line names the setting and how to raise it, in one line", () => {
    const line = limitMessage(new WatchLimitError("ENOSPC"), 300);
    expect(line).toContain("fs.inotify.max_user_watches");
    expect(line).toContain("sudo sysctl fs.inotify.max_user_watches=");
    expect(line).toContain("polling every 300 ms");
    expect(line).not.toContain("\n");
    if (process.platform === "linux") expect(limitMessage(new WatchLimitError("EMFILE"), 300)).toContain("fs.inotify.max_user_instances");
  });
});

const fx = new Fixture({ "main.ts": "", "src/a.ts": "", "src/deep/b.ts": "", ".git/HEAD": "", "gen/x.ts": "" }, { nodeModules: false });
for (let i = 0; i < 60; i++) mkdirSync(fx.path(`node_modules/pkg${i}/lib`), { recursive: true });
afterAll(() => fx.cleanup());
const scope = makeScope([fx.dir], [fx.path("gen")], fx.dir);

describe("polling", () => {
  test("a round reports changed, new, removed files and new folders; never node_modules, .git or excluded trees", () => {
    const seen: string[] = [];
    const poll = new PollWatch(watchSet(scope, [fx.path("../outside.env")]), 1_000_000);
    poll.start((p) => seen.push(p));
    try {
      poll.round();
      expect(seen).toEqual([]);
      writeFileSync(fx.path("src/a.ts"), "export const a = 1;\n");
      writeFileSync(fx.path("src/new.ts"), "");
      mkdirSync(fx.path("src/more"));
      writeFileSync(fx.path("src/more/c.ts"), "");
      rmSync(fx.path("src/deep"), { recursive: true });
      writeFileSync(fx.path("node_modules/pkg1/lib/x.js"), "");
      writeFileSync(fx.path(".git/HEAD"), "ref");
      writeFileSync(fx.path("gen/x.ts"), "1");
      poll.round();
      expect(seen.sort()).toEqual(["src/a.ts", "src/deep/b.ts", "src/more/c.ts", "src/new.ts"].map((f) => fx.path(f)));
      seen.length = 0;
      // A single file outside the tree is watched even while it does not exist.
      writeFileSync(fx.path("../outside.env"), "A=1");
      poll.round();
      expect(seen).toEqual([fx.path("../outside.env")]);
    } finally {
      poll.close();
      rmSync(fx.path("../outside.env"), { force: true });
    }
  });
});


describe.if(process.platform === "linux")("OS watch (inotify)", () => {
  test("one watch per project folder, none in node_modules, .git or excluded trees; new folders join", async () => {
    const before = inotifyWatchesOf([process.pid]);
    const seen: string[] = [];
    const os = new OsWatch(watchSet(scope));
    os.start((p) => seen.push(p));
    try {
      // The root, src and src/deep or src/more (whatever the polling test left): not 60+ node_modules folders.
      const folders = 1 + readdirSync(fx.path("src"), { withFileTypes: true }).filter((e) => e.isDirectory()).length + 1;
      expect(inotifyWatchesOf([process.pid]) - before).toBe(folders);
      expect(os.size).toBe(folders);
      mkdirSync(fx.path("src/later/deeper"), { recursive: true });
      writeFileSync(fx.path("src/later/deeper/d.ts"), "");
      const end = Date.now() + 5000;
      while (Date.now() < end && !seen.includes(fx.path("src/later/deeper/d.ts"))) await Bun.sleep(5);
      expect(seen).toContain(fx.path("src/later/deeper/d.ts"));
      while (Date.now() < end && inotifyWatchesOf([process.pid]) - before !== folders + 2) await Bun.sleep(5);
      expect(inotifyWatchesOf([process.pid]) - before).toBe(folders + 2);
      rmSync(fx.path("src/later"), { recursive: true });
      while (Date.now() < end && os.size !== folders) await Bun.sleep(5);
      expect(os.size).toBe(folders);
    } finally {
      os.close();
    }
    expect(inotifyWatchesOf([process.pid])).toBe(before);
  });

  test("the macOS and Windows way (one recursive watch per root) reports saves deep in the tree", async () => {
    const seen: string[] = [];
    const os = new OsWatch(watchSet(scope), false);
    os.start((p) => seen.push(p));
    try {
      expect(os.size).toBe(1);
      mkdirSync(fx.path("src/rec/deep"), { recursive: true });
      writeFileSync(fx.path("src/rec/deep/e.ts"), "");
      const end = Date.now() + 5000;
      while (Date.now() < end && !seen.includes(fx.path("src/rec/deep/e.ts"))) await Bun.sleep(5);
      expect(seen).toContain(fx.path("src/rec/deep/e.ts"));
    } finally {
      os.close();
      rmSync(fx.path("src/rec"), { recursive: true });
    }
  });

  test("a watch limit falls back to polling with one line; saves are still seen", async () => {
    const lines: string[] = [];
    const batches: string[][] = [];
    let calls = 0;
    // The third folder's watch fails as inotify does once max_user_watches is reached.
    const limited = ((...args: Parameters<typeof watch>) => {
      if (++calls === 3) throw Object.assign(new Error("ENOSPC: no space left on device, watch"), { code: "ENOSPC" });
      return watch(...args);
    }) as typeof watch;
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const w = new Watcher(scope, (path) => batches.push([path]), { log, watchFn: limited, pollMs: 20 });
    w.start();
    try {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("fs.inotify.max_user_watches");
      expect(w.kinds).toEqual(["poll"]);
      writeFileSync(fx.path("src/a.ts"), "export const a = 2;\n");
      const end = Date.now() + 5000;
      while (Date.now() < end && !batches.flat().includes(fx.path("src/a.ts"))) await Bun.sleep(5);
      expect(batches.flat()).toContain(fx.path("src/a.ts"));
    } finally {
      w.close();
    }
  });

  test("a network mount inside a watched folder is polled, the rest keeps file events", async () => {
    const lines: string[] = [];
    const batches: string[][] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    // Docker's `-v ./src:/app/src`: the project folder is local, src is a host share.
    const mounts = () => ({ mounts: [{ point: "/", type: "ext4" }, { point: fx.path("src"), type: "fuse.grpcfuse" }], wsl: false });
    const before = process.platform === "linux" ? inotifyWatchesOf([process.pid]) : 0;
    const w = new Watcher(scope, (path) => batches.push([path]), { log, mounts, pollMs: 20 });
    w.start();
    try {
      expect(w.kinds.sort()).toEqual(["os", "poll"]);
      // Only the project folder itself holds an OS watch: nothing under src does.
      if (process.platform === "linux") expect(inotifyWatchesOf([process.pid]) - before).toBe(1);
      expect(lines).toEqual([`polling for changes every 20 ms: ${fx.path("src")} is on a mount of type fuse.grpcfuse (${fx.path("src")}), where file events do not arrive`]);
      writeFileSync(fx.path("src/a.ts"), "export const a = 3;\n");
      writeFileSync(fx.path("main.ts"), "export {}; // again\n");
      const end = Date.now() + 5000;
      const seen = () => batches.flat();
      while (Date.now() < end && !(seen().includes(fx.path("src/a.ts")) && seen().includes(fx.path("main.ts")))) await Bun.sleep(5);
      expect(seen()).toContain(fx.path("src/a.ts"));
      expect(seen()).toContain(fx.path("main.ts"));
    } finally {
      w.close();
    }
  });
});

describe("polling turns on by itself", () => {
  test("a root on a network mount is polled, with one line saying so", async () => {
    const lines: string[] = [];
    const batches: string[][] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const mounts = () => ({ mounts: [{ point: "/", type: "ext4" }, { point: fx.dir, type: "nfs4" }], wsl: false });
    const w = new Watcher(scope, (path) => batches.push([path]), { log, mounts, pollMs: 20 });
    w.start();
    try {
      expect(w.kinds).toEqual(["poll"]);
      expect(lines).toEqual([`polling for changes every 20 ms: ${fx.dir} is on a mount of type nfs4 (${fx.dir}), where file events do not arrive`]);
      writeFileSync(fx.path("main.ts"), "export {};\n");
      const end = Date.now() + 5000;
      while (Date.now() < end && !batches.flat().includes(fx.path("main.ts"))) await Bun.sleep(5);
      expect(batches.flat()).toContain(fx.path("main.ts"));
    } finally {
      w.close();
    }
  });
});
