// Group commit for small writes that many requests make at once (an audit row per request, a
// job's completion mark): one statement for all of them instead of one round trip each.
//
// An item added while no write is in flight is written at once, so a quiet process adds no
// latency. Items added while a write is in flight wait for it and then go together. Each `add`
// resolves when its own item is written, or rejects with its own error: a caller that awaits it
// still knows its row is in before it answers.
import { isDataError } from './sql.js';

type Pending<T> = { item: T; resolve: () => void; reject: (e: unknown) => void };

export class GroupWriter<T> {
  private pending: Array<Pending<T>> = [];
  private writing = false;
  /** Settles when the current drain ends. */
  private drained: Promise<void> = Promise.resolve();

  /**
   * @param write writes a group of items in one statement.
   * @param maxGroup the most items one statement carries.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxGroup = 500,
  ) {}

  /** Resolves once nothing is pending or being written (for a shutdown before the pool ends). */
  async idle(): Promise<void> {
    while (this.writing) await this.drained;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.writing) this.drained = this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, this.maxGroup);
        try {
          await this.write(group.map((p) => p.item));
          for (const p of group) p.resolve();
        } catch (e) {
          // One bad item (a value or constraint Postgres refused) must not fail the others: each is
          // written on its own, and only the ones that fail again reject. Any other error (the
          // database away, a timeout) fails the group as it is: retrying its items one by one
          // would only pile up on a pool that is already in trouble.
          if (group.length === 1 || !isDataError(e)) for (const p of group) p.reject(e);
          else await Promise.all(group.map((p) => this.write([p.item]).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
