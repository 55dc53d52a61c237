// Preloaded by bun test (bunfig.toml). Tests start real processes and wait on real
// reloads, so they need more than bun's 5 s default; but in Bun 1.4.5 a
// setDefaultTimeout() here reaches only the first test file, so the room comes from
// `bun run test` (`bun test --timeout 30000`). This keeps the first file in line with it.
import { setDefaultTimeout } from "bun:test";
setDefaultTimeout(30_000);
// Snapshots the globals hmr-run patches before any app runs in this process (see untouched.ts).
import "./untouched.ts";
