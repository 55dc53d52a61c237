/**
 * A debugger client, as Bun's debug adapter is one: a WebSocket speaking the WebKit
 * inspector protocol to `bun --inspect`. Breakpoints and `debugger;` statements pause only
 * once `Debugger.setBreakpointsActive` and `Debugger.setPauseOnDebuggerStatements` are on,
 * and `--inspect-wait` runs nothing until `Inspector.initialized` (Bun 1.4.5).
 */

type Message = { id?: number; method?: string; params?: any; result?: any; error?: { message: string } };

export class InspectorClient {
  private nextId = 0;
  private replies = new Map<number, { ok: (r: any) => void; fail: (e: Error) => void }>();
  /** Every event received, oldest first. */
  readonly events: Message[] = [];
  private waiters: Array<{ match: (m: Message) => boolean; ok: (m: Message) => void }> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as Message;
      if (m.id !== undefined) {
        const r = this.replies.get(m.id);
        this.replies.delete(m.id);
        if (m.error) r?.fail(new Error(m.error.message));
        else r?.ok(m.result);
        return;
      }
      this.events.push(m);
      this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.ok(m), false) : true));
    };
  }

  /** Connects to `url`, trying again until the inspector listens (it starts a moment after the process). */
  static async connect(url: string, ms = 10_000): Promise<InspectorClient> {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const ws = await new Promise<WebSocket>((ok, fail) => {
          const ws = new WebSocket(url);
          ws.onopen = () => ok(ws);
          ws.onerror = () => fail(new Error(`cannot connect to ${url}`));
        });
        return new InspectorClient(ws);
      } catch (err) {
        if (Date.now() > end) throw err;
        await Bun.sleep(20);
      }
    }
  }

  send(method: string, params: object = {}): Promise<any> {
    const id = ++this.nextId;
    return new Promise((ok, fail) => {
      this.replies.set(id, { ok, fail });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Enables what a debugger enables; `initialized` lets an --inspect-wait process run. */
  async init(initialized = true): Promise<void> {
    for (const m of ["Inspector.enable", "Runtime.enable", "Debugger.enable"]) await this.send(m);
    await this.send("Debugger.setBreakpointsActive", { active: true });
    await this.send("Debugger.setPauseOnDebuggerStatements", { enabled: true });
    if (initialized) await this.send("Inspector.initialized");
  }

  /** The next event (or one already received after `from`) matching `match`. */
  next(method: string, match: (params: any) => boolean = () => true, from = 0, ms = 10_000): Promise<any> {
    const seen = this.events.slice(from).find((m) => m.method === method && match(m.params));
    if (seen) return Promise.resolve(seen.params);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no ${method} within ${ms} ms`)), ms);
      this.waiters.push({
        match: (m) => m.method === method && match(m.params),
        ok: (m) => {
          clearTimeout(timer);
          ok(m.params);
        },
      });
    });
  }

  /** Where the event log is now: pass to `next` to wait only for later events. */
  mark(): number {
    return this.events.length;
  }

  async evaluate(expression: string): Promise<unknown> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    return r.result?.value;
  }

  /** The line (0-based, in the code Bun runs) of the first line containing `text` in the script of `url`. */
  async lineOf(url: string, text: string): Promise<number> {
    const parsed = [...this.events].reverse().find((m) => m.method === "Debugger.scriptParsed" && m.params.url === url);
    if (!parsed) throw new Error(`no script parsed for ${url}`);
    const { scriptSource } = await this.send("Debugger.getScriptSource", { scriptId: parsed.params.scriptId });
    const line = (scriptSource as string).split("\n").findIndex((l) => l.includes(text));
    if (line < 0) throw new Error(`${text} is not in the code Bun runs for ${url}:\n${scriptSource}`);
    return line;
  }

  /** The URL (a file path) of the script a call frame or location is in. */
  urlOf(scriptId: string): string | undefined {
    return this.events.find((m) => m.method === "Debugger.scriptParsed" && m.params.scriptId === scriptId)?.params.url;
  }

  close(): void {
    this.ws.close();
  }
}
