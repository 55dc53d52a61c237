/**
 * Changed paths gathered into settled batches by the settle policy (src/core/settle.ts),
 * for `hmr-run test`, whose runs are whole `bun test` processes and need no decision
 * core: a batch goes out once the write looks complete.
 */
import { Settle, SETTLE_DEFAULTS, type SettleOptions } from "../core/settle.ts";

export class Batches {
  private pending = new Set<string>();
  private timer: Timer | undefined;
  private overdue = false;
  private readonly settle: Settle;

  constructor(
    private readonly onBatch: (files: Set<string>) => void,
    options: SettleOptions = SETTLE_DEFAULTS,
  ) {
    this.settle = new Settle(options);
  }

  /** One changed path. */
  add(path: string): void {
    this.pending.add(path);
    const step = this.settle.change(performance.now(), this.pending.size);
    this.overdue = step.overdue;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), step.wait);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Set();
    this.settle.flushed(performance.now(), this.overdue);
    if (batch.size) this.onBatch(batch);
  }
}
