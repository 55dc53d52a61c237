/**
 * An app that starts its own server with `.listen()`, as most Elysia tutorials do.
 * hmr-run intercepts `Bun.serve()` underneath: the first call binds the port, and when this
 * module runs again its `.listen()` swaps the new handlers into the same server instead
 * of failing with "port in use". A plain `Bun.serve({ port, fetch })` call works the same way.
 *
 *   bunx hmr-run main.ts        (--port, when given, wins over the port below)
 */
import { Elysia } from "elysia";
import { routes } from "./routes.ts";

const app = new Elysia().use(routes).listen(Number(process.env.PORT ?? 3000));

console.log(`listening on ${app.server?.url}`);
