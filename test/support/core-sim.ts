/**
 * The decision core driven by hand: events at chosen times, ticks whenever the core asks
 * to be woken, every command recorded in order. No timer, no process, no file.
 */
import { Core } from "../../src/core/core.ts";
import type { Command, Event, FileKind, Verdict } from "../../src/core/events.ts";
import { POLICY, type Policy } from "../../src/core/policy.ts";
import type { Outcome } from "../../src/core/outcome.ts";

export class CoreSim {
  readonly core: Core;
  now = 0;
  /** Every command so far, oldest first. */
  readonly log: Command[] = [];
  /** Config files whose content differs from last read. */
  readonly changedConfigs = new Set<string>();
  private seen = 0;
  /** The app answers every ping at once; false: its thread is held (a loop, a debugger). */
  answers = true;

  constructor(policy: Partial<Policy> = {}) {
    this.core = new Core({ configChanged: (p) => this.changedConfigs.has(p) }, { ...POLICY, ...policy }, 0);
  }

  /** Feeds an event at the current time (after running the clock to `at`, when given). */
  on(e: Event, at?: number): Command[] {
    if (at !== undefined) this.until(at);
    const out = this.core.on(e, this.now);
    this.log.push(...out);
    return out;
  }

  /** Runs the clock to `to`, ticking whenever the core asked to be woken. */
  until(to: number): Command[] {
    const out: Command[] = [];
    for (let wake = this.core.wakeAt(); wake !== undefined && wake <= to; wake = this.core.wakeAt()) {
      this.now = Math.max(this.now, wake);
      const got = this.core.on({ t: "tick" }, this.now);
      if (this.answers && got.some((c) => c.do === "ping")) got.push(...this.core.on({ t: "pong" }, this.now));
      out.push(...got);
      this.log.push(...got);
      // A wake time the tick did not move would loop forever: the core must always advance it.
      if (this.core.wakeAt() === wake && !got.length) throw new Error(`the core asked to be woken at ${wake} again without doing anything`);
    }
    this.now = Math.max(this.now, to);
    return out;
  }

  /** The app process finished starting. */
  ready(at?: number, loaded = true, urls = ["http://localhost:3000/"]): Command[] {
    return this.on({ t: "ready", loaded, urls, mcpStdio: false }, at);
  }

  save(path: string, at?: number, kind: FileKind = "code"): Command[] {
    return this.on({ t: "changed", path, kind }, at);
  }

  /** Commands since the last call to fresh(), pings left out. */
  fresh(): Command[] {
    const out = this.log.slice(this.seen).filter((c) => c.do !== "ping");
    this.seen = this.log.length;
    return out;
  }

  /** Answers every check and reload asked for and not answered yet, at once, with success. */
  respond(): number {
    let reloads = 0;
    for (;;) {
      const pending = this.log.slice(this.answered);
      this.answered = this.log.length;
      const c = pending.find((x) => x.do === "check" || x.do === "reload");
      if (!c) return reloads;
      if (c.do === "check") this.checked({ kind: "ok" });
      else (reloads++, this.reloadedOk());
    }
  }
  private answered = 0;

  /** The last command of a kind. */
  last<K extends Command["do"]>(kind: K): Extract<Command, { do: K }> | undefined {
    for (let i = this.log.length - 1; i >= 0; i--) if (this.log[i]!.do === kind) return this.log[i] as Extract<Command, { do: K }>;
    return undefined;
  }

  all<K extends Command["do"]>(kind: K): Array<Extract<Command, { do: K }>> {
    return this.log.filter((c) => c.do === kind) as Array<Extract<Command, { do: K }>>;
  }

  /** Every outcome reported, by kind. */
  reported(kind?: Outcome["kind"]): Outcome[] {
    return this.all("report").map((c) => c.outcome).filter((o) => !kind || o.kind === kind);
  }

  /** Answers the last check. */
  checked(verdict: Partial<Verdict> & Pick<Verdict, "kind">, at?: number): Command[] {
    const c = this.last("check");
    if (!c) throw new Error("no check was asked for");
    return this.on({ t: "checked", id: c.id, verdict: { files: c.files, ...verdict } as Verdict }, at);
  }

  /** Answers the last reload with a success running `files`. */
  reloadedOk(at?: number, ms = 3): Command[] {
    const c = this.last("reload");
    const check = this.all("check").find((k) => k.id === c?.id);
    if (!c || !check) throw new Error("no reload was asked for");
    const files = check.files;
    const outcome: Outcome = { kind: "reloaded", files, executed: files, evicted: files, stoppedAt: [], because: {}, ms };
    return this.on({ t: "reloaded", id: c.id, reply: { outcome, loaded: true, urls: [] } }, at);
  }

  /** Answers the last reload with a rollback. */
  reloadedRolledBack(at?: number): Command[] {
    const c = this.last("reload")!;
    const files = this.all("check").find((k) => k.id === c.id)!.files;
    const outcome: Outcome = { kind: "rolled-back", files, phase: "run", error: { message: "boom" }, restored: files, ms: 2 };
    return this.on({ t: "reloaded", id: c.id, reply: { outcome, loaded: true, urls: [] } }, at);
  }

}
