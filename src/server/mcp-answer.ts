/**
 * The app's JSON-RPC answer, read as it passes on to the client: the MCP session bridge
 * (mcp-sessions.ts) learns from the answer to the client's own `initialize` which lists
 * the server said may change. A body is JSON or an event stream; it is read alongside
 * the client (a tee here, a write hook on node:http), never instead of it, and only up to
 * the answer: an event stream can stay open long after it.
 */

/** A JSON-RPC answer: a result or an error. */
export interface Answer {
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

/** At most this many characters of a body are looked at for an answer. */
export const ANSWER_LIMIT = 1 << 20;

/** The answer in the body read so far, `text`; `complete` once the body has ended. */
export function answerIn(text: string, complete: boolean): Answer | undefined {
  const start = text.trimStart()[0];
  // JSON (application/json): it parses once it is whole.
  if (start === "{" || start === "[") return pick(parse(text));
  // An event stream: an event ends at a blank line, and its data is its `data:` lines, joined.
  const events = text.split(/\r\n\r\n|\n\n|\r\r/);
  if (!complete) events.pop();
  for (const event of events) {
    const data = event
      .split(/\r\n|\n|\r/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(l[5] === " " ? 6 : 5));
    const answer = data.length ? pick(parse(data.join("\n"))) : undefined;
    if (answer) return answer;
  }
  return undefined;
}

/** `res` again for the client, and the answer in its body, read from the other branch of a tee. */
export function teeAnswer(res: Response): [Response, Promise<Answer | undefined>] {
  if (!res.body) return [res, Promise.resolve(undefined)];
  const [client, mine] = res.body.tee();
  return [new Response(client, { status: res.status, statusText: res.statusText, headers: res.headers }), readAnswer(mine)];
}

async function readAnswer(body: ReadableStream<Uint8Array>): Promise<Answer | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return answerIn(text + decoder.decode(), true);
      text += decoder.decode(value, { stream: true });
      const answer = answerIn(text, false);
      if (answer || text.length > ANSWER_LIMIT) return answer;
    }
  } catch {
    // The client went away, or the app's stream failed: the client sees that on its branch.
    return undefined;
  } finally {
    // Only this branch: the client's goes on reading the app's stream.
    reader.cancel().catch(() => {});
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The answer in a parsed message, or in a batch of them. */
function pick(m: unknown): Answer | undefined {
  for (const x of Array.isArray(m) ? m : [m]) if (x && typeof x === "object" && ("result" in x || "error" in x)) return x as Answer;
  return undefined;
}
