/**
 * A derived value and an effect over the state. When this module runs again, hmr-run
 * disposes its old effect first, so edits never leave two reports printing.
 */
import { derived, effect } from "hmr-run/reactive";
import { banner, visits } from "./state.ts";

/** The page text, recomputed only when the banner or the count changed. */
export const line = derived(() => `${banner.get()}: ${visits.get()} visit${visits.get() === 1 ? "" : "s"}`);

// Runs now and on every change of what it read. Try it: change the prefix and save.
effect(() => console.log(`[report] ${line.get()}`));
