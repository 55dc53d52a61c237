/**
 * What hmr-run patches while an app runs in this process, as it was before any app ran
 * (taken when this module loads, from the test preload), and a check that a stopped app
 * left it all so.
 */
import { expect } from "bun:test";
import http from "node:http";
import { createRequire } from "node:module";
import { patchedNow } from "../../src/runtime/patch.ts";

const require_ = createRequire(import.meta.url);
const fs = require_("node:fs");
const threads = require_("node:worker_threads");

const snapshot = () => ({
  "Bun.serve": Bun.serve,
  "Bun.listen": Bun.listen,
  "Bun.file": Bun.file,
  "Bun.Glob": Bun.Glob,
  "http.Server.prototype.listen": http.Server.prototype.listen,
  "http.Server.prototype.close": http.Server.prototype.close,
  Worker: globalThis.Worker,
  "worker_threads.Worker": threads.Worker,
  "fs.readFileSync": fs.readFileSync,
  "fs.readdirSync": fs.readdirSync,
  "process.on": process.on,
  "process.once": process.once,
});

const before = snapshot();

/** Asserts that every patched global is the original again and nothing is left patched. */
export function expectUntouched(): void {
  expect(patchedNow()).toEqual([]);
  const now = snapshot();
  for (const [name, value] of Object.entries(before)) expect({ [name]: now[name as keyof typeof now] }).toEqual({ [name]: value });
}
