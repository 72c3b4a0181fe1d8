// The UK calendar (Europe/London, summer time included): which day it is in the UK at an instant.

const LONDON_DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The UK calendar date at an instant, as midnight UTC of that date (the form of a date-only value).
 * From 00:00 to 01:00 BST the UTC date is still the day before; this is the UK one. A date-only
 * value (midnight UTC) maps to itself: UK time is never behind UTC.
 */
export function ukDate(at: Date): Date {
  const p = Object.fromEntries(LONDON_DAY.formatToParts(at).map((x) => [x.type, x.value]));
  return new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)));
}
