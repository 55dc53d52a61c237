// Try it: change the greeting, save, and reload http://localhost:3000 — the database stays up.
import { Elysia } from "elysia";

export const hello = new Elysia().get("/", () => "Hello from Elysia");
