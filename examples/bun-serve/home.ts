// Try it: change this text and reload the page.
export const home = () => new Response("Hello from Bun.serve", { headers: { "content-type": "text/plain" } });
