/** Kept across reloads of @acme/shared: only the modules that import it run again. */
let n = 0;
export const counter = () => ++n;
