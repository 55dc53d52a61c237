/**
 * The app: a plugin and three route modules. Each lives in its own file, so saving one
 * re-runs that file and this one; the database in db.ts is never opened twice.
 *
 *   bunx hmr-run main.ts        (in this repository: bun run demo)
 */
import { Elysia } from "elysia";
import { timing } from "./plugins/timing.ts";
import { hello } from "./routes/hello.ts";
import { todos } from "./routes/todos.ts";
import { chat } from "./routes/chat.ts";

export default new Elysia().use(timing).use(hello).use(todos).use(chat);
