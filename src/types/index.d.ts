// The type entry of `hmr-run`: its public API, plus `import.meta.hot` for every module.
/// <reference path="./hot.d.ts" />
export * from "../index.ts";
