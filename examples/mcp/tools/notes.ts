import { z } from "zod";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { notes } from "../store.ts";

export function addNoteTools(server: McpServer) {
  server.registerTool("add_note", { description: "Saves a note", inputSchema: { text: z.string() } }, ({ text }) => {
    notes.push(text);
    return { content: [{ type: "text", text: `saved (${notes.length} notes)` }] };
  });
  server.registerResource("notes", "notes://all", { description: "Every saved note", mimeType: "text/plain" }, (uri) => ({
    contents: [{ uri: uri.href, text: notes.join("\n") }],
  }));
}
