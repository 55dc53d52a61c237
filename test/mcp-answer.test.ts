/**
 * Reading the app's JSON-RPC answer as it passes to the client (src/server/mcp-answer.ts,
 * and `onBody` on node:http): JSON or an event stream, in pieces, without the client
 * missing a byte, and without waiting for an event stream that stays open.
 */
import { describe, expect, test } from "bun:test";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerIn, teeAnswer } from "../src/server/mcp-answer.ts";
import { onBody } from "../src/server/node-exchange.ts";

const INIT = { jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-06-18", capabilities: { tools: { listChanged: true } }, serverInfo: { name: "s", version: "1" } } };
const sse = (m: unknown, eol = "\n") => `event: message${eol}id: 1${eol}data: ${JSON.stringify(m)}${eol}${eol}`;

describe("answerIn", () => {
  test("JSON, once whole; a batch's answer", () => {
    const text = JSON.stringify(INIT);
    expect(answerIn(text.slice(0, 20), false)).toBeUndefined();
    expect(answerIn(text, true)).toEqual(INIT);
    expect(answerIn(JSON.stringify([{ jsonrpc: "2.0", method: "notifications/x" }, INIT]), true)).toEqual(INIT);
  });

  test("an event stream: complete events only, a notification before the answer, CRLF, data split over lines", () => {
    const note = sse({ jsonrpc: "2.0", method: "notifications/message", params: {} });
    const full = note + sse(INIT);
    expect(answerIn(full.slice(0, full.length - 1), false)).toBeUndefined();
    expect(answerIn(full, false)).toEqual(INIT);
    expect(answerIn(sse(INIT, "\r\n"), false)).toEqual(INIT);
    const json = JSON.stringify(INIT, null, 1);
    expect(answerIn(`event: message\n${json.split("\n").map((l) => `data: ${l}`).join("\n")}\n\n`, false)).toEqual(INIT);
    // The last event counts when the body ended without its blank line.
    expect(answerIn(`data: ${JSON.stringify(INIT)}`, true)).toEqual(INIT);
    expect(answerIn(": comment\n\n", true)).toBeUndefined();
  });
});

describe("teeAnswer", () => {
  test("the client gets every byte of a stream that stays open; the answer is known before it ends", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const text = sse(INIT);
    const enc = new TextEncoder();
    controller.enqueue(enc.encode(text.slice(0, 30)));
    controller.enqueue(enc.encode(text.slice(30)));
    const [res, answer] = teeAnswer(new Response(body, { status: 200, headers: { "content-type": "text/event-stream", "mcp-session-id": "x" } }));
    expect(await answer).toEqual(INIT);
    expect(res.headers.get("mcp-session-id")).toBe("x");
    controller.enqueue(enc.encode("event: message\ndata: {}\n\n"));
    controller.close();
    expect(await res.text()).toBe(text + "event: message\ndata: {}\n\n");
  });
});

describe("onBody", () => {
  test("sees node:http writes as they happen, and stops looking once it has the answer", async () => {
    const seen: string[] = [];
    let held!: ServerResponse;
    const server = createServer((_req, res) => {
      onBody(res, (text, complete) => {
        seen.push(`${complete}:${text.length}`);
        return answerIn(text, complete) !== undefined;
      }, 1 << 20);
      res.writeHead(200, { "content-type": "text/event-stream" });
      const text = sse(INIT);
      res.write(text.slice(0, 25));
      res.write(Buffer.from(text.slice(25)));
      res.write("data: {}\n\n");
      held = res;
      setTimeout(() => res.end(), 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await res.text()).toBe(sse(INIT) + "data: {}\n\n");
      // Two looks: the half, then the whole answer; nothing after.
      expect(seen).toEqual([`false:25`, `false:${sse(INIT).length}`]);
      expect(held.writableEnded).toBe(true);
    } finally {
      server.close();
    }
  });

  test("a write without writeHead has sent the head before it is seen (the bridge learns the session id from the head)", async () => {
    const heads: boolean[] = [];
    const server = createServer((_req, res) => {
      onBody(res, (_text, complete) => (heads.push(res.headersSent), complete), 1 << 20);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(INIT));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      expect(await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).json()).toEqual(INIT);
      expect(heads).toEqual([true]);
    } finally {
      server.close();
    }
  });
});
