/**
 * An Elysia plugin: every response says how long the handler took (`Server-Timing`,
 * shown in the browser's network panel). Edit it and only it and main.ts run again.
 */
import { Elysia } from "elysia";

export const timing = new Elysia({ name: "timing" })
  .derive({ as: "global" }, () => ({ started: performance.now() }))
  .onAfterHandle({ as: "global" }, ({ set, started }) => {
    set.headers["server-timing"] = `app;dur=${(performance.now() - started).toFixed(2)}`;
  });
