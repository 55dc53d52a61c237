/**
 * Runs the decision core on the real clock: feeds it events as they happen, hands each
 * command to an executor, and ticks it when it asked to be woken. Waits of a millisecond
 * or two are waited out in turns of the event loop that poll for I/O (Bun's timers wait
 * whole milliseconds: setTimeout(0) takes 1.2 ms), so a save's 1 ms of quiet costs 1 ms.
 */
import { Core, type CoreWorld } from "./core.ts";
import type { Command, Event } from "./events.ts";
import type { Policy } from "./policy.ts";
import { ioTurn, own } from "../runtime/own.ts";

/** Quiet times up to this long are waited out in event-loop turns rather than with a timer (ms). */
const SHORT_MS = 2;
/** A turn of the event loop takes about 0.3 ms: ending this much past the wake time means the process was held up (ms). */
const LATE_MS = 0.5;

export class Driver {
  readonly core: Core;
  private timer: Timer | undefined;
  /** The wake time being waited for; a later schedule for the same time does nothing. */
  private waiting: number | undefined;
  private turn = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    world: CoreWorld,
    policy: Policy,
    /** Carries out one command; commands come in the order the core decided them. */
    private readonly exec: (c: Command) => void,
  ) {
    this.core = new Core(world, policy, performance.now());
    this.schedule();
  }

  /** One event, now. */
  feed(e: Event): void {
    const out = this.core.on(e, performance.now());
    for (const c of out) this.exec(c);
    this.schedule();
    if (this.idleWaiters.length && this.core.idle()) for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Resolves once nothing is settling, running, queued or held. */
  idle(): Promise<void> {
    if (this.core.idle()) return own.Promise.resolve();
    return new own.Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops the clock: no more ticks. */
  close(): void {
    own.clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = undefined;
    this.turn++;
  }

  private schedule(): void {
    let wake = this.core.wakeAt();
    if (wake === this.waiting) return;
    // A wake time a tick did not move would spin: never sooner than a millisecond after the last tick.
    if (wake !== undefined && this.lastTick !== undefined && wake <= this.lastTick) wake = this.lastTick + 1;
    this.close();
    if (wake === undefined) return;
    this.waiting = wake;
    const wait = wake - performance.now();
    if (wait > SHORT_MS) {
      this.timer = own.setTimeout(() => this.wake(), wait);
      (this.timer as { unref?: () => void }).unref?.();
      return;
    }
    const turn = this.turn;
    void (async () => {
      do {
        await ioTurn();
        if (turn !== this.turn) return;
      } while (performance.now() < wake);
      // Woken late (this process was not scheduled, on a loaded machine): a file event that
      // came meanwhile may be waiting behind the turn that just ended. One more turn takes
      // it in, so that the rest of a write is not sent as a save of its own.
      if (performance.now() - wake > LATE_MS) {
        await ioTurn();
        if (turn !== this.turn) return;
      }
      this.wake();
    })();
  }

  private lastTick: number | undefined;

  private wake(): void {
    this.waiting = undefined;
    this.timer = undefined;
    this.lastTick = performance.now();
    this.feed({ t: "tick" });
  }
}
