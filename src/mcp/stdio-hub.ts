/**
 * One MCP stdio connection that outlives reloads. hmr-run reads stdin itself; each
 * `StdioServerTransport` the app starts is a link the hub hands messages to. When a
 * reload starts a new server, the hub replays the client's `initialize` to it (the
 * client sees nothing), switches requests over to it, and once the reload succeeded
 * tells the client which of its tool, resource and prompt lists changed. Pure: streams come in as
 * functions, so tests drive it with plain objects.
 */

/** A JSON-RPC message, as loosely as the hub needs it. */
export type Message = { jsonrpc: "2.0"; id?: string | number; method?: string; params?: unknown; result?: unknown; error?: unknown };

/** What the hub needs of an SDK transport: the callbacks `Protocol.connect()` set on it. */
export interface Link {
  onmessage?: (message: Message, extra?: unknown) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
}

export interface HubIO {
  /** Writes one line to stdout; resolves once it may write again. */
  write(line: string): Promise<void>;
  /** The session's set-up messages changed (for a restarted app process to pick them up). */
  onSession?(messages: Message[]): void;
  /** Resolves once the reload running now (if any) is over, with how it ended. */
  settled(): Promise<"ok" | "rolled-back" | "failed">;
}

/** The list requests whose answers a client caches, and the notification that says one is stale. */
const LISTS = [
  { methods: ["tools/list"], notify: "notifications/tools/list_changed" },
  { methods: ["resources/list", "resources/templates/list"], notify: "notifications/resources/list_changed" },
  { methods: ["prompts/list"], notify: "notifications/prompts/list_changed" },
] as const;

/** Requests that set up the session: replayed to each new server, in the order the client sent them. */
const SESSION = new Set(["initialize", "notifications/initialized", "logging/setLevel", "resources/subscribe"]);

/** Where a session message is kept: one per method, one per resource for subscriptions. */
const sessionKey = (m: Message) => (m.method === "resources/subscribe" || m.method === "resources/unsubscribe" ? `resources/subscribe ${(m.params as { uri?: string })?.uri}` : m.method!);

/** A hidden request that gets no answer in this time counts as unanswerable (ms). */
const HIDDEN_TIMEOUT = 2000;

export class StdioHub {
  /** The link that answers the client's requests. */
  private current: Link | undefined;
  /** The link of the last reload that served new code (or restored the last good code). */
  private stable: Link | undefined;
  /** Messages that came before any server connected. */
  private early: Message[] = [];
  /** The client's session set-up, by method (the last `logging/setLevel` wins). */
  private session = new Map<string, Message>();
  /** What the stable link's lists were, as compared text; undefined until first asked. */
  private lists: string[] | undefined;
  /** Server-to-client requests (sampling, roots), by id: the client's answer goes back to their sender. */
  private outgoing = new Map<string | number, Link>();
  /** Requests the hub itself sent to a link, by id. */
  private hidden = new Map<string, (m: Message) => void>();
  private nextId = 0;

  /** Set when this process took over a session an earlier app process opened (a restart). */
  private inherited = false;

  /**
   * `session`: the set-up messages of a session an earlier app process served (the
   * supervisor restarted it); the first server is brought into it before it answers.
   */
  constructor(
    private io: HubIO,
    session: Message[] = [],
  ) {
    for (const m of session) this.session.set(sessionKey(m), m);
    this.inherited = this.session.has("initialize");
  }

  /** Whether any server has connected: the app is an MCP stdio server. */
  get connected(): boolean {
    return this.current !== undefined;
  }

  /**
   * A server's transport started. The first one takes the connection at once; a later one
   * (a reload ran the module again) is brought into the client's session first, then
   * answers, so the reload's success line is true when it prints. A rollback's restored
   * server is one more such link; if nothing could be restored, the last good one answers.
   */
  async attach(link: Link): Promise<void> {
    if (!this.current) {
      const inherited = this.inherited;
      this.inherited = false;
      if (inherited) await this.replay(link);
      this.current = this.stable = link;
      for (const m of this.early.splice(0)) this.deliver(link, m);
      // A new process: what its lists were before is unknown, so the client lists again.
      if (inherited) for (const l of LISTS) await this.io.write(JSON.stringify({ jsonrpc: "2.0", method: l.notify }) + "\n");
      return;
    }
    const stable = this.stable;
    const before = stable && this.session.has("initialize") ? (this.lists ??= await this.snapshot(stable)) : undefined;
    await this.replay(link);
    this.current = link;
    void this.io.settled().then(async (outcome) => {
      // A later link of the same reload (a rollback's) settles it instead.
      if (this.current !== link) return;
      if (outcome === "failed") return void (this.current = this.stable);
      this.stable = link;
      if (!before) return void (this.lists = undefined);
      const after = await this.snapshot(link);
      if (this.stable !== link) return;
      this.lists = after;
      for (const [i, list] of LISTS.entries()) {
        if (before[i] !== after[i]) await this.io.write(JSON.stringify({ jsonrpc: "2.0", method: list.notify }) + "\n");
      }
    });
  }

  /** Brings `link` into the client's session: its set-up messages, answers kept here. */
  private async replay(link: Link): Promise<void> {
    for (const m of this.session.values()) {
      if (m.id === undefined) this.deliver(link, m);
      else await this.ask(link, m.method!, m.params);
    }
  }

  /** The app closed a server's transport itself. */
  detach(link: Link): void {
    if (this.current === link) this.current = undefined;
    if (this.stable === link) {
      this.stable = undefined;
      this.lists = undefined;
    }
  }

  /** A line the client wrote. */
  receive(message: Message): void {
    if (message.method && SESSION.has(message.method)) this.session.set(sessionKey(message), message);
    if (message.method === "resources/unsubscribe") this.session.delete(sessionKey(message));
    if (message.method && (SESSION.has(message.method) || message.method === "resources/unsubscribe")) this.io.onSession?.([...this.session.values()]);
    if (message.method === undefined && message.id !== undefined && this.outgoing.has(message.id)) {
      const to = this.outgoing.get(message.id)!;
      this.outgoing.delete(message.id);
      return this.deliver(to, message);
    }
    if (!this.current) return void this.early.push(message);
    this.deliver(this.current, message);
  }

  /** A message a server sends: to the client, unless it answers one of the hub's own requests. */
  send(from: Link, message: Message): Promise<void> {
    if (message.method === undefined && typeof message.id === "string" && this.hidden.has(message.id)) {
      this.hidden.get(message.id)!(message);
      return Promise.resolve();
    }
    if (message.method !== undefined && message.id !== undefined) this.outgoing.set(message.id, from);
    return this.io.write(JSON.stringify(message) + "\n");
  }

  /** stdin ended: the client is gone. */
  end(): void {
    this.current?.onclose?.();
    this.current = this.stable = undefined;
  }

  /** Each list of `link` as comparable text (an error answer counts too: the list is absent). */
  private async snapshot(link: Link): Promise<string[]> {
    return Promise.all(
      LISTS.map(async (l) => {
        const answers = await Promise.all(l.methods.map((m) => this.ask(link, m, {})));
        return JSON.stringify(answers.map((a) => a.result ?? null));
      }),
    );
  }

  /** Sends `link` a request of the hub's own; its answer never reaches the client. */
  private ask(link: Link, method: string, params: unknown): Promise<Message> {
    const id = `hmr-run:${this.nextId++}`;
    return new Promise<Message>((resolve) => {
      const timer = setTimeout(() => done({ jsonrpc: "2.0", id, error: { message: "no answer" } }), HIDDEN_TIMEOUT);
      const done = (m: Message) => {
        clearTimeout(timer);
        this.hidden.delete(id);
        resolve(m);
      };
      this.hidden.set(id, done);
      this.deliver(link, { jsonrpc: "2.0", id, method, params });
    });
  }

  private deliver(link: Link, message: Message): void {
    try {
      link.onmessage?.(message);
    } catch (err) {
      link.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
