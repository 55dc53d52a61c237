export default () => Response.json({ now: new Date().toISOString() });
