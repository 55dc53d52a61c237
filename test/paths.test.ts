/**
 * Path helpers and the loader filter with POSIX and Windows samples: the logic runs on
 * every OS, so Windows paths are checked here with `path.win32`, not on Windows only.
 */
import { describe, expect, test } from "bun:test";
import path from "node:path";
import { inDependencyTree, inNodeModules, isUnder, parentDir, shown, stem } from "../src/paths.ts";
import { inScope, loaderFilter } from "../src/loader/scope.ts";
import { isGlob, matchesGlob, parseGlob } from "../src/loader/globs.ts";

const { win32, posix } = path;

describe("paths", () => {
  test("shown: relative inside cwd, absolute outside, '.' for cwd", () => {
    expect(shown("/app/src/a.ts", "/app", posix)).toBe("src/a.ts");
    expect(shown("/app", "/app", posix)).toBe(".");
    expect(shown("/other/a.ts", "/app", posix)).toBe("/other/a.ts");
    expect(shown("/app/..hidden/a.ts", "/app", posix)).toBe("..hidden/a.ts");
    expect(shown("C:\\app\\src\\a.ts", "C:\\app", win32)).toBe("src\\a.ts");
    expect(shown("D:\\lib\\a.ts", "C:\\app", win32)).toBe("D:\\lib\\a.ts");
    expect(shown("C:\\lib\\a.ts", "C:\\app", win32)).toBe("C:\\lib\\a.ts");
  });

  test("parentDir and stem", () => {
    expect(parentDir("/app/src/a.ts", posix)).toBe("/app/src");
    expect(parentDir("C:\\app\\src\\a.ts", win32)).toBe("C:\\app\\src");
    expect(parentDir("C:/app/src/a.ts", win32)).toBe("C:/app/src");
    expect(stem("./lib/extra.test.ts", posix)).toBe("extra");
    expect(stem("C:\\app\\lib\\extra.ts", win32)).toBe("extra");
    expect(stem(".env", posix)).toBe(".env");
  });

  test("isUnder: whole segments, both separators on Windows", () => {
    expect(isUnder("/app/src/a.ts", "/app/src", posix)).toBe(true);
    expect(isUnder("/app/src", "/app/src", posix)).toBe(true);
    expect(isUnder("/app/srcx/a.ts", "/app/src", posix)).toBe(false);
    expect(isUnder("/app/a.ts", "/app/src", posix)).toBe(false);
    expect(isUnder("C:\\app\\src\\a.ts", "C:\\app\\src", win32)).toBe(true);
    expect(isUnder("C:/app/src/a.ts", "C:\\app\\src", win32)).toBe(true);
    expect(isUnder("C:\\app\\srcx\\a.ts", "C:\\app\\src", win32)).toBe(false);
    expect(isUnder("D:\\app\\src\\a.ts", "C:\\app\\src", win32)).toBe(false);
  });

  test("node_modules and .git are whole segments", () => {
    expect(inNodeModules("/app/node_modules/x/index.js", posix)).toBe(true);
    expect(inNodeModules("/app/my_node_modules/x.js", posix)).toBe(false);
    expect(inNodeModules("C:\\app\\node_modules\\x\\index.js", win32)).toBe(true);
    expect(inNodeModules("C:/app/node_modules/x/index.js", win32)).toBe(true);
    expect(inDependencyTree("C:\\app\\.git\\HEAD", win32)).toBe(true);
    expect(inDependencyTree("/app/.github/ci.ts", posix)).toBe(false);
  });
});

describe("loader filter", () => {
  const folders = () => false;
  test("POSIX: code under the include, not excluded, not in node_modules", () => {
    const re = loaderFilter({ include: ["/app"], exclude: ["/app/gen"] }, posix, folders);
    expect(re.test("/app/src/a.ts")).toBe(true);
    expect(re.test("/app/src/a.tsx?v=2")).toBe(true);
    expect(re.test("/app/src/a.json")).toBe(false);
    expect(re.test("/app/node_modules/x/index.js")).toBe(false);
    expect(re.test("/app/src/node_modules/x/index.js")).toBe(false);
    expect(re.test("/app/gen/a.ts")).toBe(false);
    expect(re.test("/app/generated/a.ts")).toBe(true);
    expect(re.test("/apps/a.ts")).toBe(false);
  });

  test("Windows: either separator, node_modules kept out", () => {
    const re = loaderFilter({ include: ["C:\\app"], exclude: ["C:\\app\\gen"] }, win32, folders);
    expect(re.test("C:\\app\\src\\a.ts")).toBe(true);
    expect(re.test("C:/app/src/a.ts")).toBe(true);
    expect(re.test("C:\\app\\node_modules\\x\\index.js")).toBe(false);
    expect(re.test("C:\\app\\gen\\a.ts")).toBe(false);
    expect(re.test("C:\\apps\\a.ts")).toBe(false);
  });

  test("an included file matches itself only", () => {
    const re = loaderFilter({ include: ["C:\\app\\main.ts"], exclude: [] }, win32, () => true);
    expect(re.test("C:\\app\\main.ts")).toBe(true);
    expect(re.test("C:/app/main.ts?x")).toBe(true);
    expect(re.test("C:\\app\\main.tsx")).toBe(false);
  });
});

describe("glob patterns in include and exclude", () => {
  const same = (p: string) => p;
  test("a pattern starts from its literal folder; no slash means any depth", () => {
    expect(parseGlob("src/**/fixtures", "/app", posix, same).root).toBe("/app/src");
    expect(parseGlob("**/*.gen.ts", "/app", posix, same).root).toBe("/app");
    expect(parseGlob("/abs/x/*.ts", "/app", posix, same).root).toBe("/abs/x");
    expect(parseGlob("..\\shared\\*.ts", "C:\\app", win32, same).root).toBe("C:\\shared");
    const anyDepth = parseGlob("*.gen.ts", "/app", posix, same);
    expect(matchesGlob(anyDepth, "/app/src/deep/a.gen.ts", posix)).toBe(true);
    expect(matchesGlob(anyDepth, "/app/a.gen.ts", posix)).toBe(true);
    expect(matchesGlob(anyDepth, "/app/a.ts", posix)).toBe(false);
  });

  test("a folder a pattern names covers what is inside; nothing outside its root matches", () => {
    const fixtures = parseGlob("src/**/fixtures", "/app", posix, same);
    expect(matchesGlob(fixtures, "/app/src/fixtures/a.ts", posix)).toBe(true);
    expect(matchesGlob(fixtures, "/app/src/a/b/fixtures/deep/a.ts", posix)).toBe(true);
    expect(matchesGlob(fixtures, "/app/src/a/fixtures2/a.ts", posix)).toBe(false);
    expect(matchesGlob(fixtures, "/app/test/fixtures/a.ts", posix)).toBe(false);
    const win = parseGlob("src/**/*.gen.ts", "C:\\app", win32, same);
    expect(matchesGlob(win, "C:\\app\\src\\x\\y.gen.ts", win32)).toBe(true);
    expect(matchesGlob(win, "D:\\app\\src\\y.gen.ts", win32)).toBe(false);
  });

  test("a path that exists is a path, even with brackets; scope mixes paths and globs", () => {
    expect(isGlob("app/[id]", "/app", (p) => p === "/app/app/[id]")).toBe(false);
    expect(isGlob("app/[id]", "/app", () => false)).toBe(true);
    expect(isGlob("src", "/app", () => false)).toBe(false);
    const scope = { include: ["/app/main.ts"], exclude: [], includeGlobs: [parseGlob("src/**/*.ts", "/app", posix, same)], excludeGlobs: [parseGlob("*.gen.ts", "/app", posix, same)] };
    expect(inScope("/app/main.ts", scope)).toBe(true);
    expect(inScope("/app/src/a/b.ts", scope)).toBe(true);
    expect(inScope("/app/src/a/b.gen.ts", scope)).toBe(false);
    expect(inScope("/app/src/a/b.json", scope)).toBe(false);
    expect(inScope("/app/src/node_modules/x/a.ts", scope)).toBe(false);
  });
});
