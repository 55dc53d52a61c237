/**
 * One reload at a time: files saved while a reload runs join the next batch. The dev
 * server and `hmr-run/testing` (through App) and `hmr-run test` (its test runs) share it.
 */
import { own } from "../runtime/own.ts";

/** What the next reload is for. */
export interface Batch {
  files: Set<string>;
  /** Run every module of the batch even if its code did not change. */
  force: boolean;
  /** Why every module runs again, for the log line. */
  full?: string;
  /** The files to name in the log line instead of the modules (an env file). */
  shown?: string[];
}

export class ReloadQueue {
  private next: Batch = { files: new Set(), force: false };
  private running: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private run: (batch: Batch) => Promise<void>,
    /** A bug of ours (or a value thrown that defies printing): reported, the queue goes on. */
    private bug: (err: unknown) => void,
  ) {}

  /** Queues files; resolves once every batch queued so far has been applied. */
  add(files: Iterable<string>, force = false, full?: string, shown?: string[]): Promise<void> {
    // A late timer (a file seen empty mid-save, an invalidation) must not reload a stopped app.
    if (this.stopped) return own.Promise.resolve();
    for (const f of files) this.next.files.add(f);
    if (force) this.next.force = true;
    if (full) this.next.full = full;
    if (shown) this.next.shown = [...(this.next.shown ?? []), ...shown];
    if (this.running) return this.running;
    // Assigned before draining starts: an empty queue drains synchronously, and its
    // `finally` must see (and clear) this promise, or every later save waits on it forever.
    let done!: () => void;
    const running = new own.Promise<void>((r) => (done = r));
    this.running = running;
    void this.drain().then(done, done);
    return running;
  }

  /** Resolves once no reload is running or queued. */
  idle(): Promise<void> {
    if (!this.running) return own.Promise.resolve();
    return new own.Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Moves the files queued for the next reload into `batch` (the rest of a write the
   * running reload has not started on yet). A forced batch stays queued: it runs as asked.
   */
  absorb(batch: Batch): void {
    if (this.next.force) return;
    for (const f of this.next.files) batch.files.add(f);
    if (this.next.shown) batch.shown = [...(batch.shown ?? []), ...this.next.shown];
    this.next = { files: new Set(), force: false };
  }

  /** The files queued for the next reload. */
  queued(): string[] {
    return [...this.next.files];
  }

  /** Later batches are dropped. */
  stop(): void {
    this.stopped = true;
  }

  /** A batch is being applied now. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private async drain(): Promise<void> {
    try {
      // A forced batch runs even with no files (the test runner's "run every test file").
      while (this.next.files.size || this.next.force) {
        const batch = this.next;
        this.next = { files: new Set(), force: false };
        try {
          await this.run(batch);
        } catch (err) {
          this.bug(err);
        }
      }
    } finally {
      this.running = undefined;
      for (const r of this.idleWaiters.splice(0)) r();
    }
  }
}
