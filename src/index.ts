// Re-exports the public API of `hmr-run` for user modules; no logic lives here.
export { onDispose, onBeforeReload, onAfterReload, persist, watchFile, isHot } from "./runtime/helpers.ts";
export type { ImportMetaHot, HotEvents, HotEventName, HotPayload } from "./runtime/hot.ts";
