/**
 * The source text of each kind of generated module, about 50 lines each, written the
 * way a person would: typed options, a class with a cache, validation, formatting.
 * Each module that runs adds one to `globalThis.__benchRuns` (types-only modules are
 * erased by `import type` and never run).
 */

const COUNT = `(globalThis as any).__benchRuns = ((globalThis as any).__benchRuns ?? 0) + 1;`;

/** Every module that runs imports the shared settings: the wide edit changes them. */
const SHARED = (from: "." | "..") => `import { SHARED } from "${from}/shared.ts";`;

/** Settings every module reads (a config object, a logger's name): changing its exports reaches every module. */
export function sharedModule(): string {
  return `// Settings read by every module.
${COUNT}

export const SHARED = "";
export const settings = { currency: "EUR", pageSize: 20, name: SHARED };
`;
}

/** Interfaces only: imported with `import type`, so nothing of it runs. */
export function typesModule(t: number): string {
  return `// Shared shapes of domain ${t}.
export interface Entity${t} {
  id: number;
  name: string;
  price: number;
  tags: string[];
  createdAt?: string;
}

export interface Page${t}<T> {
  items: T[];
  page: number;
  size: number;
  total: number;
}

export type Sort${t} = "name" | "price" | "id";

export interface Query${t} {
  search?: string;
  sort?: Sort${t};
  page?: number;
  size?: number;
  tags?: string[];
}

export interface Audit${t} {
  actor: string;
  action: "create" | "update" | "delete";
  at: number;
  diff: Record<string, [unknown, unknown]>;
}

export interface Settings${t} {
  currency: "EUR" | "USD" | "GBP";
  locale: string;
  pageSize: number;
  features: Record<string, boolean>;
}

export type Result${t}<T> = { ok: true; value: T } | { ok: false; error: string };
`;
}

/** A data table of 30 rows, as a seed file or fixture would hold. */
export function tableModule(b: number, rand: () => number): string {
  const words = ["alpha", "bravo", "cedar", "delta", "ember", "fjord", "gamma", "harbor", "iris", "juniper"];
  const rows: string[] = [];
  for (let i = 0; i < 30; i++) {
    const name = `${words[Math.floor(rand() * words.length)]}-${b}-${i}`;
    const tags = [words[Math.floor(rand() * words.length)], words[Math.floor(rand() * words.length)]];
    rows.push(`  { id: ${b * 100 + i}, name: "${name}", price: ${(rand() * 500).toFixed(2)}, tags: ${JSON.stringify(tags)} },`);
  }
  return `${SHARED("..")}
${COUNT}

export const TABLE${b}_NAME = SHARED + "/b${b}";

export interface Row${b} {
  id: number;
  name: string;
  price: number;
  tags: string[];
}

export const table${b}: Row${b}[] = [
${rows.join("\n")}
];

export const table${b}ById = new Map(table${b}.map((r) => [r.id, r] as const));

export function table${b}Tagged(tag: string): Row${b}[] {
  return table${b}.filter((r) => r.tags.includes(tag));
}
`;
}

/** A helper module of the utils layer; level 0 imports no other util. */
export function utilModule(u: number, level: number, deps: number[], types: number): string {
  const imports = deps.map((d) => `import { u${d}Score, u${d}Mark } from "./u${d}.ts";`).join("\n");
  const score = deps.map((d) => ` + u${d}Score(x, { clamp: true })`).join("");
  const mark = deps.map((d) => ` + u${d}Mark()`).join("");
  return `// Number and text helpers, layer ${level}.
${imports}
import type { Entity${types} } from "../types/t${types}.ts";
${SHARED("..")}

${COUNT}

const MARK = "";
export const U${u}_NAME = SHARED + "/u${u}";
export const U${u}_LIMIT = ${100 + u};

export interface U${u}Options {
  precision: number;
  clamp: boolean;
}

const defaults: U${u}Options = { precision: 2, clamp: false };

export function u${u}Score(x: number, opts: Partial<U${u}Options> = {}): number {
  const o = { ...defaults, ...opts };
  let v = x * ${(u % 7) + 1}${score};
  if (o.clamp) v = Math.max(-U${u}_LIMIT, Math.min(U${u}_LIMIT, v % U${u}_LIMIT));
  const f = 10 ** o.precision;
  return Math.round(v * f) / f;
}

export function u${u}Format(value: number, unit = "ms"): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1e6) return (value / 1e6).toFixed(1) + "M" + unit;
  if (abs >= 1e3) return (value / 1e3).toFixed(1) + "k" + unit;
  return value.toFixed(2) + unit;
}

export function u${u}Slug(input: string): string {
  return input
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, U${u}_LIMIT);
}

export function u${u}Top<T extends Pick<Entity${types}, "price">>(items: T[], n: number): T[] {
  return [...items].sort((a, b) => b.price - a.price).slice(0, Math.max(0, n));
}

/** What this module and everything below it answer with (edits show up here). */
export function u${u}Mark(): string {
  return MARK${mark};
}
`;
}

/** A service: a class with a cache over one table, built on utils and maybe another service. */
export function serviceModule(s: number, utils: number[], services: number[], table: number, types: number, startup: boolean): string {
  const lines = [
    ...utils.map((u) => `import { u${u}Score, u${u}Slug, u${u}Mark } from "../utils/u${u}.ts";`),
    ...services.map((x) => `import { s${x}Mark } from "./s${x}.ts";`),
    `import { table${table}, table${table}ById, type Row${table} } from "../tables/b${table}.ts";`,
    `import type { Page${types}, Query${types} } from "../types/t${types}.ts";`,
    SHARED(".."),
    ...(startup ? [`import { pool } from "../startup.ts";`] : []),
  ];
  const u0 = utils[0]!;
  const score = utils.map((u) => `u${u}Score(row.price)`).join(" + ");
  const mark = [...utils.map((u) => `u${u}Mark()`), ...services.map((x) => `s${x}Mark()`)].join(" + ");
  return `// Catalogue service ${s}.
${lines.join("\n")}

${COUNT}

const MARK = "";
export const S${s}_NAME = SHARED + "/s${s}";

export class Service${s} {
  private cache = new Map<number, Row${table} & { score: number; slug: string }>();

  get(id: number) {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = table${table}ById.get(id) ?? table${table}[id % table${table}.length]!;
    const out = { ...row, score: ${score}, slug: u${u0}Slug(row.name) };
    this.cache.set(id, out);
    return out;
  }

  list(q: Query${types} = {}): Page${types}<Row${table}> {
    const size = Math.min(Math.max(q.size ?? 10, 1), 100);
    const page = Math.max(q.page ?? 0, 0);
    let rows = table${table};
    if (q.search) rows = rows.filter((r) => r.name.includes(q.search!));
    if (q.tags?.length) rows = rows.filter((r) => q.tags!.every((t) => r.tags.includes(t)));
    const key = q.sort ?? "id";
    rows = [...rows].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
    return { items: rows.slice(page * size, page * size + size), page, size, total: rows.length };
  }

  clear(): void {
    this.cache.clear();
  }
}

export const service${s} = new Service${s}();${startup ? `\nexport const poolSize${s} = pool.size;` : ""}

export function s${s}Get(id: number) {
  return service${s}.get(id);
}

/** What this service and everything it uses answer with (edits show up here). */
export function s${s}Mark(): string {
  return MARK + ${mark};
}
`;
}

/** A route: parses the request, calls its services, answers JSON. Only the entry imports it. */
export function routeModule(r: number, services: number[], types: number): string {
  const imports = services.map((s) => `import { s${s}Get, s${s}Mark } from "../services/s${s}.ts";`).join("\n");
  const gets = services.map((s) => `s${s}Get(q.id)`).join(", ");
  const mark = services.map((s) => `s${s}Mark()`).join(" + ");
  return `// GET /r/${r}
${imports}
import type { Query${types}, Sort${types} } from "../types/t${types}.ts";
${SHARED("..")}

${COUNT}

const VERSION = "v0";
export const path = "/r/${r}";

const SORTS: Sort${types}[] = ["name", "price", "id"];

function parse(url: URL): Query${types} & { id: number } {
  const id = Number(url.searchParams.get("id") ?? ${r});
  const sort = url.searchParams.get("sort") as Sort${types} | null;
  const page = Number(url.searchParams.get("page") ?? 0);
  return {
    id: Number.isFinite(id) ? id : ${r},
    sort: sort && SORTS.includes(sort) ? sort : undefined,
    page: Number.isFinite(page) ? page : 0,
    search: url.searchParams.get("q") ?? undefined,
  };
}

export function handle(req: Request, url: URL): Response {
  if (req.method !== "GET") return new Response("method not allowed", { status: 405 });
  const q = parse(url);
  const items = [${gets}];
  return Response.json({
    route: ${r},
    version: VERSION,
    shared: SHARED,
    mark: ${mark},
    items: items.map((i) => ({ id: i.id, name: i.name, score: i.score })),
    query: q,
  });
}
`;
}

/** Stands in for loading a model or opening a DB pool: blocks start-up for \`ms\`. */
export function startupModule(ms: number): string {
  return `// Loads the expensive thing once: a model, a DB pool, a big index.
${COUNT}

// Sleep rather than spin: the wall-clock cost is what matters, and the machine is shared.
Bun.sleepSync(${ms});

export const pool = { size: 10, ready: true, loadedAt: Date.now() };
`;
}

/** A feature's router: the routes of one group, as Elysia's \`.group()\` or Hono's \`app.route()\` would hold them. */
export function routerModule(group: number, routes: number[]): string {
  const imports = routes.map((r) => `import * as r${r} from "../routes/r${r}.ts";`).join("\n");
  return `// Routes of feature ${group}.
${imports}
${SHARED("..")}

${COUNT}

export type Handler = (req: Request, url: URL) => Response;
export const G${group}_NAME = SHARED + "/g${group}";

export const routes${group}: Array<[string, Handler]> = [${routes.map((r) => `r${r}`).join(", ")}].map((m) => [m.path, m.handle]);
`;
}

/** The entry: a table of every router's routes, plus the benchmark's own endpoints. */
export function entryModule(groups: number, startup: boolean): string {
  const imports: string[] = [];
  const entries: string[] = [];
  for (let g = 0; g < groups; g++) {
    imports.push(`import { routes${g} } from "./routers/g${g}.ts";`);
    entries.push(`...routes${g}`);
  }
  return `${imports.join("\n")}
${SHARED(".")}
${startup ? `import "./startup.ts";\n` : ""}
${COUNT}
const g = globalThis as any;
g.__benchName = SHARED;
g.__benchBoot ??= crypto.randomUUID();

const table = new Map<string, (req: Request, url: URL) => Response>([${entries.join(", ")}]);

export default {
  port: Number(process.env.PORT ?? 3000),
  hostname: "127.0.0.1",
  fetch(req: Request): Response {
    const url = new URL(req.url);
    // The small JSON route of the serving benchmark.
    if (url.pathname === "/json") return Response.json({ ok: true, message: "hello", n: 42 });
    // How many modules ran in this process so far, and which process (bun --watch restarts).
    if (url.pathname === "/__runs") return Response.json({ runs: g.__benchRuns, boot: g.__benchBoot });
    if (url.pathname === "/__gc") {
      Bun.gc(true);
      return Response.json(process.memoryUsage());
    }
    const handler = table.get(url.pathname);
    return handler ? handler(req, url) : new Response("not found", { status: 404 });
  },
};
`;
}
