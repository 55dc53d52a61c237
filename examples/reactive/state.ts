/**
 * The app's runtime state, as signals. This module exports nothing but signals, and a
 * top-level signal is the same object after its module runs again, so an edit here stops
 * at this file: nothing that imports it runs again, and the visit count is kept.
 */
import { signal } from "hmr-run/reactive";

/** Shown on every page. Try it: edit the text, save, and the running app shows the new one. */
export const banner = signal("Welcome to the reactive example");

/** Counted by requests; no edit resets it. */
export const visits = signal(0);
