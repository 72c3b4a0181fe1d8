// UK wall-clock time (Europe/London, summer time included) and the SMS quiet-hours window.
import { londonParts } from '#domain';

/** A window of UK time in minutes after midnight; start > end wraps past midnight (21:00-08:00). */
export interface QuietHours {
  readonly start: number;
  readonly end: number;
}

/** How far UK time is ahead of UTC at an instant (0 in winter, 1 h in summer). */
function londonOffsetMs(at: Date): number {
  const p = londonParts(at);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant a UK wall-clock time happens on a UK date (the offset is taken at that time, not now). */
export function londonTime(year: number, month: number, day: number, minutesAfterMidnight: number): Date {
  const naive = Date.UTC(year, month - 1, day, 0, minutesAfterMidnight);
  const first = naive - londonOffsetMs(new Date(naive));
  return new Date(naive - londonOffsetMs(new Date(first)));
}

/** Inside the window: when it ends (the next end of the window, UK time); outside it: null. */
export function quietUntil(now: Date, window: QuietHours | null): Date | null {
  if (!window) return null;
  const p = londonParts(now);
  const m = p.hour * 60 + p.minute;
  const inside = window.start < window.end ? m >= window.start && m < window.end : m >= window.start || m < window.end;
  if (!inside) return null;
  if (m < window.end) return londonTime(p.year, p.month, p.day, window.end);
  const tomorrow = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return londonTime(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), window.end);
}
