/**
 * hmr-run's own timers and promises, taken when hmr-run loads, before any user code:
 * an app that installs fake timers or replaces `Promise` must not wedge reloads.
 */
import { access } from "node:fs/promises";
import { writeSync } from "node:fs";

export const own = {
  setTimeout: globalThis.setTimeout.bind(globalThis) as typeof setTimeout,
  clearTimeout: globalThis.clearTimeout.bind(globalThis) as typeof clearTimeout,
  setImmediate: globalThis.setImmediate.bind(globalThis) as typeof setImmediate,
  queueMicrotask: globalThis.queueMicrotask.bind(globalThis) as typeof queueMicrotask,
  Promise: globalThis.Promise,
};

/**
 * Writes hmr-run's own lines to file descriptor 2 directly: an app that mutes or wraps
 * `process.stderr.write` (a test harness, a logger) must not silence hmr-run, errors
 * included. A write to a closed or full pipe is dropped rather than thrown into a reload.
 */
export function ownStderr(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(2, bytes, at);
    } catch (err) {
      if ((err as { code?: string }).code === "EAGAIN") continue;
      return;
    }
  }
}

/**
 * Resolves after a turn of the event loop that polls for I/O, so that messages and
 * requests already sent are taken in. In Bun neither a resolved promise nor setImmediate
 * polls, and setTimeout(0) waits a whole millisecond; a trivial file-system call comes
 * back from Bun's thread pool in about 0.3 ms, and overlaps whatever runs meanwhile.
 */
export function ioTurn(): Promise<void> {
  return access("/").then(
    () => {},
    () => {},
  );
}

/** An unref'd timer of hmr-run's own (a fake `setTimeout` may return something without `unref`). */
export function backgroundTimer(fn: () => void, ms: number): Timer {
  const t = own.setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return t;
}

/**
 * A value carried through `await` untouched. An app that defines `Object.prototype.then`
 * turns every plain object into a thenable, so an async function returning one would
 * never settle; a null-prototype box has no `then` to find.
 */
export interface Box<T> {
  readonly value: T;
}

export function box<T>(value: T): Box<T> {
  const b = Object.create(null) as { value: T };
  b.value = value;
  return b;
}
