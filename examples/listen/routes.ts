// Try it: change the text, save, and reload the page; the server is never restarted.
import { Elysia } from "elysia";

export const routes = new Elysia()
  .get("/", () => "Hello from an app that listens by itself")
  .get("/pid", () => String(process.pid));
