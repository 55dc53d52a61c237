/**
 * Apps under hmr-run/testing, in this test process: started from a fixture folder,
 * stopped and checked to leave no patch behind, their folder removed after each test. For
 * what the CLI adds nothing to: every CLI start costs two Bun processes.
 */
import { afterEach, beforeEach } from "bun:test";
import { startApp, type StartOptions, type TestApp } from "hmr-run/testing";
import { Fixture } from "./fixture.ts";
import { expectUntouched } from "./untouched.ts";

/** Registers setup and cleanup for this test file and returns `start(files, entry?, options?)`. */
export function inProcessScenarios() {
  const apps: TestApp[] = [];
  const fixtures: Fixture[] = [];
  beforeEach(() => {
    // The fixtures count module runs on globalThis, which every app in this process shares.
    delete (globalThis as { runs?: unknown }).runs;
  });
  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.stop();
    for (const f of fixtures.splice(0)) f.cleanup();
    expectUntouched();
  });
  /** Writes `files` to a new folder (the app's root) and starts `entry` there. */
  async function start(files: Record<string, string>, entry = "main.ts", options: StartOptions = {}): Promise<{ a: TestApp; fx: Fixture }> {
    const fx = new Fixture(files);
    fixtures.push(fx);
    return { a: await again(fx, entry, options), fx };
  }
  /** Starts another app on an existing fixture (one app runs at a time: stop the last first). */
  async function again(fx: Fixture, entry = "main.ts", options: StartOptions = {}): Promise<TestApp> {
    const a = await startApp(fx.path(entry), { root: fx.dir, logLevel: "silent", ...options });
    apps.push(a);
    return a;
  }
  return { start, again };
}

/** The app's answer at `path`, as text. */
export const text = async (a: TestApp, path = "/"): Promise<string> => (await a.fetch(path)).text();

/** One app at a time: `start` writes `files` and serves their `main.ts`; `text` asks the current app. */
export function inProcessApps() {
  const scenarios = inProcessScenarios();
  let app: TestApp | undefined;
  return {
    async start(files: Record<string, string>): Promise<TestApp> {
      app = (await scenarios.start(files)).a;
      return app;
    },
    /** The body the current app answers at `path`. */
    text: (path = "/") => text(app!, path),
  };
}
