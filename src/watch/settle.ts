/**
 * When a batch of changed files goes out. A save is sent at once (after the events already
 * read with it, see the watcher): waiting for quiet cost every edit its length (2 ms of
 * quiet was a third of a leaf edit's latency). What comes
 * right after a batch went out is the rest of the same write (a tool writing several
 * files, an editor's temp file and rename): the app process is told "more" at once and
 * holds the batch it has until the rest arrives, after a short quiet, so such a write is
 * still one reload. Saves that keep coming after that (a formatter over many files, a
 * branch switch, a generator) are a storm: they wait for a longer quiet, and the app
 * process is told "more" all the same, so that a failure of the part it has is only told
 * if the rest does not fix it.
 */

export interface SettleOptions {
  /** Quiet time before a batch goes out (ms); 0 sends it at once. */
  settleMs: number;
  /** Quiet time once a batch holds more than one file, or follows a batch just sent (ms). */
  multiSettleMs: number;
  /** A change this soon after a batch went out is the rest of the same write (ms). */
  followMs: number;
  /** Quiet time while saves keep coming (ms). */
  stormSettleMs: number;
  /** A change within this long after the previous batch (and not following it) starts a storm (ms). */
  stormWindowMs: number;
  /** A storm still flushes at least this often (ms). */
  maxWaitMs: number;
}

export const SETTLE_DEFAULTS: SettleOptions = {
  settleMs: 0,
  multiSettleMs: 12,
  followMs: 3,
  stormSettleMs: 150,
  stormWindowMs: 100,
  maxWaitMs: 500,
};

/** What to do about one change. */
export interface SettleStep {
  /** Send the pending batch after this many ms of quiet (0: at once). */
  wait: number;
  /** Tell the app process now that the batch it got last has more coming (once per batch). */
  more: boolean;
  /** The batch is overdue: it goes out even though changes keep coming. */
  overdue: boolean;
}

/** The settle policy over time stamps (ms); the watcher owns the timer and the files. */
export class Settle {
  private firstAt = 0;
  private lastFlush = -Infinity;
  private storm = false;
  private announced = false;

  constructor(private readonly o: SettleOptions = SETTLE_DEFAULTS) {}

  /** A change arrived at `now`; `pending` files (this one included) wait to go out. */
  change(now: number, pending: number): SettleStep {
    if (pending === 1) this.firstAt = now;
    const since = now - this.lastFlush;
    const follows = since <= this.o.followMs;
    // Announced for a storm too: a reload that failed on the first part holds its report for the rest.
    const more = since < this.o.stormWindowMs && !this.announced;
    if (more) this.announced = true;
    // A storm starts when saves follow a batch closely, and lasts until a quiet flush.
    if (!follows && since < this.o.stormWindowMs) this.storm = true;
    const overdue = now - this.firstAt >= this.o.maxWaitMs;
    const wait = overdue ? 0 : this.storm ? this.o.stormSettleMs : pending > 1 || follows ? this.o.multiSettleMs : this.o.settleMs;
    return { wait, more, overdue };
  }

  /** The batch went out at `now`; a storm ends with a batch sent after quiet (not an overdue one). */
  flushed(now: number, overdue: boolean): void {
    this.lastFlush = now;
    this.announced = false;
    if (!overdue) this.storm = false;
  }
}
