import { layout } from "./layout.ts";

// Try it: change the heading and save; the open page reloads by itself.
export const home = (visits: number) =>
  layout(
    "Home",
    `<h1>Hello from hmr-run</h1>
    <p>This page has been rendered ${visits} times since the server started.</p>`,
  );
