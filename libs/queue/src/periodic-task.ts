// A pass run on a timer in a worker process (the reconciler, the reminder sweep, the Notify status
// poll): one pass at a time, the next scheduled when the last one ends, a failed pass logged and
// tried again at the next, and stop() waiting for a pass in progress.
//
// A timer in the process rather than a BullMQ repeatable job: the schedule of a repeatable job
// lives in Redis and goes with a flush, while this one lives with the process.

export interface PeriodicTaskOptions<R> {
  /** One pass. What it returns goes to `nextInMs`. */
  readonly run: () => Promise<R>;
  /** The time between the end of one pass and the start of the next. */
  readonly intervalMs: number;
  /** A pass that threw: logged by the caller; the next pass runs as usual. */
  readonly onError: (e: Error) => void;
  /** When the next pass should start after this one (default `intervalMs`); null: the pass failed. */
  readonly nextInMs?: (result: R | null) => number;
}

export class PeriodicTask<R> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<R | null> | null = null;
  private stopped = false;

  constructor(private readonly opts: PeriodicTaskOptions<R>) {}

  /** Schedules the first pass (after `intervalMs`, or `firstInMs`). */
  start(firstInMs = this.opts.intervalMs): void {
    this.schedule(firstInMs);
  }

  /** True once stop() was called: a long pass can end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** One pass now, or the pass already running; null when it failed, or once stopped (no pass then). */
  runNow(): Promise<R | null> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve(null);
    // Through a promise, so a pass that throws before its first await is caught like the others.
    this.running = Promise.resolve()
      .then(() => this.opts.run())
      .catch((e: unknown) => {
        try {
          this.opts.onError(e instanceof Error ? e : new Error(String(e)));
        } catch {
          // A failing logger must not stop the loop.
        }
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** No pass after this one; resolves when a pass in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow().then((r) => {
        let next = this.opts.intervalMs;
        try {
          next = this.opts.nextInMs?.(r) ?? next;
        } catch {
          // Keep the loop going at the usual interval.
        }
        this.schedule(next);
      });
    }, ms);
  }
}
