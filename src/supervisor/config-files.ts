/**
 * Files Bun reads once when a process starts (dependencies, resolution, transpiler
 * settings): no hot reload can apply an edit to them, a restart can.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_NAMES } from "../core/kind.ts";

/** Remembers each config file's content, so a save that changes nothing (or a touch) restarts nothing. */
export class ConfigFiles {
  private readonly known = new Map<string, number | bigint | undefined>();
  /** The config files of the project folders, watched even when outside the include paths. */
  readonly paths: string[];

  constructor(dirs: string[]) {
    this.paths = [...new Set(dirs)].flatMap((d) => CONFIG_NAMES.map((n) => join(d, n)));
    for (const p of this.paths) this.known.set(p, hashOf(p));
  }

  /** True when `path` differs from last time (a config file first seen now counts as changed). */
  changed(path: string): boolean {
    const had = this.known.has(path);
    const before = this.known.get(path);
    const now = hashOf(path);
    this.known.set(path, now);
    return !had || now !== before;
  }
}

function hashOf(path: string): number | bigint | undefined {
  try {
    return Bun.hash(readFileSync(path));
  } catch {
    return undefined; // Missing (or unreadable): creating it later is a change.
  }
}
