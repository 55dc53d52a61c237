/**
 * What a changed path is, from its name alone: the first fact the decision core needs
 * about a save (src/core/events.ts, FileKind).
 */
import { basename } from "node:path";
import type { FileKind } from "./events.ts";

/** Files Bun reads once when a process starts: an edit of one restarts the app (when its content changed). */
export const CONFIG_NAMES = ["package.json", "bun.lock", "bun.lockb", "bunfig.toml", "tsconfig.json", "jsconfig.json"];
const CONFIG = new Set(CONFIG_NAMES);
const CODE = /\.(?:[cm]?[jt]sx?)$/;
/** Data a module imports or reads, and env-style files an app may read itself. */
const DATA = /\.(?:json[c5]?|toml|ya?ml|env)$|(?:^|\/)\.env[^/]*$/;

/** The kind of `path`; `envFiles` are the env files the app process loads. */
export function kindOf(path: string, envFiles: readonly string[]): FileKind {
  if (envFiles.includes(path)) return "env";
  if (CONFIG.has(basename(path))) return "config";
  if (CODE.test(path)) return "code";
  if (DATA.test(path)) return "data";
  return "other";
}
