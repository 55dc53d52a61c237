// Try it: change the text and save; or copy this file to routes/contact.ts and open /contact.
export default () => new Response("About this app");
