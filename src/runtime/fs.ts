/**
 * `node:fs` as hmr-run's loader hands it to project modules. Bun snapshots a builtin's ESM
 * namespace the first time anything imports it (before hmr-run can wrap the read functions),
 * while the default export is the live CommonJS object: so the named read functions are
 * re-exported here as calls through that object, where hmr-run notices the reads and
 * folder listings.
 */
import fs from "node:fs";

export * from "node:fs";
export default fs;

export const readFileSync: typeof fs.readFileSync = ((...args: unknown[]) => (fs.readFileSync as Function)(...args)) as any;
export const readFile: typeof fs.readFile = ((...args: unknown[]) => (fs.readFile as Function)(...args)) as any;
export const readdirSync: typeof fs.readdirSync = ((...args: unknown[]) => (fs.readdirSync as Function)(...args)) as any;
export const readdir: typeof fs.readdir = ((...args: unknown[]) => (fs.readdir as Function)(...args)) as any;
export const globSync: typeof fs.globSync = ((...args: unknown[]) => (fs.globSync as Function)(...args)) as any;
export const glob: typeof fs.glob = ((...args: unknown[]) => (fs.glob as Function)(...args)) as any;
