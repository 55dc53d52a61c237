/**
 * Grouping writes and reading without tracking. Both are thin over alien-signals;
 * they live here so user code needs no second import.
 */
import { endBatch, setActiveSub, startBatch } from "alien-signals";

/** Runs `fn` with effects held back until it returns: several writes, one re-run. Returns `fn`'s result. */
export function batch<T>(fn: () => T): T {
  startBatch();
  try {
    return fn();
  } finally {
    endBatch();
  }
}

/** Runs `fn` without making what it reads a dependency of the running effect or derived value. */
export function untrack<T>(fn: () => T): T {
  const prev = setActiveSub(undefined);
  try {
    return fn();
  } finally {
    setActiveSub(prev);
  }
}
