/**
 * `signal()`: a value that notifies what read it when it changes. At a module's top
 * level under hmr-run it keeps its identity and value across re-executions (slots.ts).
 */
import { signal as alienSignal, setActiveSub } from "alien-signals";
import { topLevelOwner } from "./owner.ts";
import { keptSignal } from "./slots.ts";

/** Decides whether a new value counts as a change; `true` means "equal, do not notify". */
export type Equals<T> = (previous: T, next: T) => boolean;

export interface SignalOptions<T> {
  /**
   * When a new value counts as unchanged. Default: the same value (`===`, with NaN equal
   * to itself). It can only make more values equal, never make `===` values differ.
   */
  equals?: Equals<T>;
  /**
   * Names this top-level signal within its module, so it keeps its state across reloads
   * even when signals are added or removed above it (default: its creation order).
   */
  key?: string;
}

/** Anything that can be read, tracked or not. */
export interface ReadonlySignal<T> {
  /** The current value; the running effect or derived value now depends on it. */
  get(): T;
  /** The current value, without becoming a dependency. */
  peek(): T;
}

type Cell<T> = { (): T; (value: T): void };

/** A writable reactive value (made with `signal()`). */
export class Signal<T> implements ReadonlySignal<T> {
  /** @internal */ cell: Cell<T>;
  /** @internal */ equals: Equals<T> | undefined;

  /** @internal */
  constructor(value: T, equals?: Equals<T>) {
    this.cell = alienSignal(value) as Cell<T>;
    this.equals = equals;
  }

  get(): T {
    return this.cell();
  }

  peek(): T {
    // Reading a signal runs no user code, so nothing can throw between the two swaps.
    const prev = setActiveSub(undefined);
    const value = this.cell();
    setActiveSub(prev);
    return value;
  }

  /** Stores `value`; what depends on this signal re-runs only if it changed. */
  set(value: T): void {
    const eq = this.equals;
    if (eq !== undefined) {
      if (eq(this.peek(), value)) return;
    } else if (value !== value) {
      // NaN to NaN: alien-signals compares with !==, which would call it a change.
      const current = this.peek();
      if (current !== current) return;
    }
    this.cell(value);
  }

  /** Sets the value to `fn(current)`. */
  update(fn: (current: T) => T): void {
    this.set(fn(this.peek()));
  }
}

/**
 * A reactive value. Created at a module's top level under hmr-run, it is the same
 * signal with the same value after the module runs again; it takes `value` only when
 * `value` itself changed in the source (then its dependents are notified once).
 */
export function signal<T>(value: T, options?: SignalOptions<T>): Signal<T> {
  const owner = topLevelOwner();
  if (owner === undefined) return new Signal(value, options?.equals);
  return keptSignal(owner, value, options, () => new Signal(value, options?.equals));
}
