/**
 * Plain Bun: the default export is what you would pass to `Bun.serve()`, with native
 * `routes`. After a save hmr-run calls `server.reload()` with the new routes and fetch.
 *
 *   bunx hmr-run main.ts        (or `bun main.ts`, which serves it without reloading)
 */
import { users } from "./api/users.ts";
import { home } from "./home.ts";

export default {
  routes: {
    "/": home,
    "/health": new Response("ok"),
    "/api/users": { GET: users.list, POST: users.create },
    "/api/users/:id": users.get,
  },
  // Anything no route matched.
  fetch: () => new Response("Not Found", { status: 404 }),
};
