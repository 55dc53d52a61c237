/** The --refresh event stream as a test reads it. */

/** The path the refresh script listens on. */
export const EVENTS = "/__hmr-run/events";

/** The first state the reserved path sends, then hangs up. */
export async function firstEvent(base: string, headers: Record<string, string> = {}, query = ""): Promise<any> {
  const res = await fetch(base + EVENTS + query, { headers });
  if (res.status !== 200) throw new Error(`${EVENTS} answered ${res.status}`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  while (!text.includes("\n\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += dec.decode(r.value, { stream: true });
  }
  await reader.cancel();
  const data = text.split("\n").find((l) => l.startsWith("data:"));
  if (!data) throw new Error(`no event from ${EVENTS}: ${text}`);
  return JSON.parse(data.slice(5));
}
