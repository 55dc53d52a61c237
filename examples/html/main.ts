/**
 * A small site of HTML pages, for `--refresh`: keep a page open in the browser, edit a
 * file and save, and the page reloads by itself; break a file and it shows the error.
 *
 *   bunx hmr-run main.ts --refresh
 */
import { home } from "./pages/home.ts";
import { notFound } from "./pages/not-found.ts";
import { visits } from "./visits.ts";

const html = (body: string, status = 200) =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });

export default {
  routes: {
    "/": () => html(home(visits.count())),
    // A static file: Bun sends it as it is; with --refresh it reloads like the others.
    "/about": new Response(Bun.file(new URL("./public/about.html", import.meta.url))),
    "/logo.svg": new Response(Bun.file(new URL("./public/logo.svg", import.meta.url))),
    // Not HTML: --refresh leaves it alone, byte for byte.
    "/api/visits": () => Response.json({ visits: visits.count() }),
  },
  fetch: (req: Request) => html(notFound(new URL(req.url).pathname), 404),
};
