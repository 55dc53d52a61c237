// The notes live here. Nothing imports the tools from this module, so editing a tool, the
// server or a prompt never runs it again: the notes survive every reload.
export const notes: string[] = [];
console.error("store ready");
