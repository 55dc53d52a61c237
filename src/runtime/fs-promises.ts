/** `node:fs/promises` as hmr-run's loader hands it to project modules: see `./fs.ts` for why. */
import fsp from "node:fs/promises";

export * from "node:fs/promises";
export default fsp;

export const readFile: typeof fsp.readFile = ((...args: unknown[]) => (fsp.readFile as Function)(...args)) as any;
export const readdir: typeof fsp.readdir = ((...args: unknown[]) => (fsp.readdir as Function)(...args)) as any;
export const glob: typeof fsp.glob = ((...args: unknown[]) => (fsp.glob as Function)(...args)) as any;
