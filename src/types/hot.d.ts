/**
 * `import.meta.hot` for modules run by hmr-run. A script, not a module: TypeScript merges
 * global declarations from scripts in the order it reads them, before any `declare global`
 * of a module, and @types/bun declares its own `hot` (for Bun's browser dev server). Listing
 * "hmr-run" before "bun" in tsconfig `types` makes this one the first (with `skipLibCheck`).
 */

interface ImportMeta {
  /** The hot context of this module under hmr-run; undefined under plain `bun`. */
  hot?: import("../runtime/hot.ts").ImportMetaHot;
}
