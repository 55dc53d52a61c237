/**
 * What /proc says about a process and its children: the tree itself and the inotify
 * watches it holds. Shared by the benchmarks and the watcher tests (Linux only).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** `pid` and all its descendants, from the parent ids in /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // Exited while listing.
    }
    // The command name (field 2) may hold spaces and parentheses: parse after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(name));
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** inotify watches held by the processes `pids`, counted from their fdinfo. */
export function inotifyWatchesOf(pids: number[]): number {
  let n = 0;
  for (const p of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue; // Exited meanwhile.
    }
    for (const fd of fds) {
      try {
        if (!readlinkSync(`/proc/${p}/fd/${fd}`).includes("inotify")) continue;
        n += readFileSync(`/proc/${p}/fdinfo/${fd}`, "utf8").split("\n").filter((l) => l.startsWith("inotify wd:")).length;
      } catch {
        continue; // Closed meanwhile (the fd readdir itself used, for one).
      }
    }
  }
  return n;
}

/** inotify watches held by `pid` and its descendants (hmr-run and its app process). */
export const inotifyWatches = (pid: number): number => inotifyWatchesOf(processTree(pid));
