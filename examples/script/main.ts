/**
 * No server: a worker that takes a job from a queue every few hundred milliseconds.
 * Edit handler.ts and the next jobs use the new code; the queue and the job counter
 * (persisted) carry on where they were, and the old timer is stopped by `onDispose`.
 *
 *   bunx hmr-run main.ts
 */
import { onDispose, persist } from "hmr-run";
import { handle } from "./handler.ts";

const queue = persist("queue", () => ({ taken: 0 }));

const timer = setInterval(() => {
  const job = ++queue.taken;
  console.log(`job ${job}: ${handle(job)}`);
}, Number(process.env.TICK_MS ?? 500));

// Without this, every edit would leave one more timer running the old handler.
onDispose(() => clearInterval(timer));
