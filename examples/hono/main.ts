/**
 * A Hono app: middleware, a sub-app mounted under /api and JSX pages (pages.tsx). The
 * default export is the app; hmr-run serves its `fetch` and swaps in the new one after each save.
 *
 *   bunx hmr-run main.ts
 */
import { Hono } from "hono";
import { poweredBy } from "hono/powered-by";
import { api } from "./api.ts";
import { pages } from "./pages.tsx";
import { visit } from "./visits.ts";

const app = new Hono();
app.use(poweredBy({ serverName: "hmr-run + Hono" }));
app.get("/", (c) => c.text(`Hello from Hono (visit ${visit()})`));
app.route("/api", api);
app.route("/", pages);

export default app;
