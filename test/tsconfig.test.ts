import { afterAll, expect, test } from "bun:test";
import { projectCompilerOptions } from "../src/loader/tsconfig.ts";
import { Fixture } from "./support/fixture.ts";

const fx = new Fixture({}, { nodeModules: false });
afterAll(() => fx.cleanup());

// The rules measured on Bun 1.4.5 (see src/loader/tsconfig.ts): each case is what Bun ran.
test("tsconfig.json of the folder Bun runs from, with its relative extends chain (JSONC)", () => {
  fx.write("a/base.json", `{ "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "preact", /* c */ }, }`);
  fx.write("a/cfg/mid.json", `{ "extends": "../base.json", "compilerOptions": { "jsxImportSource": "hono/jsx" } }`);
  fx.write("a/tsconfig.json", `// top\n{ "extends": "./cfg/mid.json", "compilerOptions": { "experimentalDecorators": true } }`);
  expect(projectCompilerOptions(fx.path("a"))).toEqual({ jsx: "react-jsx", jsxImportSource: "hono/jsx", experimentalDecorators: true });
  // Not found upward from a subfolder.
  fx.write("a/sub/x.ts", "");
  expect(projectCompilerOptions(fx.path("a/sub"))).toBeUndefined();
});

test("a bare extends is a relative path; a package name or an array is ignored; jsconfig.json is the fallback", () => {
  fx.write("b/base.json", `{ "compilerOptions": { "jsx": "react" } }`);
  fx.write("b/tsconfig.json", `{ "extends": "base.json" }`);
  expect(projectCompilerOptions(fx.path("b"))).toEqual({ jsx: "react" });
  fx.write("c/tsconfig.json", `{ "extends": ["./base.json"], "compilerOptions": { "jsxFactory": "h" } }`);
  fx.write("c/base.json", `{ "compilerOptions": { "jsx": "react" } }`);
  expect(projectCompilerOptions(fx.path("c"))).toEqual({ jsxFactory: "h" });
  fx.write("d/jsconfig.json", `{ "compilerOptions": { "jsxImportSource": "preact" } }`);
  expect(projectCompilerOptions(fx.path("d"))).toEqual({ jsxImportSource: "preact" });
  fx.write("d/tsconfig.json", `{ "extends": "./d.json" }`);
  expect(projectCompilerOptions(fx.path("d"))).toEqual({});
});

test("bunfig.toml's JSX settings apply where the tsconfig sets nothing", () => {
  fx.write("e/bunfig.toml", `jsx = "react"\njsxFactory = "h"\njsxFragment = "F"\njsxImportSource = "preact"\n[test]\npreload = ["./x.ts"]\n`);
  expect(projectCompilerOptions(fx.path("e"))).toEqual({ jsx: "react", jsxFactory: "h", jsxFragmentFactory: "F", jsxImportSource: "preact" });
  fx.write("e/tsconfig.json", `{ "compilerOptions": { "jsx": "react-jsx" } }`);
  expect(projectCompilerOptions(fx.path("e"))).toEqual({ jsx: "react-jsx", jsxFactory: "h", jsxFragmentFactory: "F", jsxImportSource: "preact" });
});
