import { afterAll, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { workspacePackages } from "../src/loader/workspaces.ts";
import { Fixture } from "./support/fixture.ts";

const fx = new Fixture({}, { nodeModules: false });
afterAll(() => fx.cleanup());

test("workspace packages around an app: the root's workspaces (both forms, with negations) and bun's symlinks", () => {
  fx.write("package.json", JSON.stringify({ workspaces: { packages: ["packages/*", "apps/*", "!packages/old"] } }));
  for (const p of ["packages/shared", "packages/ui", "packages/old", "apps/api", "apps/web"]) fx.write(`${p}/package.json`, "{}");
  fx.write("packages/shared/node_modules/dep/package.json", "{}");
  fx.write("elsewhere/lib/package.json", "{}");
  mkdirSync(fx.path("apps/api/node_modules/@acme"), { recursive: true });
  // A `bun link`ed folder outside the workspace is found through its symlink.
  symlinkSync("../../../../elsewhere/lib", fx.path("apps/api/node_modules/@acme/lib"));
  expect(workspacePackages(fx.path("apps/api")).map((d) => d.slice(fx.dir.length + 1))).toEqual([
    "apps/web",
    "elsewhere/lib",
    "packages/shared",
    "packages/ui",
  ]);
  // From the root, every package is under the app's folder already.
  expect(workspacePackages(fx.dir)).toEqual([]);
});
