/**
 * Puts the refresh client into HTML responses: once, before `</body>` (or at the end),
 * without buffering the body, so streamed pages keep streaming. Everything that is not
 * a whole HTML page for a browser tab leaves untouched, byte for byte.
 */

const encoder = new TextEncoder();
const CLOSE_BODY = encoder.encode("</body");
/** Every injected tag carries it; a body that already has one is passed through. */
export const MARKER = "data-hmr-run";
const MARKER_BYTES = encoder.encode(MARKER);

/** Browser destinations that render a page (Fetch Metadata, `Sec-Fetch-Dest`). */
const PAGE_DESTINATIONS = new Set(["document", "iframe", "frame", "embed", "object"]);

/** Should this response get the script? */
export function wantsInjection(res: Response, req: Request): boolean {
  // Headers first: touching `body` of a `Bun.file()` response before its headers loses
  // the content type Bun derives from the file (Bun 1.4.5).
  if (req.method === "HEAD" || !isHtml(res.headers.get("content-type"))) return false;
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

/** The same response with `tag` streamed into its body; Content-Length goes, as the length changed. */
export function inject(res: Response, tag: string): Response {
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(injectInto(res.body!, encoder.encode(tag)), {
    status: res.status,
    statusText: res.statusText,
    headers,
  });
}

/** Streams `body` through, inserting `tag` before the first `</body` (any case), or at the end. */
export function injectInto(body: ReadableStream, tag: Uint8Array): ReadableStream<Uint8Array> {
  let done = false;
  // Bytes held back because they may be the start of `</body` or of the marker.
  let carry: Uint8Array = new Uint8Array(0);
  return body.pipeThrough(
    new TransformStream<unknown, Uint8Array>({
      transform(chunk, out) {
        const bytes = toBytes(chunk);
        if (done) return out.enqueue(bytes);
        const buf = carry.length ? concat(carry, bytes) : bytes;
        carry = new Uint8Array(0);
        const at = indexOfIgnoreCase(buf, CLOSE_BODY);
        const marked = indexOfIgnoreCase(buf, MARKER_BYTES);
        if (marked >= 0 && (at < 0 || marked < at)) {
          done = true;
          return out.enqueue(buf);
        }
        if (at >= 0) {
          done = true;
          if (at > 0) out.enqueue(buf.subarray(0, at));
          out.enqueue(tag);
          return out.enqueue(buf.subarray(at));
        }
        const keep = Math.max(partialTail(buf, CLOSE_BODY), partialTail(buf, MARKER_BYTES));
        if (buf.length > keep) out.enqueue(buf.subarray(0, buf.length - keep));
        if (keep) carry = buf.slice(buf.length - keep);
      },
      flush(out) {
        if (done) return;
        if (carry.length) out.enqueue(carry);
        out.enqueue(tag);
      },
    }),
  );
}

/** Is this Content-Type an HTML page (`text/html`, any parameters, any case)? */
export function isHtml(type: string | null): boolean {
  return !!type && type.split(";")[0]!.trim().toLowerCase() === "text/html";
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return encoder.encode(chunk);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`hmr-run --refresh: an HTML body yielded a ${typeof chunk} chunk, expected bytes or a string`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const lower = (c: number) => (c >= 65 && c <= 90 ? c | 0x20 : c);

/** Position of `needle` (lowercase ASCII) in `hay`, ignoring ASCII case; -1 when absent. */
export function indexOfIgnoreCase(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (lower(hay[i + j]!) !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** How many bytes at the end of `hay` are a proper prefix of `needle` (so must wait for more). */
function partialTail(hay: Uint8Array, needle: Uint8Array): number {
  for (let n = Math.min(needle.length - 1, hay.length); n > 0; n--) {
    let ok = true;
    for (let j = 0; j < n && ok; j++) ok = lower(hay[hay.length - n + j]!) === needle[j];
    if (ok) return n;
  }
  return 0;
}
