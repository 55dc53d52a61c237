/**
 * A file-system router: every file under routes/ is a page, found with Bun.Glob when this
 * module loads. hmr-run notices the listing: create or delete a route file and this
 * module runs again, so the new route is served (and the deleted one is gone).
 *
 *   bunx hmr-run main.ts
 */
import { Glob } from "bun";
import { join } from "node:path";

type Handler = (req: Request) => Response | Promise<Response>;

const dir = join(import.meta.dir, "routes");
const routes = new Map<string, Handler>();
for await (const file of new Glob("**/*.ts").scan({ cwd: dir })) {
  // routes/index.ts → /, routes/about.ts → /about, routes/api/time.ts → /api/time
  const path = "/" + file.replace(/\.ts$/, "").replace(/(^|\/)index$/, "");
  const mod = await import(join(dir, file));
  routes.set(path.length > 1 ? path.replace(/\/$/, "") : path, mod.default);
}

export default {
  fetch(req: Request) {
    const handler = routes.get(new URL(req.url).pathname);
    return handler ? handler(req) : new Response(`no route; try ${[...routes.keys()].join(", ")}`, { status: 404 });
  },
};
