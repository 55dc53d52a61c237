import { layout } from "./layout.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const notFound = (path: string) => layout("Not found", `<h1>Not found</h1><p>Nothing at <code>${escape(path)}</code>.</p>`);
