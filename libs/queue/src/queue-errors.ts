// A queue's `error` events (Redis gone, a command refused) in the log, without payloads, and at most
// one line a minute per queue: an outage is worth knowing of, not a line per reconnect attempt.
import type { EventEmitter } from 'node:events';

export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Listens for `error` on `emitter` (a Queue, a QueueEvents) and warns, throttled, with the message only. */
export function logQueueErrors(emitter: Pick<EventEmitter, 'on'>, name: string, logger: WarnLogger, everyMs = 60_000, now = () => Date.now()): void {
  let last = -Infinity;
  let suppressed = 0;
  emitter.on('error', (err: Error) => {
    const t = now();
    if (t - last < everyMs) {
      suppressed++;
      return;
    }
    last = t;
    logger.warn({ queue: name, error: String(err?.message ?? err).slice(0, 200), ...(suppressed ? { alsoSince: suppressed } : {}) }, 'queue error');
    suppressed = 0;
  });
}
