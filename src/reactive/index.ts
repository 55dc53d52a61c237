// Re-exports `hmr-run/reactive`: signals, derived values and effects that know about reloads; no logic lives here.
export { signal, type Signal, type SignalOptions, type ReadonlySignal, type Equals } from "./signal.ts";
export { derived, type Derived, type DerivedOptions } from "./derived.ts";
export { effect, type EffectCleanup } from "./effect.ts";
export { batch, untrack } from "./batch.ts";
