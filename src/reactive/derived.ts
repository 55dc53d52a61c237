/**
 * `derived()`: a value computed from signals, lazily and at most once per change.
 * Created at a module's top level under hmr-run, it is disposed before that module
 * runs again, so old copies stop tracking the signals that outlive them.
 */
import { computed, getActiveSub } from "alien-signals";
import type { ReactiveNode } from "alien-signals/system";
import { topLevelOwner } from "./owner.ts";
import { untrack } from "./batch.ts";
import type { Equals, ReadonlySignal } from "./signal.ts";

// alien-signals' ReactiveFlags is a const enum in its types only; these are its values.
const MUTABLE = 1;
const DIRTY = 16;

export interface DerivedOptions<T> {
  /** When a recomputed value counts as unchanged, so dependents are not notified (default `===`). */
  equals?: Equals<T>;
}

/** A read-only value computed from other signals (made with `derived()`). */
export class Derived<T> implements ReadonlySignal<T> {
  /** @internal */ cell: () => T;
  /** @internal */ node: ReactiveNode | undefined;
  /** @internal */ disposed = false;

  /** @internal */
  constructor(fn: () => T, equals: Equals<T> | undefined, owned: boolean) {
    if (!owned && equals === undefined) {
      // Nothing to compare and nothing to dispose: alien-signals runs `fn` directly.
      // `get` is alien-signals' own read function, not a method calling it: one call fewer
      // per read measured 2-15% on the wide and diamond shapes (bench/reactive.ts). Unlike a
      // signal's, a computed's function ignores arguments, so `get` cannot write by accident.
      this.get = this.cell = computed(fn);
      return;
    }
    this.cell = computed((previous?: T): T => {
      if (this.disposed) return this.node === undefined ? untrack(fn) : (previous as T);
      if (this.node === undefined) {
        // While its getter runs, a computed is alien-signals' active subscriber: that is
        // the only way to reach its node, which disposal needs.
        this.node = getActiveSub();
        return fn();
      }
      const next = fn();
      return equals !== undefined && equals(previous as T, next) ? (previous as T) : next;
    });
    this.get = this.cell;
  }

  /** The current value; the running effect or derived value now depends on it. */
  readonly get: () => T;

  peek(): T {
    return untrack(this.cell);
  }

  /**
   * Stops tracking: the value stays frozen at its last one and the signals it read
   * forget it. Module-owned derived values are disposed this way before their module
   * re-runs; others are never disposed, as in alien-signals.
   * @internal
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const node = this.node;
    if (node?.deps === undefined) return;
    // Recompute once with a getter that reads nothing: alien-signals then unlinks every
    // old dependency itself (and lets go of upstream derived values nobody else watches).
    node.flags = MUTABLE | DIRTY;
    this.peek();
  }
}

/**
 * A lazily computed, cached value: `fn` runs on the first read and again only when a
 * signal it read changed and someone reads it. Dependents are notified only when the
 * result changed (`===`, or `options.equals`).
 */
export function derived<T>(fn: () => T, options?: DerivedOptions<T>): Derived<T> {
  const owner = topLevelOwner();
  const d = new Derived(fn, options?.equals, owner !== undefined);
  owner?.dispose(() => d.dispose());
  return d;
}
