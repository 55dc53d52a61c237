/**
 * Generates a realistic server app of N modules for the benchmarks: the entry imports
 * one router per feature (up to 20 routes each), routes import services, services import utils and tables, utils import lower utils in layers
 * (with fan-in: a few popular utils are imported by many), and `import type` pulls in
 * type-only modules. Every module that runs also imports `shared.ts` (settings, as a
 * config or logger module would be). Every module that runs counts itself on `globalThis`, so a
 * benchmark can ask the server how many modules ran for one edit.
 *
 * The same app runs unchanged under hmr-run, `bun --hot`, `bun --watch` and plain
 * `bun main.ts`: the entry default-exports Bun's `{ port, hostname, fetch }`.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { routeModule, routerModule, serviceModule, sharedModule, tableModule, typesModule, utilModule, entryModule, startupModule } from "./templates.ts";

export interface GenerateOptions {
  /** Total number of module files, entry included. */
  modules: number;
  /** Adds `startup.ts`, which costs this long at start-up (a model or DB pool load), in ms. */
  startupMs?: number;
  /** Seed of the pseudo-random wiring, so every run builds the same graph. */
  seed?: number;
}

/** A generated app on disk and the edits the benchmarks make to it. */
export interface GeneratedApp {
  dir: string;
  modules: number;
  /** Route whose own module is edited: only its router imports it. */
  leaf: { file: string; url: string };
  /** Deepest-layer util, and a route that reaches it through services and utils. */
  deep: { file: string; url: string; importers: number };
  /** Rewrites the leaf route so it answers with `token`; returns what to look for. */
  editLeaf(token: string): string;
  /** Rewrites the deep util's mark so every route above it answers with `token`. */
  editDeep(token: string): string;
  /** The module every module imports; its exports change in a wide edit. */
  wide: { file: string; url: string };
  /** Changes the exports of `shared.ts`, which every module imports; the leaf route answers with `token`. */
  editWide(token: string): string;
  cleanup(): void;
}

const UTIL_LEVELS = 4;
/** Routes per router module: a feature's worth, as one `.group()` would hold. */
const GROUP = 20;

/** Writes the app into a fresh temp folder. */
export function generateApp(o: GenerateOptions): GeneratedApp {
  const n = o.modules;
  const rand = mulberry32(o.seed ?? 1);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  // A few popular modules take half the picks: that is where fan-in comes from.
  const popular = <T>(xs: T[]) => (rand() < 0.5 ? xs[Math.floor(rand() * Math.max(1, Math.ceil(xs.length / 10)))]! : pick(xs));
  const distinct = <T>(count: number, draw: () => T) => {
    const out = new Set<T>();
    for (let i = 0; i < count * 4 && out.size < count; i++) out.add(draw());
    return [...out];
  };

  const types = Math.max(1, Math.round(n * 0.04));
  const tables = Math.max(1, Math.round(n * 0.06));
  const utils = Math.max(UTIL_LEVELS, Math.round(n * 0.3));
  const services = Math.max(1, Math.round(n * 0.25));
  const startup = o.startupMs !== undefined ? 1 : 0;
  // Routers take one module per GROUP routes: r + ceil(r / GROUP) = what is left.
  const left = n - 2 - startup - types - tables - utils - services;
  const routes = left - Math.ceil(left / (GROUP + 1));
  const groups = left - routes;
  if (routes < 1) throw new Error(`generateApp: ${n} modules is too few for every layer (need at least 12)`);

  const dir = realpathSync(mkdtempSync(join(tmpdir(), `hmr-run-bench-${n}-`)));
  const files = new Map<string, string>();

  for (let t = 0; t < types; t++) files.set(`types/t${t}.ts`, typesModule(t));
  for (let b = 0; b < tables; b++) files.set(`tables/b${b}.ts`, tableModule(b, rand));

  // Utils in layers: level 0 imports no util, level l imports 1 or 2 utils of level l-1
  // and sometimes one of any lower level.
  const levels: number[][] = Array.from({ length: UTIL_LEVELS }, () => []);
  for (let u = 0; u < utils; u++) levels[Math.floor((u * UTIL_LEVELS) / utils)]!.push(u);
  const utilDeps = new Map<number, number[]>();
  for (let l = 0; l < UTIL_LEVELS; l++) {
    for (const u of levels[l]!) {
      let deps: number[] = [];
      if (l > 0) {
        deps = distinct(1 + Math.floor(rand() * 2), () => popular(levels[l - 1]!));
        if (l > 1 && rand() < 0.4) deps = [...new Set([...deps, popular(levels[Math.floor(rand() * (l - 1))]!)])];
      }
      utilDeps.set(u, deps);
      files.set(`utils/u${u}.ts`, utilModule(u, l, deps, Math.floor(rand() * types)));
    }
  }

  const serviceDeps = new Map<number, { utils: number[]; services: number[] }>();
  const allUtils = [...Array(utils).keys()];
  for (let s = 0; s < services; s++) {
    const us = distinct(2 + Math.floor(rand() * 2), () => popular(allUtils));
    const ss = s > 0 && rand() < 0.3 ? [Math.floor(rand() * s)] : [];
    serviceDeps.set(s, { utils: us, services: ss });
    const usesStartup = startup === 1 && s % 10 === 0;
    files.set(`services/s${s}.ts`, serviceModule(s, us, ss, Math.floor(rand() * tables), Math.floor(rand() * types), usesStartup));
  }

  const allServices = [...Array(services).keys()];
  const routeDeps = new Map<number, number[]>();
  for (let r = 0; r < routes; r++) {
    const ss = distinct(1 + Math.floor(rand() * 2), () => popular(allServices));
    routeDeps.set(r, ss);
    files.set(`routes/r${r}.ts`, routeModule(r, ss, Math.floor(rand() * types)));
  }
  for (let g = 0; g < groups; g++) {
    const members = [...Array(routes).keys()].filter((r) => Math.floor((r * groups) / routes) === g);
    files.set(`routers/g${g}.ts`, routerModule(g, members));
  }
  if (startup) files.set("startup.ts", startupModule(o.startupMs!));
  files.set("shared.ts", sharedModule());
  files.set("main.ts", entryModule(groups, startup === 1));

  for (const [name, text] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }

  // The deep edit: a level-0 util with a middling number of importers, reached by a route.
  const importersOf = transitiveImporters(utilDeps, serviceDeps, routeDeps);
  const ranked = levels[0]!
    .map((u) => ({ u, ...importersOf(u) }))
    .filter((x) => x.routes.length > 0)
    .sort((a, b) => a.count - b.count);
  const deepPick = ranked[Math.floor(ranked.length / 2)];
  if (!deepPick) throw new Error(`generateApp: no route reaches a level-0 util in a ${n}-module app`);

  const leafRoute = Math.floor(routes / 2);
  const leafFile = join(dir, `routes/r${leafRoute}.ts`);
  const deepFile = join(dir, `utils/u${deepPick.u}.ts`);
  const sharedFile = join(dir, "shared.ts");
  const replaceLine = (file: string, re: RegExp, line: string) => {
    const text = readFileSync(file, "utf8");
    const next = text.replace(re, line);
    if (next === text && !text.includes(line)) throw new Error(`edit of ${file}: ${re} not found`);
    writeFileSync(file, next);
  };
  return {
    dir,
    modules: n,
    leaf: { file: leafFile, url: `/r/${leafRoute}` },
    // Plus the routers above those routes, plus the entry.
    deep: {
      file: deepFile,
      url: `/r/${deepPick.routes[0]}`,
      importers: deepPick.count + new Set(deepPick.routes.map((r) => Math.floor((r * groups) / routes))).size + 1,
    },
    editLeaf(token) {
      replaceLine(leafFile, /^const VERSION = ".*";$/m, `const VERSION = "${token}";`);
      return `"version":"${token}"`;
    },
    editDeep(token) {
      replaceLine(deepFile, /^const MARK = ".*";$/m, `const MARK = "<${token}>";`);
      return `<${token}>`;
    },
    wide: { file: sharedFile, url: `/r/${leafRoute}` },
    editWide(token) {
      replaceLine(sharedFile, /^export const SHARED = ".*";$/m, `export const SHARED = "${token}";`);
      return `"shared":"${token}"`;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** For a util: how many modules import it, directly or not, and which routes among them. */
function transitiveImporters(
  utilDeps: Map<number, number[]>,
  serviceDeps: Map<number, { utils: number[]; services: number[] }>,
  routeDeps: Map<number, number[]>,
) {
  return (util: number) => {
    const utilsHit = new Set([util]);
    for (const [u, deps] of [...utilDeps].sort((a, b) => a[0] - b[0])) {
      if (deps.some((d) => utilsHit.has(d))) utilsHit.add(u);
    }
    const servicesHit = new Set<number>();
    for (const [s, d] of [...serviceDeps].sort((a, b) => a[0] - b[0])) {
      if (d.utils.some((u) => utilsHit.has(u)) || d.services.some((x) => servicesHit.has(x))) servicesHit.add(s);
    }
    const routesHit = [...routeDeps].filter(([, ss]) => ss.some((s) => servicesHit.has(s))).map(([r]) => r);
    return { count: utilsHit.size - 1 + servicesHit.size + routesHit.length, routes: routesHit };
  };
}

/** A small seeded PRNG (mulberry32): the same seed wires the same app on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
