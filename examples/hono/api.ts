// Try it: add a route or change a quote in quotes.ts, save, and call it; visits keep counting.
import { Hono } from "hono";
import { quotes } from "./quotes.ts";

export const api = new Hono()
  .get("/quotes", (c) => c.json(quotes))
  .get("/quotes/:id{[0-9]+}", (c) => {
    const quote = quotes[Number(c.req.param("id"))];
    return quote ? c.json(quote) : c.json({ error: "no such quote" }, 404);
  });
