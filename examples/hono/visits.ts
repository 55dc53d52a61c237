/**
 * A counter kept across reloads with `import.meta.hot.data`, the low-level API: the object
 * stored there is handed to the next run of this module, even when this file is edited.
 * Under plain `bun` (no hmr-run), `import.meta.hot` is undefined and the count starts at 0.
 */
const state: { count: number } = import.meta.hot?.data.state ?? { count: 0 };
if (import.meta.hot) import.meta.hot.data.state = state;

/** Counts one visit and returns the total. */
export function visit(): number {
  return ++state.count;
}
