// State that outlives reloads: editing pages/home.ts does not run this file again,
// so the count keeps going.
let n = 0;
export const visits = {
  count: () => ++n,
};
