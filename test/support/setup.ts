// Preloaded by bun test (bunfig.toml): tests start real processes and wait on real reloads.
import { setDefaultTimeout } from "bun:test";
setDefaultTimeout(30_000);
