/**
 * A websocket room. Open sockets survive reloads of every other module: edit
 * routes/hello.ts while a client is connected and it stays connected.
 */
import { Elysia, t } from "elysia";

export const chat = new Elysia().ws("/chat", {
  body: t.String({ minLength: 1 }),
  open(ws) {
    ws.subscribe("room");
  },
  message(ws, text) {
    ws.send(`you said: ${text}`);
    ws.publish("room", `someone said: ${text}`);
  },
});
