/**
 * Named imports checked against what their target exports, before anything is disposed:
 * renaming an export while a module still imports the old name would otherwise dispose
 * the importer, then fail in Bun's linker with no file:line ("Export named 'x' not found").
 * Exports come from `Bun.Transpiler#scan` of a changed module's new code, or from the
 * live namespace of a module that did not change.
 */
import { shown } from "../paths.ts";
import type { ModuleGraph } from "../graph.ts";
import { loaderFor, transform, type Loader } from "../loader/scan.ts";
import { withoutBom } from "../loader/rewrite.ts";
import { resolveImport } from "../loader/resolve.ts";

/** One binding a module takes by name: `import { a }`, `import d from`, `export { a } from`. */
export interface NamedImport {
  spec: string;
  name: string;
}

/** A module about to run again: its new text and the code Bun will run for it. */
export interface ChangedModule {
  text: string;
  code: string;
}

/** What the check reads about the running app. */
export interface ImportCheckHost {
  graph: ModuleGraph;
  /** The source each module last ran with. */
  sources: Map<string, string>;
  namespaceOf(path: string): Record<string, unknown> | undefined;
}

const IMPORT_LINE = /^(import|export)\s+((?:[^;{}"\n]|\{[^}]*\})*?)\s*from\s*"([^"\n]+)"/gm;
/** Output code is plain JavaScript: scanned as such, its exports are exactly Bun's. */
const outputScanner = new Bun.Transpiler({ loader: "js", target: "bun" });

/** The named imports of a module's transformed code (each statement at a line start, as Bun prints it). */
export function namedImports(code: string): NamedImport[] {
  const out: NamedImport[] = [];
  for (const [, kw, clause, spec] of code.matchAll(IMPORT_LINE)) {
    const brace = /\{([^}]*)\}/.exec(clause!);
    for (const part of brace?.[1]?.split(",") ?? []) {
      const p = part.trim();
      if (!p || p.startsWith("type ")) continue;
      out.push({ spec: spec!, name: p.split(/\s+as\s+/)[0]!.replace(/^["']|["']$/g, "") });
    }
    if (kw === "import" && /^[\w$]+\s*(,|$)/.test(clause!)) out.push({ spec: spec!, name: "default" });
  }
  return out;
}

/** What makes Bun run a module with no `import`/`export` as CommonJS, whose exports are known only once it runs. */
const COMMONJS = /\b(?:module|exports|require)\b/;

/**
 * The names a module's transformed code exports; undefined when that cannot be told
 * (`export *`, CommonJS). A module with no export statement and nothing of CommonJS in it
 * (a dropped `export`, an emptied or comment-only file) exports nothing: a named import
 * of it fails in Bun's linker, after the importers' dispose hooks ran.
 */
export function exportNames(code: string): Set<string> | undefined {
  if (/^export\s*\*\s*from/m.test(code)) return undefined;
  const { exports } = outputScanner.scan(code);
  if (exports.length === 0 && !/^export\b/m.test(code) && COMMONJS.test(code)) return undefined;
  return new Set(exports);
}

/** Scanners of a module's text; without `target: "bun"`, which drops code after a `throw` as dead. */
const textScanners = new Map<Loader, Bun.Transpiler>();
function textScanner(loader: Loader): Bun.Transpiler {
  let t = textScanners.get(loader);
  if (!t) textScanners.set(loader, (t = new Bun.Transpiler({ loader })));
  return t;
}

/**
 * The names a changed module will export. The transpiler drops statements after a
 * top-level `throw` from its output, exports included, while Bun's runtime still links
 * them (the module then throws, and the reload rolls back): names declared in the text
 * count too.
 */
function changedExports(path: string, m: ChangedModule, had?: Record<string, unknown>): Set<string> | undefined {
  const names = exportNames(m.code);
  if (!names) return undefined;
  // The text is scanned only when the output lacks a name the module exports now.
  if (had && Object.keys(had).every((k) => names.has(k))) return names;
  try {
    for (const n of textScanner(loaderFor(path) ?? "ts").scan(withoutBom(m.text)).exports) names.add(n);
  } catch {
    // The text did not scan (its transform did): the output's names are what is known.
  }
  return names;
}

/**
 * The first named import that will not link once the `changed` modules run: from a
 * changed module to any module, and from a module that did not change to one that lost
 * the name (a changed module, or a barrel that re-exports it with `export *`).
 * Undefined when every import links.
 */
export function brokenImport(changed: Map<string, ChangedModule>, host: ImportCheckHost): MissingExport | undefined {
  /** Names each module will no longer export: changed modules, and barrels passing them on. */
  const lost = new Map<string, Set<string>>();
  const exportsOf = new Map<string, Set<string> | undefined>();
  const exportsFor = (p: string): Set<string> | undefined => {
    if (!exportsOf.has(p)) {
      const m = changed.get(p);
      const ns = m === undefined ? host.namespaceOf(p) : undefined;
      let names = m !== undefined ? changedExports(p, m) : ns ? new Set(Object.keys(ns)) : undefined;
      const gone = lost.get(p);
      if (names && gone) names = new Set([...names].filter((n) => !gone.has(n)));
      exportsOf.set(p, names);
    }
    return exportsOf.get(p);
  };
  const checkModule = (importer: string, code: string, text: string, only?: string): MissingExport | undefined => {
    for (const imp of namedImports(code)) {
      const found = resolveImport(imp.spec, importer);
      if (!found || !("file" in found)) continue;
      const target = found.file;
      if ((only && target !== only) || !host.graph.has(target) || !loaderFor(target)) continue;
      const names = exportsFor(target);
      if (names && !names.has(imp.name)) return notExported(importer, target, imp, [...names], text);
    }
    return undefined;
  };
  const work: string[] = [];
  for (const [p, m] of changed) {
    const before = host.namespaceOf(p);
    if (!before) continue;
    const after = changedExports(p, m, before);
    if (!after) continue;
    const removed = Object.keys(before).filter((k) => !after.has(k));
    if (removed.length) {
      lost.set(p, new Set(removed));
      work.push(p);
    }
  }
  for (const [p, { code, text }] of changed) {
    const err = checkModule(p, code, text);
    if (err) return err;
  }
  // Importers that did not change matter only when a module they import lost names.
  const seen = new Set<string>(work);
  while (work.length) {
    const p = work.pop()!;
    const removed = [...lost.get(p)!];
    for (const importer of host.graph.importers(p, "static")) {
      const source = host.sources.get(importer);
      if (changed.has(importer) || source === undefined || !loaderFor(importer)) continue;
      // Transforming costs ~0.5 ms a module: only importers whose text names a removed
      // export or re-exports everything.
      const star = source.includes("export *");
      if (!star && !removed.includes("default") && !removed.some((n) => source.includes(n))) continue;
      let importerCode: string;
      try {
        importerCode = transform(importer, source);
      } catch {
        continue; // It ran before, so it parsed: a transpiler that changed since is not this save's fault.
      }
      const err = checkModule(importer, importerCode, source, p);
      if (err) return err;
      if (!star || seen.has(importer) || !reExportsAll(importerCode, p, importer)) continue;
      // A barrel passes the loss on, except names it exports itself.
      const own = new Set(outputScanner.scan(importerCode).exports);
      const passed = removed.filter((n) => n !== "default" && !own.has(n));
      if (!passed.length) continue;
      lost.set(importer, new Set(passed));
      exportsOf.delete(importer);
      seen.add(importer);
      work.push(importer);
    }
  }
  return undefined;
}

/** Whether `code` (of `from`) has `export * from` a specifier that resolves to `target`. */
function reExportsAll(code: string, target: string, from: string): boolean {
  for (const [, spec] of code.matchAll(/^export\s*\*\s*from\s*"([^"\n]+)"/gm)) {
    const found = resolveImport(spec!, from);
    if (found && "file" in found && found.file === target) return true;
  }
  return false;
}

/** A named import its target does not export; `position` points at it in the importer. */
export type MissingExport = SyntaxError & { importer: string; target: string; position?: unknown };

/** Bun's own wording, pointing at the import in the importer's text (for the code frame). */
function notExported(importer: string, target: string, imp: NamedImport, have: string[], text: string): MissingExport {
  // Names that look like the one asked for first: a rename is the usual cause.
  const stemOf = (n: string) => n.toLowerCase().slice(0, 5);
  const named = have.filter((n) => n !== "default").sort((a, b) => Number(stemOf(b) === stemOf(imp.name)) - Number(stemOf(a) === stemOf(imp.name)));
  const err = new SyntaxError(
    `${imp.name === "default" ? "no default export" : `export named '${imp.name}' not found`} in '${imp.spec}', imported by ${shown(importer)}` +
      ` (it exports: ${named.length ? named.slice(0, 8).join(", ") + (named.length > 8 ? `, and ${named.length - 8} more` : "") : "nothing by name"})`,
  ) as MissingExport;
  err.importer = importer;
  err.target = target;
  const lines = text.split("\n");
  const quoted = [`"${imp.spec}"`, `'${imp.spec}'`];
  const name = new RegExp(`\\b${escape(imp.name)}\\b`);
  for (let i = 0; i < lines.length; i++) {
    if (!quoted.some((q) => lines[i]!.includes(q))) continue;
    // The name may sit on an earlier line of a multi-line import.
    let at = i;
    if (imp.name !== "default") {
      for (let j = i; j >= Math.max(0, i - 50); j--) {
        if (name.test(lines[j]!)) {
          at = j;
          break;
        }
        if (j < i && /^\s*(import|export)\b/.test(lines[j]!)) break;
      }
      if (at === i && !name.test(lines[i]!)) continue;
    }
    const col = imp.name === "default" ? 0 : Math.max(0, lines[at]!.search(name));
    err.position = { file: importer, line: at + 1, column: col, lineText: lines[at] };
    break;
  }
  return err;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
