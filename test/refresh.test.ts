/**
 * `--refresh` end to end: the real CLI serves examples/html (and a fixture of odd
 * responses), real headless Chromium opens the pages, and the test only edits files:
 * every reload and overlay seen here was triggered by hmr-run itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { Fixture, ROOT, Run, freePort } from "./support/fixture.ts";
import { EVENTS, firstEvent } from "./support/refresh-events.ts";
import { browserPath } from "./support/browser.ts";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const WAIT = 20_000;
/** Browser scenarios wait on several reloads and page loads: room for a busy machine. */
const SCENARIO = 90_000;

let browser: Browser;
const runs: Run[] = [];
const fixtures: Fixture[] = [];
const contexts: BrowserContext[] = [];

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await Promise.all(runs.splice(0).map((r) => r.stop()));
  for (const f of fixtures.splice(0)) f.cleanup();
});

/** A copy of examples/html in a temp folder. */
function htmlExample(): Fixture {
  const dir = join(ROOT, "examples", "html");
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  const fx = new Fixture(files);
  fixtures.push(fx);
  return fx;
}

function serve(fx: Fixture, args: string[], port?: number): Run {
  const run = new Run(fx, args, { port });
  runs.push(run);
  return run;
}

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext();
  contexts.push(ctx);
  return ctx.newPage();
}

/** Marks the page's window: the mark is gone once the page has reloaded. */
const mark = (p: Page) => p.evaluate(() => ((globalThis as any).__testMark = true));
const reloadedBy = (p: Page) => p.waitForFunction(() => !(globalThis as any).__testMark, null, { timeout: WAIT });
const heading = (p: Page, text: string) => p.locator("h1", { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: WAIT });
/** Waits until the page has its refresh client connected (it reloads on every state change after). */
const connected = (p: Page) => p.waitForFunction(() => !!(globalThis as any).__hmrRun, null, { timeout: WAIT });

describe("--refresh in a real browser", () => {
  // Only these tests need a browser; without one they fail saying how to get one.
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: browserPath(), args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("an edit reloads the page; a failed reload shows the overlay; a fix removes it", async () => {
    const fx = htmlExample();
    const run = serve(fx, ["main.ts", "--refresh"]);
    await run.until((b) => b.includes("Hello from hmr-run"));
    const page = await newPage();
    await page.goto(run.url + "/");
    await heading(page, "Hello from hmr-run");
    await connected(page);

    fx.edit("pages/home.ts", "Hello from hmr-run", "Edited while open");
    await heading(page, "Edited while open");

    // A module that throws while it runs: message, file:line:column and the frame.
    fx.edit("pages/home.ts", `import { layout } from "./layout.ts";\n`, `import { layout } from "./layout.ts";\nthrow new Error("home is broken on purpose");\n`);
    const overlay = page.locator("hmr-run-overlay");
    await overlay.locator(".msg", { hasText: "home is broken on purpose" }).waitFor({ timeout: WAIT });
    expect(await overlay.locator(".where").textContent()).toMatch(/^pages\/home\.ts:2:\d+$/);
    expect(await overlay.locator(".frame").textContent()).toContain(`> 2 | throw new Error("home is broken on purpose");`);
    // The old code keeps serving meanwhile.
    expect(await run.get("/")).toContain("Edited while open");

    // The endpoint sends file names and code only to pages reached by a local name.
    const local = await firstEvent(run.url);
    expect(local.error.file).toMatch(/^pages\/home\.ts:2:/);
    const rebound = await firstEvent(run.url, { host: "attacker.example" });
    expect(rebound.error.message).toContain("details are in hmr-run's terminal");
    expect(rebound.error.file).toBeUndefined();
    expect(JSON.stringify(rebound)).not.toContain("broken on purpose");

    // A syntax error replaces it: the overlay follows the newest failure.
    fx.edit("pages/home.ts", `throw new Error("home is broken on purpose");\n`, `const oops = ;\n`);
    await overlay.locator(".where", { hasText: /^pages\/home\.ts:2:\d+$/ }).waitFor({ timeout: WAIT });
    await overlay.locator(".frame", { hasText: "> 2 | const oops = ;" }).waitFor({ timeout: WAIT });

    fx.edit("pages/home.ts", `const oops = ;\n`, "");
    fx.edit("pages/home.ts", "Edited while open", "Fixed");
    await heading(page, "Fixed");
    expect(await overlay.count()).toBe(0);
    expect(await page.locator("script[data-hmr-run]").count()).toBe(1);
  }, SCENARIO);

  test("many tabs, a static file page and a 404 page all reload, over one connection", async () => {
    const fx = htmlExample();
    const run = serve(fx, ["main.ts", "--refresh"]);
    await run.until((b) => b.includes("Hello from hmr-run"));
    const ctx = await browser.newContext();
    contexts.push(ctx);
    // More tabs than Chrome's six connections per host: one SSE stream per tab would
    // leave the later tabs unable to load at all.
    const paths = ["/", "/about", "/nowhere", "/", "/about", "/", "/nowhere"];
    const pages: Page[] = [];
    for (const path of paths) {
      const p = await ctx.newPage();
      await p.goto(run.url + path, { timeout: WAIT });
      await connected(p);
      await mark(p);
      pages.push(p);
    }
    fx.edit("pages/layout.ts", "<main>", `<main data-edited="yes">`);
    await Promise.all(pages.map(reloadedBy));
    for (const [i, p] of pages.entries()) {
      const edited = await p.locator("main[data-edited=yes]").count();
      // /about is a static file: it reloads too, but does not use the layout.
      expect(edited).toBe(paths[i] === "/about" ? 0 : 1);
    }
    const about = pages[1]!;
    expect(await about.locator("h1").textContent()).toBe("About");
    expect(await about.locator("script[data-hmr-run]").count()).toBe(1);
  }, SCENARIO);

  test("two apps on different ports reload independently and cannot read each other's channel", async () => {
    const a = htmlExample();
    const b = htmlExample();
    const runA = serve(a, ["main.ts", "--refresh"]);
    const runB = serve(b, ["main.ts", "--refresh"]);
    await Promise.all([runA.until(/Hello/), runB.until(/Hello/)]);
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const [pageA, pageB] = [await ctx.newPage(), await ctx.newPage()];
    await pageA.goto(runA.url + "/");
    await pageB.goto(runB.url + "/");
    await Promise.all([connected(pageA), connected(pageB)]);
    await mark(pageB);

    a.edit("pages/home.ts", "Hello from hmr-run", "Only A changed");
    await heading(pageA, "Only A changed");
    const mb = runB.mark();
    b.edit("pages/home.ts", "Hello from hmr-run", "Then B changed");
    await runB.reloaded(mb);
    await heading(pageB, "Then B changed");
    expect(await pageA.locator("h1").textContent()).toBe("Only A changed");

    // From B's page, A's channel is another origin: the browser refuses, and so does A.
    const crossOrigin = await pageB.evaluate(async (url) => {
      try {
        await fetch(url);
        return "read";
      } catch {
        return "refused";
      }
    }, runA.url + EVENTS);
    expect(crossOrigin).toBe("refused");
  }, SCENARIO);

  test("pages wait while hmr-run is down and reload once it answers again", async () => {
    const fx = htmlExample();
    const port = freePort();
    const first = serve(fx, ["main.ts", "--refresh"], port);
    await first.until(/Hello/);
    const page = await newPage();
    await page.goto(first.url + "/");
    await connected(page);
    await first.stop();
    // Changed while nothing runs: the new process serves it, and the page picks it up.
    fx.edit("pages/home.ts", "Hello from hmr-run", "After a restart");
    expect(await page.locator("h1").textContent()).toBe("Hello from hmr-run");
    const second = serve(fx, ["main.ts", "--refresh"], port);
    await second.until(/After a restart/);
    await heading(page, "After a restart");

    // Back without --refresh: the page reloads once into the plain page, and stays there.
    await connected(page);
    await mark(page);
    await second.stop();
    fx.edit("pages/home.ts", "After a restart", "Without refresh");
    const third = serve(fx, ["main.ts"], port);
    await third.until(/Without refresh/);
    await reloadedBy(page);
    await heading(page, "Without refresh");
    expect(await page.locator("script[data-hmr-run]").count()).toBe(0);
  }, SCENARIO);
});

describe("--refresh over HTTP", () => {
  // Every kind of response an app sends, served with and without --refresh.
  const app = {
    "main.ts": `
import { gzipSync } from "node:zlib";
const page = "<!doctype html><html><body><h1>Page</h1></body></html>";
const html = { "content-type": "text/html; charset=utf-8" };
const bytes = new Uint8Array(256).map((_, i) => i);
let release: () => void = () => {};
export default {
  routes: {
    "/page": () => new Response(page, { headers: html }),
    "/upper": () => new Response("<HTML><BODY><p>shout</p></BODY></HTML>", { headers: { "content-type": "TEXT/HTML" } }),
    "/fragment": () => new Response("<li>no body tag</li>", { headers: html }),
    "/static": new Response(Bun.file(new URL("./static.html", import.meta.url))),
    "/json": () => Response.json({ a: 1, html: "</body>" }),
    "/svg": new Response(Bun.file(new URL("./logo.svg", import.meta.url))),
    "/bin": () => new Response(bytes, { headers: { "content-type": "application/octet-stream" } }),
    "/text": () => new Response("plain </body> text"),
    "/gzip": () => new Response(gzipSync(page), { headers: { ...html, "content-encoding": "gzip" } }),
    "/download": () => new Response(page, { headers: { ...html, "content-disposition": "attachment; filename=p.html" } }),
    "/go": () => (release(), new Response("released")),
    "/stream": () => {
      const enc = new TextEncoder();
      const body = new ReadableStream({
        async start(c) {
          c.enqueue(enc.encode("<!doctype html><html><body><p>part one</p>"));
          await new Promise<void>((r) => (release = r));
          c.enqueue(enc.encode("<p>part two</p></bo"));
          c.enqueue(enc.encode("dy></html>"));
          c.close();
        },
      });
      return new Response(body, { headers: html });
    },
    // "</body>" in a script, a comment and an attribute: only the real end tag counts.
    "/tricky": () => new Response('<html><body><script>var end = "</body>";</script><!-- </body> --><p title="</body>">real</p></body></html>', { headers: html }),
    "/latin1": () => new Response(new Uint8Array([...new TextEncoder().encode("<html><body>caf"), 0xe9, ...new TextEncoder().encode("</body></html>")]), { headers: { "content-type": "text/html; charset=iso-8859-1" } }),
    "/latin1-meta": () => new Response(new Uint8Array([...new TextEncoder().encode('<html><head><meta charset="windows-1252"></head><body>caf'), 0xe9, ...new TextEncoder().encode("</body></html>")]), { headers: { "content-type": "text/html" } }),
    "/range": () => new Response("<html><body>part", { status: 206, headers: { ...html, "content-range": "bytes 0-16/100" } }),
    "/twice": async (req: Request) => {
      const inner = await fetch(new URL("/page", req.url));
      return new Response(await inner.text(), { headers: html });
    },
  },
  fetch: (req: Request, server: any) => {
    if (new URL(req.url).pathname === "/ws" && server.upgrade(req)) return;
    return new Response("no such page", { status: 404 });
  },
  websocket: { message: (ws: any, m: string) => ws.send("echo " + m) },
};
`,
    "static.html": "<!doctype html><html><body><p>static</p></body></html>\n",
    "logo.svg": `<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>\n`,
  };
  const untouched = ["/json", "/svg", "/bin", "/text", "/gzip", "/download", "/latin1", "/latin1-meta", "/range", EVENTS];

  test("only HTML pages change; everything else is byte-identical with and without --refresh", async () => {
    const fx = new Fixture(app);
    fixtures.push(fx);
    const plain = serve(fx, ["main.ts"]);
    const refresh = serve(fx, ["main.ts", "--refresh"]);
    await Promise.all([plain.until(/Page/, "/page"), refresh.until(/Page/, "/page")]);

    for (const path of untouched) {
      // EVENTS only exists with --refresh; without it the app's own 404 answers.
      if (path === EVENTS) continue;
      const [x, y] = await Promise.all([snapshot(plain.url + path), snapshot(refresh.url + path)]);
      expect({ path, ...y }).toEqual({ path, ...x });
    }
    const head = await Promise.all([snapshot(plain.url + "/page", "HEAD"), snapshot(refresh.url + "/page", "HEAD")]);
    expect(head[1]).toEqual(head[0]);

    // Without the flag: no script anywhere, and no reserved path.
    expect(await plain.get("/page")).not.toContain("data-hmr-run");
    const none = await fetch(plain.url + EVENTS);
    expect([none.status, await none.text()]).toEqual([404, "no such page"]);

    // With it: one script, right before </body>, in every kind of HTML page.
    const page = await refresh.get("/page");
    expect(count(page, "<script data-hmr-run>")).toBe(1);
    expect(page).toMatch(/<h1>Page<\/h1><script data-hmr-run>.*<\/script><\/body><\/html>$/s);
    expect(await refresh.get("/upper")).toMatch(/<p>shout<\/p><script data-hmr-run>.*<\/script><\/BODY><\/HTML>$/s);
    expect(await refresh.get("/fragment")).toMatch(/^<li>no body tag<\/li><script data-hmr-run>.*<\/script>$/s);
    expect(await refresh.get("/static")).toMatch(/<p>static<\/p><script data-hmr-run>.*<\/script><\/body>/s);
    const tricky = await refresh.get("/tricky");
    expect(count(tricky, "<script data-hmr-run>")).toBe(1);
    expect(tricky).toStartWith('<html><body><script>var end = "</body>";</script><!-- </body> --><p title="</body>">real</p><script data-hmr-run>');
    // A page that already carries the script (the app fetched its own page) gets no second one.
    expect(count(await refresh.get("/twice"), "<script data-hmr-run>")).toBe(1);
    // A script fetching HTML (htmx, fetch()) gets the fragment as the app wrote it.
    const byScript = await fetch(refresh.url + "/page", { headers: { "sec-fetch-dest": "empty" } });
    expect(await byScript.text()).toBe(await plain.get("/page"));
    const htmx = await fetch(refresh.url + "/fragment", { headers: { "hx-request": "true" } });
    expect(await htmx.text()).toBe("<li>no body tag</li>");
  });

  test("a streamed page keeps streaming and gets the script before </body> across chunks", async () => {
    const fx = new Fixture(app);
    fixtures.push(fx);
    const run = serve(fx, ["main.ts", "--refresh"]);
    await run.until(/Page/, "/page");
    const res = await fetch(run.url + "/stream");
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    // The second part is only produced after /go: reading the first part proves nothing waits for the end.
    while (!text.includes("part one")) {
      const r = await reader.read();
      if (r.done) throw new Error(`stream ended early: ${text}`);
      text += dec.decode(r.value, { stream: true });
    }
    expect(text).not.toContain("data-hmr-run");
    expect(await run.get("/go")).toBe("released");
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value, { stream: true });
    expect(text).toMatch(/<p>part two<\/p><script data-hmr-run>.*<\/script><\/body><\/html>$/s);
    expect(count(text, "<script data-hmr-run>")).toBe(1);
  });

  test("a websocket upgrade under --refresh works and logs nothing", async () => {
    const fx = new Fixture(app);
    fixtures.push(fx);
    const run = serve(fx, ["main.ts", "--refresh"]);
    await run.until(/Page/, "/page");
    // The app serves a moment before the banner is printed.
    await run.output("Ctrl+C stops");
    const from = run.mark();
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(run.url.replace("http", "ws") + "/ws");
      const echo = new Promise<string>((resolve, reject) => {
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error(`websocket failed\n${run.out}`));
      });
      ws.onopen = () => ws.send("hi");
      expect(await echo).toBe("echo hi");
      ws.close();
    }
    // A request after the upgrades: anything the upgrades logged is in the output by then.
    expect(await run.get("/page")).toContain("Page");
    expect(run.out.slice(from)).toBe("");
  });

  test("the reserved path answers only GET from its own origin and echoes nothing", async () => {
    const fx = new Fixture(app);
    fixtures.push(fx);
    const run = serve(fx, ["main.ts", "--refresh"]);
    await run.until(/Page/, "/page");
    const url = run.url + EVENTS;

    const post = await fetch(url, { method: "POST", body: "<b>echo-me</b>" });
    expect([post.status, await post.text()]).toEqual([405, ""]);
    for (const headers of [{ origin: "http://evil.example" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "null" }] as Record<string, string>[]) {
      const res = await fetch(url, { headers });
      expect([JSON.stringify(headers), res.status, await res.text()]).toEqual([JSON.stringify(headers), 403, ""]);
    }
    const state = await firstEvent(run.url, { "x-probe": "echo-me" }, "?q=echo-me");
    expect(Object.keys(state).sort()).toEqual(["boot", "version"]);
    expect(JSON.stringify(state)).not.toContain("echo-me");
    const res = await fetch(url + "?q=echo-me");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    await res.body?.cancel();
    // Nothing else under the reserved prefix: the app answers, no file is served.
    for (const path of ["/__hmr-run/", "/__hmr-run/main.ts", "/__hmr-run/events/../../main.ts", "/__hmr-run/events/x"]) {
      const r = await fetch(run.url + path);
      expect([path, r.status, await r.text()]).toEqual([path, 404, "no such page"]);
    }
  });
});

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

/** Status, headers (but the date) and body bytes of one response. */
async function snapshot(url: string, method = "GET") {
  const res = await fetch(url, { method, decompress: false } as RequestInit);
  const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== "date"));
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()).toString("base64") };
}
