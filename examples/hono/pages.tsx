// Try it: change the heading or the markup, save, reload the page: only this file and main.ts run again.
import { Hono } from "hono";
import type { Child, FC } from "hono/jsx";
import { quotes } from "./quotes.ts";

const Layout: FC<{ title: string; children?: Child }> = ({ title, children }) => (
  <html>
    <head>
      <title>{title}</title>
    </head>
    <body>{children}</body>
  </html>
);

/** Server-rendered pages with Hono's JSX (tsconfig.json: "jsxImportSource": "hono/jsx"). */
export const pages = new Hono().get("/quotes", (c) =>
  c.html(
    <Layout title="Quotes">
      <h1>Quotes</h1>
      <ul>
        {quotes.map((q) => (
          <li>
            {q.text} <em>{q.by}</em>
          </li>
        ))}
      </ul>
    </Layout>,
  ),
);
