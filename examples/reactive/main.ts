/**
 * A server whose state lives in signals (state.ts) rather than in module variables, so
 * it survives reloads of any module, including its own.
 *
 *   bunx hmr-run main.ts
 */
import { banner, visits } from "./state.ts";
import { line } from "./report.ts";

export default {
  routes: {
    "/": () => {
      visits.update((n) => n + 1);
      return new Response(line.get());
    },
    // Changes the banner at runtime: curl -X PUT localhost:3000/banner -d 'Hi'
    "/banner": {
      PUT: async (req: Request) => {
        banner.set((await req.text()).trim() || banner.peek());
        return new Response(line.get());
      },
    },
  },
  fetch: () => new Response("Not Found", { status: 404 }),
};
