// A job that must wait (an SMS in quiet hours): the router moves it to the delayed set, not a retry.

/** Thrown by a handler to hold its job until `until` (epoch ms); it costs no attempt. */
export class DeferJobError extends Error {
  constructor(
    readonly until: number,
    readonly why: string,
  ) {
    super(`held until ${new Date(until).toISOString()}: ${why}`);
    this.name = 'DeferJobError';
  }
}

/** BullMQ limiter options for the notifications queue: GOV.UK Notify takes 3,000 messages a minute. */
export function notifyLimiter(notify: { rateLimitMax: number; rateLimitDurationMs: number }): { max: number; duration: number } {
  return { max: notify.rateLimitMax, duration: notify.rateLimitDurationMs };
}
