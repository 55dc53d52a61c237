/**
 * Puts the refresh client into HTML responses: once, before the body element's end tag
 * (or at the end of the document), through Bun's streaming HTML parser (HTMLRewriter),
 * so streamed pages keep streaming and a `</body>` inside a script, a comment or an
 * attribute is never taken for the real one. Everything that is not a whole UTF-8 HTML
 * page for a browser tab leaves untouched, byte for byte.
 */

/** Every injected tag carries it; a page that already has one is passed through. */
export const MARKER = "data-hmr-run";

/** Browser destinations that render a page (Fetch Metadata, `Sec-Fetch-Dest`). */
const PAGE_DESTINATIONS = new Set(["document", "iframe", "frame", "embed", "object"]);

/** Should this response get the script? */
export function wantsInjection(res: Response, req: Request): boolean {
  // A handler that upgraded a websocket returns nothing; a 101 or a 206 range is not a page.
  if (!(res instanceof Response) || res.status === 101 || res.status === 206) return false;
  // Headers first: touching `body` of a `Bun.file()` response before its headers loses
  // the content type Bun derives from the file (Bun 1.4.5).
  const type = res.headers.get("content-type");
  if (req.method === "HEAD" || !isHtml(type) || !isUtf8(type)) return false;
  const encoding = res.headers.get("content-encoding");
  if (encoding && encoding.trim().toLowerCase() !== "identity") return false;
  // A download is not a page, even when it is HTML.
  if (/^\s*attachment/i.test(res.headers.get("content-disposition") ?? "")) return false;
  // Partial HTML fetched by scripts (htmx swaps, fetch()) is not a page either. Clients
  // without Fetch Metadata (curl, old browsers) send no Sec-Fetch-Dest and get the script.
  if (req.headers.get("hx-request") === "true") return false;
  const dest = req.headers.get("sec-fetch-dest");
  if (dest && !PAGE_DESTINATIONS.has(dest)) return false;
  return res.body !== null;
}

/** The same response with `tag` streamed into its page; Content-Length goes, as the length changed. */
export function inject(res: Response, tag: string): Response {
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  // The rewriter gets a bare response: it would keep a stale Content-Length, and a
  // `Bun.file()` response loses its derived Content-Type on the way through (Bun 1.4.5).
  const body = injectInto(new Response(res.body), tag).body;
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/** `page` with `tag` before the body element's end tag, else at the end; unchanged when it already has the marker. */
export function injectInto(page: Response, tag: string): Response {
  let done = false;
  return new HTMLRewriter()
    .on(`script[${MARKER}]`, {
      element() {
        done = true;
      },
    })
    // A page that declares another charset in a <meta> is left as it is (the parser passes its bytes through).
    .on("meta[charset], meta[http-equiv]", {
      element(el) {
        const charset = el.getAttribute("charset") ?? (/content-type/i.test(el.getAttribute("http-equiv") ?? "") ? el.getAttribute("content") : null);
        if (charset !== null && !isUtf8(charset.includes("=") ? charset : `text/html; charset=${charset}`)) done = true;
      },
    })
    .on("body", {
      element(el) {
        el.onEndTag((end) => {
          if (done) return;
          done = true;
          end.before(tag, { html: true });
        });
      },
    })
    .onDocument({
      end(end) {
        if (!done) end.append(tag, { html: true });
      },
    })
    .transform(page);
}

/** Is this Content-Type an HTML page (`text/html`, any parameters, any case)? */
export function isHtml(type: string | null): boolean {
  return !!type && type.split(";")[0]!.trim().toLowerCase() === "text/html";
}

/** UTF-8 or no charset named (HTML's default on the web for new pages): the parser reads UTF-8 only. */
export function isUtf8(type: string | null): boolean {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type ?? "");
  return !m || /^utf-?8$/i.test(m[1]!);
}
