// An MCP server over stdio. Under plain Bun: `bun server.ts`; with hot reloading, the
// same file and no other change: `bunx hmr-run server.ts`.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { addMathTools } from "./tools/math.ts";
import { addNoteTools } from "./tools/notes.ts";

const server = new McpServer({ name: "hmr-run-example", version: "1.0.0" });
addMathTools(server);
addNoteTools(server);
server.registerPrompt("summarize-notes", { description: "Ask for a summary of the saved notes" }, () => ({
  messages: [{ role: "user", content: { type: "text", text: "Summarize the notes in notes://all." } }],
}));

await server.connect(new StdioServerTransport());
