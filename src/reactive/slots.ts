/**
 * Identity of top-level signals across re-executions of their module. Each execution
 * numbers the signals its top level creates (or uses their `key`); the slot with that
 * number in the module's `import.meta.hot.data` hands back the signal made last time.
 */
import type { HotContext } from "../runtime/hot.ts";
import type { Signal, SignalOptions } from "./signal.ts";

type Slot = { signal: Signal<any>; initial: unknown };
type Slots = { ordered: Slot[]; named: Map<string, Slot> };

// A symbol key keeps the slots out of the user's own `import.meta.hot.data` keys.
const SLOTS = Symbol.for("hmr-run.reactive.slots");
/** How many unnamed signals the current execution of each module has created so far. */
const created = new WeakMap<HotContext, number>();

/** The signal this slot of `owner` held before, updated to `initial` if the source changed it; or a new one. */
export function keptSignal<T>(owner: HotContext, initial: T, options: SignalOptions<T> | undefined, make: () => Signal<T>): Signal<T> {
  const slots = slotsOf(owner);
  const key = options?.key;
  let index = -1;
  let slot: Slot | undefined;
  if (key !== undefined) {
    slot = slots.named.get(key);
  } else {
    // Slots past the last signal an execution creates are kept, not trimmed: an execution
    // that threw half-way would otherwise drop the state of the signals it never reached.
    index = created.get(owner) ?? 0;
    created.set(owner, index + 1);
    slot = slots.ordered[index];
  }
  if (slot === undefined) {
    slot = { signal: make(), initial };
    if (key !== undefined) slots.named.set(key, slot);
    else slots.ordered[index] = slot;
    return slot.signal;
  }
  const kept = slot.signal as Signal<T>;
  kept.equals = options?.equals;
  if (!sameInitial(slot.initial, initial)) {
    slot.initial = initial;
    kept.set(initial);
  }
  return kept;
}

function slotsOf(owner: HotContext): Slots {
  const data = owner.data as Record<symbol, Slots | undefined>;
  return (data[SLOTS] ??= { ordered: [], named: new Map() });
}

/**
 * Did the initial value in the source stay the same? A fresh `{...}` or `[...]` literal
 * is a new object on every run, so values are compared by structure, and functions by
 * their source text.
 */
function sameInitial(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === "function" && typeof b === "function") return a.toString() === b.toString();
  return Bun.deepEquals(a, b, true);
}
