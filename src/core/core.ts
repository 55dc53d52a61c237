/**
 * The decision core: every decision about what a save means, in one state machine over
 * time stamps. Is the write complete? Is it worth a reload, a restart, or nothing? Is a
 * failure news, or the first half of a write whose rest is coming? Has the app hung,
 * and does the user want new code badly enough to restart it? Events go in (a path
 * changed, the app checked a batch, a reload ended, a ping came back, a key, a tick);
 * commands come out (check, reload, report, restart, ...). It does no I/O and reads no
 * clock: the supervisor (and hmr-run/testing, in one process) carries the commands out,
 * and the tests drive it event by event (test/decision-core.test.ts).
 */
import type { Ask, Command, Event, FileKind, ReloadReply, Signal, Verdict } from "./events.ts";
import type { Failed, Outcome, RestartReason, RolledBack } from "./outcome.ts";
import { POLICY, type Policy } from "./policy.ts";
import { Settle } from "./settle.ts";

/** What the core asks of the world, synchronously: facts it cannot know from events. */
export interface CoreWorld {
  /** Did this config file's content change since it was last read (a touch changes nothing)? */
  configChanged(path: string): boolean;
}

/** A set of saves (or a forced reload) on its way to the app. */
interface Batch {
  files: Map<string, FileKind>;
  force: boolean;
  /** Every module runs again, for this reason (r + Enter, the MCP tool). */
  full?: string;
  /** Who inside the app waits for this batch's outcome (the MCP reload tool). */
  tickets: number[];
}

type Inflight =
  | { kind: "start"; at: number; module?: string; told: boolean }
  | {
      kind: "check";
      id: number;
      at: number;
      batch: Batch;
      module?: string;
      told: boolean;
      dirty: boolean;
      /** Sent to an app that had left a ping unanswered: unanswered this long as well, the app is restarted. */
      suspect?: boolean;
    }
  | { kind: "reload"; id: number; at: number; batch: Batch; module?: string; told: boolean; verdict: Verdict };

/** Where the app process is in its life. */
type Phase =
  /** Started, loading its entry. */
  | "starting"
  /** Ready: serving, running as a script, or waiting for a fix to its entry. */
  | "up"
  /** Exited (or cannot start) and waits for a save. */
  | "down"
  /** Being stopped and started again: waiting for the new one. */
  | "restarting"
  /** hmr-run is stopping. */
  | "stopping";

/** Kinds whose save can fix an app that is down or stuck (not a log it writes). */
const FIXES = new Set<FileKind>(["code", "data", "env"]);

export class Core {
  private phase: Phase = "starting";
  private readonly settle: Settle;
  /** Changes not yet complete: they go out once quiet (the settle policy). */
  private unsettled = new Map<string, FileKind>();
  private settleAt: number | undefined;
  private overdue = false;
  /** Settled saves waiting for the app to be free. */
  private next: Batch | undefined;
  private inflight: Inflight | undefined = { kind: "start", at: 0, told: false };
  /** A failure waiting to see if the rest of its write comes. */
  private held: { outcome: Failed | RolledBack; until: number; batch: Batch } | undefined;
  /** Env files saved whose values no reload has applied yet. */
  private envPending = new Set<string>();
  private lookAgain: { files: string[]; at: number } | undefined;
  private nextId = 0;
  private loaded = false;
  private bannerShown = false;
  /** The banner said the entry waits for a fix (or still loads): the first success says where it serves. */
  private waitingBanner = false;
  private readyAt: number | undefined;
  private restart: { reason: RestartReason; at: number } | undefined;
  private fatalMessage: string | undefined;
  /** Restarts after exits with no save in between (a crash loop guard). */
  private autoRestarts = 0;
  /** A save reached the app (or waited for it) while it was busy: it may be the fix. */
  private savedWhileBusy = false;
  private pingAt: number | undefined;
  private unansweredSince: number | undefined;
  private paused = false;
  /** A batch held up by an app that answers nothing: since when, and whether that was said. */
  private waiting: { since: number; files: string[]; told: boolean } | undefined;
  /** When the current app process started (ms), for the line of a long first start. */
  private startedAt = 0;
  private stop: { signal: Signal | "q" | "stdin"; at: number; deadline: number; killed: boolean } | undefined;

  constructor(
    private readonly world: CoreWorld,
    private readonly p: Policy = POLICY,
    now = 0,
  ) {
    this.settle = new Settle(p);
    // A first start that waits for a debugger is not long, however long the debugger takes.
    this.inflight = { kind: "start", at: now, told: p.firstStartWaits };
    this.startedAt = now;
    this.pingAt = now + p.pingMs;
  }

  /** Feeds one event that happened at `now` (ms); returns what to do, in order. */
  on(e: Event, now: number): Command[] {
    const out: Command[] = [];
    this.handle(e, now, out);
    return out;
  }

  /** When the core next needs a `tick` (ms), if ever. */
  wakeAt(): number | undefined {
    // While stopping, only the stop's own deadline matters: saves are no longer news.
    if (this.phase === "stopping") return this.stop?.deadline === Infinity ? undefined : this.stop?.deadline;
    const times = [this.settleAt, this.held?.until, this.lookAgain?.at, this.stop?.deadline];
    if (this.waiting && !this.waiting.told) times.push(this.waiting.since + this.p.waitTellMs);
    if (this.pingAt !== undefined && this.pinging()) times.push(this.pingAt);
    if (this.inflight && !this.inflight.told && this.alive()) times.push(this.inflight.at + this.p.longMs);
    if (this.inflight?.kind === "check" && this.inflight.suspect && this.alive()) times.push(this.silentUntil(this.inflight.at));
    let min: number | undefined;
    for (const t of times) if (t !== undefined && (min === undefined || t < min)) min = t;
    return min;
  }

  /** Nothing is running, waiting to run, or waiting to be told. */
  idle(): boolean {
    return !this.inflight && !this.next && !this.held && !this.unsettled.size && !this.lookAgain && this.phase !== "restarting";
  }

  private handle(e: Event, now: number, out: Command[]): void {
    switch (e.t) {
      case "changed":
        return this.changed(e.path, e.kind, now, out);
      case "tick":
        return this.tick(now, out);
      case "spawned":
        this.phase = "starting";
        this.inflight = { kind: "start", at: now, told: false };
        this.startedAt = now;
        this.readyAt = undefined;
        this.fatalMessage = undefined;
        this.unansweredSince = undefined;
        this.paused = false;
        this.pingAt = now + this.p.pingMs;
        return;
      case "ready":
        if (e.failure && this.phase === "starting") out.push({ do: "report", outcome: e.failure.kind === "failed" ? { ...e.failure, start: true } : e.failure });
        return this.ready(e.loaded, e.urls, e.mcpStdio, now, out);
      case "checked":
        return this.checked(e.id, e.verdict, now, out, e.reloading === true);
      case "reloaded":
        return this.reloaded(e.id, e.reply, now, out);
      case "pong":
        this.unansweredSince = undefined;
        if (this.waiting) {
          this.waiting = undefined;
          this.dispatch(now, out);
        }
        return;
      case "slow":
        if (this.inflight) this.inflight.module = e.module;
        return;
      case "fatal":
        this.fatalMessage = e.message;
        return;
      case "gone":
        // Until a new process serves, connections are held rather than refused.
        if (this.phase === "up" || this.phase === "starting") out.push({ do: "hold" });
        return;
      case "exited":
        return this.exited(e.code, e.signal, now, out);
      case "key":
        if (e.key === "q") return this.signal("q", now, out);
        if (e.key === "R") {
          this.autoRestarts = 0;
          if (this.phase === "restarting") return this.alreadyRestarting("R + Enter", undefined, out);
          return this.restartApp({ why: "key" }, now, out);
        }
        return this.ask({ what: "reloadAll" }, "r + Enter", undefined, now, out);
      case "signal":
        return this.signal(e.signal, now, out);
      case "stopping":
        // The app's own handler runs its shutdown: it gets its bound on top of hmr-run's part.
        if (this.stop && e.handled) this.stop.deadline = this.stop.at + this.p.appShutdownMs + this.p.stopGraceMs;
        return;
      case "asked":
        if (e.ask.what === "restart" && this.phase === "restarting") return this.alreadyRestarting("the MCP reload tool", e.ticket, out);
        if (e.ask.what === "restart") return this.restartApp({ why: "mcp" }, now, out);
        return this.ask(e.ask, e.ask.what === "reloadAll" ? "the MCP reload tool" : undefined, e.ticket, now, out);
      case "paused":
        this.paused = e.paused;
        if (!e.paused) {
          this.unansweredSince = undefined;
          this.waiting = undefined;
          this.dispatch(now, out);
        }
        return;
      case "quit":
        return this.signal("stdin", now, out);
      default:
        return unreachable(e);
    }
  }

  // ---- saves ------------------------------------------------------------------------

  private changed(path: string, kind: FileKind, now: number, out: Command[]): void {
    if (this.phase === "stopping") return;
    this.unsettled.set(path, kind);
    const step = this.settle.change(now, this.unsettled.size);
    this.settleAt = now + step.wait;
    this.overdue = step.overdue;
    if (!FIXES.has(kind)) return;
    // The rest of a write the app is checking: its verdict is for a half-written state.
    if (this.inflight?.kind === "check") this.inflight.dirty = true;
    // The rest of a write whose first part failed: that failure is not news.
    if (this.held) {
      const { batch, outcome } = this.held;
      this.held = undefined;
      this.queue(batch);
      out.push({ do: "report", outcome: { kind: "held", files: outcome.files, error: outcome.error } });
    }
  }

  /** The settled changes become a batch: config files restart, the rest queue for the app. */
  private flush(now: number, out: Command[]): void {
    const changes = this.unsettled;
    this.unsettled = new Map();
    this.settleAt = undefined;
    this.settle.flushed(now, this.overdue);
    this.autoRestarts = 0;
    const configs: string[] = [];
    const touched: string[] = [];
    const files = new Map<string, FileKind>();
    for (const [path, kind] of changes) {
      if (kind !== "config") files.set(path, kind);
      else if (this.world.configChanged(path)) configs.push(path);
      else touched.push(path);
    }
    if (touched.length) out.push({ do: "report", outcome: { kind: "ignored", files: touched, reason: { why: "config-same" } } });
    if (configs.length) return this.restartApp({ why: "config", files: configs }, now, out);
    if (!files.size) return;
    for (const [path, kind] of files) if (kind === "env") this.envPending.add(path);
    this.queue({ files, force: false, tickets: [] });
    this.dispatch(now, out);
  }

  private queue(batch: Batch): void {
    if (!this.next) {
      this.next = { files: new Map(batch.files), force: batch.force, full: batch.full, tickets: [...batch.tickets] };
      return;
    }
    for (const [p, k] of batch.files) this.next.files.set(p, k);
    this.next.force ||= batch.force;
    this.next.full ??= batch.full;
    this.next.tickets.push(...batch.tickets);
  }

  /** A reload of every module, or of a module's importers, asked for from a key or from inside the app. */
  private ask(ask: Ask, full: string | undefined, ticket: number | undefined, now: number, out: Command[]): void {
    if (this.phase === "stopping") return;
    if (this.phase === "down" && ask.what === "reloadAll") return this.restartApp({ why: "key" }, now, out);
    if (this.phase === "restarting" && ask.what === "reloadAll") return this.alreadyRestarting(full ?? "a reload of every module", ticket, out);
    const files = new Map<string, FileKind>(ask.what === "invalidate" ? ask.files.map((f) => [f, "code"]) : []);
    this.queue({ files, force: true, full, tickets: ticket === undefined ? [] : [ticket] });
    this.dispatch(now, out);
  }

  /** Sends the next batch when the app can take it; or decides the app needs a restart for it. */
  private dispatch(now: number, out: Command[]): void {
    const batch = this.next;
    if (!batch || this.phase === "stopping" || this.phase === "restarting") return;
    const fixes = [...batch.files].filter(([, k]) => FIXES.has(k)).map(([p]) => p);
    if (this.phase === "down") {
      this.next = undefined;
      // Only a save of code or data can fix an app that is gone: a log file it (or a shell
      // redirect of hmr-run's output) writes in the watched folder must not restart it.
      if (fixes.length || batch.force) this.restartApp({ why: "saved", files: fixes }, now, out);
      return;
    }
    // The rest of a write is still settling: it goes with this batch.
    if ([...this.unsettled.values()].some((k) => FIXES.has(k))) return;
    if (this.inflight) {
      this.savedWhileBusy = true;
      if (this.isLong(now) && (fixes.length || batch.force)) this.restartStuck(now, out);
      return;
    }
    // A ping left unanswered may be an app in a loop, or one (or this process) kept from
    // running for a moment on a loaded machine, its answer not read yet: the check goes
    // out all the same, and only if it is not answered either is the app restarted.
    const suspect = this.answering(now) === false && (fixes.length > 0 || batch.force);
    if (suspect && (this.paused || this.p.debugger || !this.p.canRestart)) return this.sayWaiting(batch, now);
    this.next = undefined;
    const id = ++this.nextId;
    this.inflight = { kind: "check", id, at: now, batch, told: false, dirty: false, suspect };
    out.push({ do: "check", id, files: [...batch.files.keys()], force: batch.force, full: batch.full, env: this.envPending.size > 0, then: "reload" });
  }

  /** The batch waits for the app to answer; said if it still waits `waitTellMs` later (see tick). */
  private sayWaiting(batch: Batch, now: number): void {
    // An editor's temp file (sed -i, a backup) is no news: only the app's code and data are named.
    const files = [...batch.files].filter(([, k]) => FIXES.has(k)).map(([p]) => p);
    if (!this.waiting) this.waiting = { since: now, files, told: false };
    else for (const f of files) if (!this.waiting.files.includes(f)) this.waiting.files.push(f);
  }

  private checked(id: number, v: Verdict, now: number, out: Command[], reloading: boolean): void {
    const f = this.inflight;
    if (f?.kind !== "check" || f.id !== id) return;
    for (const w of v.selfWrites ?? []) out.push({ do: "report", outcome: { kind: "ignored", files: [w.file], reason: { why: "self-write", ...w } } });
    if (v.lookAgain?.length) this.lookAgain = { files: v.lookAgain, at: now + this.p.lookAgainMs };
    // Already reloading (a plain ok): what came meanwhile is the next batch, and a failure
    // of this one is held for it.
    if (reloading) {
      this.inflight = { kind: "reload", id, at: f.at, batch: f.batch, told: f.told, module: f.module, verdict: v };
      return;
    }
    if (f.dirty) {
      // Checked half-way through a write: check again with the rest, once it settled.
      this.inflight = undefined;
      this.queue(f.batch);
      return this.dispatch(now, out);
    }
    const envChanged = (v.envVars?.length ?? 0) > 0;
    if (v.kind === "refused") {
      this.inflight = undefined;
      return this.fail(f.batch, { kind: "failed", phase: "check", files: v.files, error: v.error, ms: now - f.at, full: f.batch.full }, now, out);
    }
    if (v.fresh && this.p.canRestart && (v.kind === "ok" || envChanged)) {
      this.inflight = undefined;
      return this.restartApp({ why: "failed-start", files: v.files.length ? v.files : [...f.batch.files.keys()] }, now, out);
    }
    if ((v.kind === "unchanged" || v.kind === "unused") && !envChanged) {
      this.inflight = undefined;
      const envFiles = [...f.batch.files].filter(([, k]) => k === "env").map(([p]) => p);
      if (envFiles.length) {
        for (const p of envFiles) this.envPending.delete(p);
        out.push({ do: "report", outcome: { kind: "ignored", files: envFiles, reason: { why: "env-same" } }, tickets: f.batch.tickets });
      } else if (v.kind === "unchanged") {
        out.push({ do: "report", outcome: { kind: "ignored", files: v.files, reason: { why: "unchanged" } }, tickets: f.batch.tickets });
      }
      return this.dispatch(now, out);
    }
    // Env values changed: every module runs again with them.
    const full = envChanged ? `${names(this.envFiles(f.batch))} changed ${v.envVars!.join(", ")}` : undefined;
    this.inflight = { kind: "reload", id, at: f.at, batch: f.batch, told: f.told, module: f.module, verdict: v };
    out.push({ do: "reload", id, full, env: this.envPending.size > 0 });
  }

  private envFiles(batch: Batch): string[] {
    const own = [...batch.files].filter(([, k]) => k === "env").map(([p]) => p);
    return own.length ? own : [...this.envPending];
  }

  private reloaded(id: number, reply: ReloadReply, now: number, out: Command[]): void {
    const f = this.inflight;
    if (f?.kind !== "reload" || f.id !== id) return;
    this.inflight = undefined;
    this.envPending.clear();
    const o = reply.outcome;
    if (reply.stale && this.p.canRestart) return this.restartApp({ why: "stale", module: reply.stale, files: o.kind === "reloaded" ? o.files : filesOf(o) }, now, out);
    const wasLoaded = this.loaded;
    if (reply.loaded) this.loaded = true;
    if (o.kind === "failed" || o.kind === "rolled-back") this.fail(f.batch, o, now, out);
    else if (o.kind === "reloaded" && !wasLoaded && this.loaded && this.waitingBanner) {
      this.waitingBanner = false;
      out.push({ do: "report", outcome: { ...o, nowServing: reply.urls }, tickets: f.batch.tickets });
    } else out.push({ do: "report", outcome: o, tickets: f.batch.tickets });
    this.dispatch(now, out);
  }

  /** A failure is told, unless the rest of its write is on its way (then it is held, and retried with it). */
  private fail(batch: Batch, o: Failed | RolledBack, now: number, out: Command[]): void {
    const partOfWrite = !batch.force && this.loaded;
    if (partOfWrite && [...this.unsettled.values()].some((k) => FIXES.has(k))) {
      this.queue(batch);
      out.push({ do: "report", outcome: { kind: "held", files: o.files, error: o.error } });
      return this.dispatch(now, out);
    }
    if (partOfWrite) {
      this.held = { outcome: o, until: now + this.p.holdMs, batch };
      return this.dispatch(now, out);
    }
    out.push({ do: "report", outcome: !this.loaded && o.kind === "failed" ? { ...o, start: true } : o, tickets: batch.tickets });
    this.dispatch(now, out);
  }

  // ---- time -------------------------------------------------------------------------

  private tick(now: number, out: Command[]): void {
    if (this.stop && now >= this.stop.deadline) {
      out.push({ do: "report", outcome: { kind: "stopping", signal: this.stop.signal, cutOff: now - this.stop.at } });
      this.stop.deadline = Infinity;
      this.stop.killed = true;
      out.push({ do: "kill" });
    }
    if (this.phase === "stopping") return;
    if (this.waiting && !this.waiting.told && now >= this.waiting.since + this.p.waitTellMs) {
      this.waiting.told = true;
      if (this.waiting.files.length) out.push({ do: "report", outcome: { kind: "waiting", files: this.waiting.files, paused: this.paused } });
    }
    if (this.settleAt !== undefined && now >= this.settleAt) this.flush(now, out);
    if (this.lookAgain && now >= this.lookAgain.at) {
      const { files } = this.lookAgain;
      this.lookAgain = undefined;
      for (const f of files) this.changed(f, "code", now, out);
    }
    if (this.held && now >= this.held.until) {
      const { outcome, batch } = this.held;
      this.held = undefined;
      out.push({ do: "report", outcome, tickets: batch.tickets });
    }
    if (this.pingAt !== undefined && now >= this.pingAt && this.pinging()) {
      this.pingAt = now + this.p.pingMs;
      // Counted from a ping actually sent: a hmr-run process kept from running never blames the app.
      this.unansweredSince ??= now;
      out.push({ do: "ping" });
    }
    const f = this.inflight;
    if (f?.kind === "check" && f.suspect && now >= this.silentUntil(f.at) && this.alive()) {
      f.suspect = false;
      // Neither the ping nor the check came back: the app is not answering.
      if (this.answering(now) === false) return this.restartStuck(now, out);
    }
    if (f && !f.told && now - f.at >= this.p.longMs && this.alive()) {
      f.told = true;
      if (!this.bannerShown && f.kind === "start") this.banner([], "loading", false, out, f.module);
      const answering = this.answering(now) !== false;
      // A check runs none of the app's code: nothing of the save is running long.
      if (f.kind !== "check") {
        const files = f.kind === "start" ? [] : [...f.batch.files.keys()];
        out.push({ do: "report", outcome: { kind: "long", phase: f.kind === "start" ? "start" : "reload", module: f.module, files, ms: now - f.at, answering } });
      }
      // A check runs no code of the app: one that hangs means the app hung before the save
      // reached it, and the save is likely the fix. A save made while a start or a reload
      // ran is the user wanting new code. Either way only a new process gives it.
      if (f.kind === "check" || (this.next && this.savedWhileBusy)) this.restartStuck(now, out);
    }
  }

  private isLong(now: number): boolean {
    return !!this.inflight && now - this.inflight.at >= this.p.longMs;
  }

  /**
   * When a check sent at `at` to an app that left a ping unanswered gives up on it: 1 s
   * after the check, and no sooner than 3 s (`longMs`) into the silence, so that an app
   * silent for a long while is restarted soon after the save, and one held up for a
   * moment on a loaded machine has time to answer.
   */
  private silentUntil(at: number): number {
    return Math.max(at + this.p.unansweredMs, (this.unansweredSince ?? at) + this.p.longMs);
  }

  /** True when the app answers its pings, false when one went unanswered too long, undefined when unknown. */
  private answering(now: number): boolean | undefined {
    if (this.unansweredSince === undefined) return true;
    return now - this.unansweredSince >= this.p.unansweredMs ? false : undefined;
  }

  private restartStuck(now: number, out: Command[]): void {
    const f = this.inflight!;
    const files = [...new Set([...(f.kind === "check" ? f.batch.files.keys() : []), ...(this.next?.files.keys() ?? [])])];
    if (this.paused || this.p.debugger || !this.p.canRestart) return this.sayWaiting({ files: new Map(files.map((p) => [p, this.next?.files.get(p) ?? "code"])), force: false, tickets: [] }, now);
    if (f.kind === "check") return this.restartApp({ why: "unresponsive", files }, now, out);
    this.restartApp({ why: "stuck", module: f.module, files, ms: now - f.at, answering: this.answering(now) !== false }, now, out);
  }

  // ---- the app process's life -------------------------------------------------------

  /** The app process is there to answer pings (not while hmr-run stops it). */
  private pinging(): boolean {
    return this.phase === "starting" || this.phase === "up";
  }

  private alive(): boolean {
    return this.phase === "starting" || this.phase === "up" || this.phase === "stopping";
  }

  private ready(loaded: boolean, urls: string[], mcpStdio: boolean, now: number, out: Command[]): void {
    if (this.phase !== "starting") return;
    this.phase = "up";
    this.readyAt = now;
    this.inflight = undefined;
    this.loaded = loaded;
    const r = this.restart;
    this.restart = undefined;
    if (!this.bannerShown) this.banner(urls, loaded ? "ready" : "failed", mcpStdio, out);
    else if (!r && this.waitingBanner && loaded) {
      // The banner went out while the first start still loaded: now it is over.
      this.waitingBanner = false;
      out.push({ do: "report", outcome: { kind: "serving", urls, ms: now - this.startedAt } });
    } else if (r) {
      const state = !loaded ? "waiting" : urls.length ? "serving" : "running";
      out.push({ do: "report", outcome: { kind: "restarted", reason: r.reason, ms: now - r.at, state, urls } });
      out.push(loaded ? { do: "serve" } : { do: "unavailable", why: "fix" });
    }
    this.savedWhileBusy = false;
    this.dispatch(now, out);
  }

  private banner(urls: string[], state: "ready" | "loading" | "failed", mcpStdio: boolean, out: Command[], loading?: string): void {
    this.bannerShown = true;
    this.waitingBanner = state !== "ready";
    out.push({ do: "banner", urls, state, loading, mcpStdio });
  }

  private exited(code: number | null, signal: string | null, now: number, out: Command[]): void {
    if (this.stop) {
      this.phase = "stopping";
      // hmr-run ends as the app did: with its exit code, or by the signal that ended it.
      // Killed at the bound, it ends as the user's signal would have ended it.
      if (this.stop.killed) out.push(exitBy(this.stop.signal));
      else out.push(signal ? exitBy(signal as Signal) : { do: "exit", code: code ?? 0 });
      return;
    }
    if (this.phase === "restarting" || this.phase === "down") return;
    const was = this.inflight;
    this.inflight = undefined;
    this.unansweredSince = undefined;
    this.held = undefined;
    const after = this.restart?.reason;
    this.restart = undefined;
    const savedMeanwhile = this.savedWhileBusy || !!this.next;
    if (this.fatalMessage !== undefined) {
      if (!this.bannerShown) {
        this.phase = "stopping";
        out.push({ do: "fatal", message: this.fatalMessage });
        return;
      }
      return this.down({ why: "fatal", message: this.fatalMessage }, after, savedMeanwhile, now, out);
    }
    const soon = this.readyAt === undefined || (was?.kind !== "reload" && now - this.readyAt < this.p.exitSoonMs);
    // Exiting while starting (or right after) would happen again: wait for a save.
    if (soon) return this.down({ why: "exited", code, signal, when: this.readyAt === undefined ? "starting" : "soon" }, after, savedMeanwhile, now, out);
    if (++this.autoRestarts > this.p.maxAutoRestarts) return this.down({ why: "exited", code, signal, when: "again" }, after, savedMeanwhile, now, out);
    this.restartApp({ why: "exited", code, signal }, now, out);
  }

  private down(cause: Extract<Outcome, { kind: "down" }>["cause"], after: RestartReason | undefined, restarting: boolean, now: number, out: Command[]): void {
    this.phase = "down";
    out.push({ do: "report", outcome: { kind: "down", cause, after, restarting } });
    out.push({ do: "unavailable", why: "down" });
    if (!this.bannerShown) this.banner([], "failed", false, out);
    if (restarting) {
      const files = [...(this.next?.files.keys() ?? [])];
      this.next = undefined;
      this.restartApp({ why: "saved", files }, now, out);
    }
  }

  private restartApp(reason: RestartReason, now: number, out: Command[]): void {
    if (this.phase === "stopping" || this.phase === "restarting") return;
    if (!this.p.canRestart) return;
    const stuck = this.answering(now) === false || this.isLong(now);
    this.phase = "restarting";
    this.restart = { reason, at: now };
    this.inflight = undefined;
    this.next = undefined;
    this.held = undefined;
    this.lookAgain = undefined;
    this.envPending.clear();
    this.unsettled = new Map([...this.unsettled].filter(([, k]) => k === "config"));
    this.savedWhileBusy = false;
    this.waiting = undefined;
    // A stuck app runs no dispose hook anyway: it is killed at once.
    out.push({ do: "restart", reason, graceMs: stuck ? 0 : this.p.restartGraceMs });
  }

  /** Said rather than dropped: the restart under way already gives what was asked for. */
  private alreadyRestarting(by: string, ticket: number | undefined, out: Command[]): void {
    out.push({ do: "report", outcome: { kind: "ignored", files: [], reason: { why: "restarting", by } }, tickets: ticket === undefined ? undefined : [ticket] });
  }

  private signal(signal: Signal | "q" | "stdin", now: number, out: Command[]): void {
    if (this.stop) {
      out.push({ do: "report", outcome: { kind: "stopping", signal, forced: true } });
      out.push({ do: "kill" }, { do: "exit", code: 130 });
      return;
    }
    const wasAlive = this.alive() || this.phase === "restarting";
    this.stop = { signal, at: now, deadline: now + this.p.stopGraceMs, killed: false };
    this.phase = "stopping";
    out.push({ do: "report", outcome: { kind: "stopping", signal } });
    if (!wasAlive) return void out.push(exitBy(signal));
    // The app gets the signal as under `bun`; `q` and a closed MCP stdin are hmr-run's own stops.
    out.push(signal === "q" || signal === "stdin" ? { do: "stop" } : { do: "signal", signal });
  }
}

const names = (files: string[]) => files.map((f) => f.split("/").pop()).join(", ");

function filesOf(o: Outcome): string[] {
  return "files" in o ? o.files : [];
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** How hmr-run ends for a stop: `q` and a closed stdin are clean stops; a signal ends it as it would end `bun`. */
function exitBy(signal: Signal | "q" | "stdin" | string): Command {
  if (signal === "q" || signal === "stdin") return { do: "exit", code: 0 };
  return { do: "exit", code: 128 + (SIGNALS[signal] ?? 0), signal: signal as Signal };
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown event ${JSON.stringify(x)}`);
}

export type { Command, Event, Verdict, ReloadReply } from "./events.ts";
