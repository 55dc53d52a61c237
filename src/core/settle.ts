/**
 * When a batch of changed files is complete, the decision core's first question. A save
 * goes out after 1 ms of quiet: another process writing three files back to back had
 * them split over two batches once in 12 tries with 0.3 ms, never in 60 with 1 ms, and
 * 2 ms cost a leaf edit a third of its time. What comes soon after a batch went out is
 * most often the rest of the same write (a tool writing several files, an editor's temp
 * file and rename): it goes out after a short quiet, and the core holds a failure of the
 * first part for it (src/core/core.ts). When that follow-up is itself followed, saves
 * keep coming (a formatter over many files, a branch switch, a generator): a storm,
 * gathered over a longer quiet.
 */

export interface SettleOptions {
  /** Quiet time before a batch goes out (ms). */
  settleMs: number;
  /** Quiet time once a batch holds more than one file, or follows a batch just sent (ms). */
  multiSettleMs: number;
  /** Quiet time while saves keep coming (ms). */
  stormSettleMs: number;
  /** A change this soon after a batch went out follows it; after a follow-up, it starts a storm (ms). */
  stormWindowMs: number;
  /** A storm still flushes at least this often (ms). */
  maxWaitMs: number;
}

export const SETTLE_DEFAULTS: SettleOptions = {
  settleMs: 1,
  multiSettleMs: 12,
  stormSettleMs: 150,
  stormWindowMs: 100,
  maxWaitMs: 500,
};

/** What to do about one change. */
export interface SettleStep {
  /** Send the pending batch after this many ms of quiet (0: at once). */
  wait: number;
  /** The batch is overdue: it goes out even though changes keep coming. */
  overdue: boolean;
}

/** The settle policy over time stamps (ms); the watcher owns the timer and the files. */
export class Settle {
  private firstAt = 0;
  private lastFlush = -Infinity;
  /** The batch sent last followed the one before it. */
  private lastFollowed = false;
  /** A change of the pending batch followed the batch sent last. */
  private follows = false;
  private storm = false;

  constructor(private readonly o: SettleOptions = SETTLE_DEFAULTS) {}

  /** A change arrived at `now`; `pending` files (this one included) wait to go out. */
  change(now: number, pending: number): SettleStep {
    if (pending === 1) this.firstAt = now;
    const soon = now - this.lastFlush < this.o.stormWindowMs;
    if (soon) this.follows = true;
    // A storm starts when a follow-up is followed again, and lasts until a quiet flush.
    if (soon && this.lastFollowed) this.storm = true;
    const overdue = now - this.firstAt >= this.o.maxWaitMs;
    const wait = overdue ? 0 : this.storm ? this.o.stormSettleMs : pending > 1 || this.follows ? this.o.multiSettleMs : this.o.settleMs;
    return { wait, overdue };
  }

  /** The batch went out at `now`; a storm ends with a batch sent after quiet (not an overdue one). */
  flushed(now: number, overdue: boolean): void {
    this.lastFlush = now;
    this.lastFollowed = this.follows;
    this.follows = false;
    if (!overdue) this.storm = false;
  }
}
