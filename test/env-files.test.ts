import { afterAll, expect, test } from "bun:test";
import { EnvFiles, bunEnvFiles } from "../src/env/files.ts";
import { Fixture } from "./support/fixture.ts";

const fx = new Fixture({}, { nodeModules: false });
afterAll(() => fx.cleanup());

test("Bun's own env files, highest priority first, by mode", () => {
  const names = (env: Record<string, string>) => bunEnvFiles("/p", env).map((f) => f.slice(3));
  expect(names({})).toEqual([".env.development.local", ".env.local", ".env.development", ".env"]);
  expect(names({ NODE_ENV: "production" })).toEqual([".env.production.local", ".env.local", ".env.production", ".env"]);
  // In test mode Bun skips .env.local; BUN_ENV is read before NODE_ENV.
  expect(names({ NODE_ENV: "production", BUN_ENV: "test" })).toEqual([".env.test.local", ".env.test", ".env"]);
  expect(names({ NODE_ENV: "staging" })).toEqual([".env.development.local", ".env.local", ".env.development", ".env"]);
});

test("applying again: new values set, removed keys deleted, the shell's variables never touched", () => {
  fx.write("a.env", "HMR_T_A=1\nHMR_T_SHELL=file\nHMR_T_GONE=x\n");
  process.env.HMR_T_SHELL = "shell";
  const env = new EnvFiles([fx.path("a.env")], { ...process.env });
  try {
    expect(env.apply().changed.sort()).toEqual(["HMR_T_A", "HMR_T_GONE"]);
    fx.write("a.env", "HMR_T_A=2\nHMR_T_SHELL=edited\n");
    expect(env.apply().changed.sort()).toEqual(["HMR_T_A", "HMR_T_GONE"]);
    expect([process.env.HMR_T_A, process.env.HMR_T_SHELL, process.env.HMR_T_GONE]).toEqual(["2", "shell", undefined]);
  } finally {
    for (const k of ["HMR_T_A", "HMR_T_SHELL", "HMR_T_GONE"]) delete process.env[k];
  }
});
