// The UK calendar (Europe/London, summer time included): which day it is in the UK at an instant.

const LONDON_DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The UK calendar date at an instant, as midnight UTC of that date (the form of a date-only value).
 * From 00:00 to 01:00 BST the UTC date is still the day before; this is the UK one. A date-only
 * value (midnight UTC) maps to itself: UK time is never behind UTC.
 */
export function ukDate(at: Date): Date {
  // The UK's offset from UTC is a whole hour, so its date changes only on a UTC hour: one reading per
  // hour of time serves every instant in it (most calls ask about "now"; formatToParts is the slow part).
  const hour = Math.floor(at.getTime() / 3_600_000);
  if (hour !== lastHour || lastDay === null) {
    const p = Object.fromEntries(LONDON_DAY.formatToParts(at).map((x) => [x.type, x.value]));
    lastDay = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day));
    lastHour = hour;
  }
  return new Date(lastDay);
}
let lastHour = NaN;
let lastDay: number | null = null;

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The UK date and time at an instant. */
export function londonParts(at: Date): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const p = Object.fromEntries(LONDON.formatToParts(at).map((x) => [x.type, x.value]));
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) };
}

/**
 * The instant of a UK wall-clock time (what a clerk types: 15 December 2026, 09:30), summer time
 * included. In the hour the clocks go back the earlier of the two instants; in the hour they go
 * forward (a time that does not exist) the instant an hour on.
 */
export function ukLocalTime(year: number, month: number, day: number, hour: number, minute: number): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // London is UTC or UTC+1: try both offsets and keep the one whose London reading matches.
  for (const offsetHours of [1, 0]) {
    const at = new Date(asUtc - offsetHours * 3_600_000);
    const p = londonParts(at);
    if (p.year === year && p.month === month && p.day === day && p.hour === hour && p.minute === minute) return at;
  }
  return new Date(asUtc);
}
