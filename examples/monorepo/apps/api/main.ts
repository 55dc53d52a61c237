/**
 * An app in a Bun workspace, run from its own folder. It imports @acme/shared, which
 * `bun install` links to packages/shared: hmr-run watches that package too, with no flag.
 *
 *   cd apps/api && bunx hmr-run main.ts
 */
import { greet } from "@acme/shared";
import { counter } from "./counter.ts";

export default {
  fetch: (req: Request) => new Response(`${greet(new URL(req.url).searchParams.get("name") ?? "world")} (request ${counter()})`),
};
