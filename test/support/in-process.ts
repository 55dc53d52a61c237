// One app at a time under hmr-run/testing, in this test process: started from a fixture
// folder, stopped and its folder removed after each test. For tests the CLI adds nothing to.
import { afterEach } from "bun:test";
import { startApp, type TestApp } from "hmr-run/testing";
import { Fixture } from "./fixture.ts";
import { expectUntouched } from "./untouched.ts";

/** Registers the per-test cleanup; `start` writes `files` and serves their `main.ts`. */
export function inProcessApps() {
  const fixtures: Fixture[] = [];
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    for (const f of fixtures.splice(0)) f.cleanup();
    // A stopped app leaves the process as it found it.
    expectUntouched();
  });
  return {
    async start(files: Record<string, string>): Promise<TestApp> {
      const fx = new Fixture(files, { nodeModules: false });
      fixtures.push(fx);
      app = await startApp(fx.path("main.ts"), { logLevel: "silent" });
      return app;
    },
    /** The body the current app answers at `path`. */
    text: async (path = "/") => (await app!.fetch(path)).text(),
  };
}
