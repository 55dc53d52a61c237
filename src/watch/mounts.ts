/**
 * Which watched paths sit on mounts that deliver no file events. inotify only sees
 * changes made through this kernel: a file saved on the other side of a network or
 * VM share (NFS, SMB, 9p as in WSL2's /mnt/c and many Docker setups, FUSE, VirtualBox
 * and VMware shared folders) never raises one. Those paths are polled instead.
 */
import { readFileSync } from "node:fs";
import { isUnder } from "../paths.ts";

/** One line of /proc/self/mountinfo (or /proc/mounts): where, and which file system. */
export interface Mount {
  point: string;
  type: string;
}

/** File systems whose remote or host-side changes raise no inotify events. */
export function noEvents(type: string): boolean {
  return NO_EVENTS.has(type) || type === "fuse" || type.startsWith("fuse.");
}
const NO_EVENTS = new Set(["9p", "nfs", "nfs4", "cifs", "smb3", "smbfs", "drvfs", "vboxsf", "vmhgfs", "prl_fs"]);

/** Parses /proc/self/mountinfo (`id parent dev root point opts [tags] - type source opts`) or /proc/mounts. */
export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(" ");
    const dash = f.indexOf("-");
    if (dash > 4 && f[4] && f[dash + 1]) out.push({ point: unescape(f[4]), type: f[dash + 1]! });
    else if (dash < 0 && f.length >= 3 && f[1]!.startsWith("/")) out.push({ point: unescape(f[1]!), type: f[2]! });
  }
  return out;
}

/** The kernel writes space, tab, newline and backslash in mount points as octal escapes. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mount holding `path`: the longest mount point above it (the last one mounted wins). */
export function mountOf(path: string, mounts: Mount[]): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) if (isUnder(path, m.point) && (!best || m.point.length >= best.point.length)) best = m;
  return best;
}

/** Why `path` must be polled, in a few words, or undefined when file events arrive there. */
export function whyPoll(path: string, mounts: Mount[], wsl: boolean): string | undefined {
  const m = mountOf(path, mounts);
  if (m && noEvents(m.type)) return `on a mount of type ${m.type} (${m.point})`;
  // WSL's Windows drives: events for saves made by Windows programs never arrive.
  if (wsl && /^\/mnt\/[a-z](\/|$)/i.test(path)) return "on a Windows drive under WSL";
  return undefined;
}

/** The mounts of this machine (empty where /proc does not exist: macOS, Windows). */
export function readMounts(): Mount[] {
  for (const file of ["/proc/self/mountinfo", "/proc/mounts"]) {
    try {
      return parseMounts(readFileSync(file, "utf8"));
    } catch {
      continue; // Not Linux, or /proc not mounted: try the next, else no mounts known.
    }
  }
  return [];
}

/** Running under WSL (Microsoft's kernel or its variables)? */
export function isWsl(env = process.env): boolean {
  if (process.platform !== "linux") return false;
  if (env.WSL_DISTRO_NAME || env.WSL_INTEROP) return true;
  try {
    return /microsoft/i.test(readFileSync("/proc/version", "utf8"));
  } catch {
    return false; // No /proc/version: not WSL.
  }
}
