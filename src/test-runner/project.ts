/**
 * What `bun test` would run in this project, found the way Bun finds it (measured on
 * Bun 1.4.5): `*.test.*`, `*_test.*`, `*.spec.*`, `*_spec.*` files under the test root,
 * skipping `node_modules` and hidden folders; path filters match a substring of the
 * relative path, or, when they start with `./`, `../` or `/`, a file or folder.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { TestArgs } from "./args.ts";

const TEST_FILE = /[._](?:test|spec)\.(?:[cm]?[jt]sx?)$/;

/** Does this file name look like a test file to `bun test`? */
export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path) && !path.includes(`${sep}node_modules${sep}`);
}

/** The project settings that decide which files run and which changes run everything. */
export class Project {
  /** Where test discovery starts (`[test] root` in bunfig.toml, else the project folder). */
  testRoot: string;
  /** Preload modules (bunfig `preload`, `[test] preload`, `--preload`), absolute. */
  preloads: string[] = [];
  private ignore: Bun.Glob[] = [];
  /** Files whose change runs every test: bunfig, package.json, tsconfig, env files. */
  readonly configFiles: Set<string>;
  readonly bunfig: string;

  constructor(readonly args: TestArgs) {
    const cwd = args.cwd;
    this.testRoot = cwd;
    this.bunfig = resolve(cwd, args.config ?? "bunfig.toml");
    const env = [".env", ".env.local", ".env.test", ".env.test.local", ...args.envFiles];
    this.configFiles = new Set([this.bunfig, ...["package.json", "tsconfig.json", ...env].map((f) => resolve(cwd, f))]);
    this.reload();
  }

  /** Re-reads bunfig.toml (after it changed). Throws with the file name when it does not parse. */
  reload(): void {
    const { cwd } = this.args;
    let test: Record<string, unknown> = {};
    let top: Record<string, unknown> = {};
    if (existsSync(this.bunfig)) {
      try {
        top = Bun.TOML.parse(readFileSync(this.bunfig, "utf8")) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`${relative(cwd, this.bunfig)} does not parse: ${(err as Error).message}`);
      }
      test = (top.test as Record<string, unknown>) ?? {};
    }
    const base = dirname(this.bunfig);
    this.testRoot = typeof test.root === "string" ? resolve(base, test.root) : cwd;
    const fromConfig = [...list(top.preload), ...list(test.preload)].map((p) => [p, base] as const);
    const fromArgs = this.args.preloads.map((p) => [p, cwd] as const);
    this.preloads = [...fromConfig, ...fromArgs].flatMap(([p, dir]) => {
      try {
        return [Bun.resolveSync(p, dir)];
      } catch {
        return []; // bun test reports a preload it cannot find; nothing to watch here.
      }
    });
    this.ignore = [...list(test.pathIgnorePatterns), ...this.args.ignore].map((g) => new Bun.Glob(g));
  }

  /** Is `file` (absolute) a test file that this `hmr-run test` runs? */
  selects(file: string): boolean {
    if (!isTestFile(file)) return false;
    const rel = relative(this.args.cwd, file);
    const fromRoot = relative(this.testRoot, file);
    if (fromRoot.startsWith("..") || hidden(fromRoot)) return false;
    if (this.ignore.some((g) => g.match(rel))) return false;
    const { filters, cwd } = this.args;
    if (filters.length === 0) return true;
    return filters.some((f) => {
      if (!/^(?:\.{1,2}\/|\/)/.test(f)) return rel.includes(f);
      const target = resolve(cwd, f);
      return file === target || file.startsWith(target.endsWith(sep) ? target : target + sep);
    });
  }

  /** Every test file this run covers, by walking the test root once. */
  findTests(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // A folder removed or unreadable mid-walk holds no tests we could run.
      }
      for (const e of entries) {
        if (e.name.startsWith(".") || e.name === "node_modules") continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && this.selects(p)) out.push(p);
      }
    };
    walk(this.testRoot);
    return out.sort();
  }
}

function list(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function hidden(rel: string): boolean {
  return rel.split(sep).some((part) => part.startsWith(".") && part !== "." && part !== "..");
}
