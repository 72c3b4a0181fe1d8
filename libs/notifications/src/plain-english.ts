// Dates, times and distances as patients read them, in the NHS.UK style, for the messages and the
// offer page alike. Formatters are made once: building one per call (what `toLocaleString` with
// options does) cost a quarter of a millisecond.

const DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const UK_MOMENT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** The named parts of `d` as `format` writes them. */
function parts(format: Intl.DateTimeFormat, d: Date): (t: Intl.DateTimeFormatPartTypes) => string {
  const all = format.formatToParts(d);
  return (t) => all.find((p) => p.type === t)?.value ?? '';
}

/** A calendar day, "Monday 7 December 2026" (no comma): a Date at midnight UTC or "YYYY-MM-DD". */
export function dayInWords(day: Date | string): string {
  const part = parts(DAY, typeof day === 'string' ? new Date(`${day.slice(0, 10)}T00:00:00Z`) : day);
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}`;
}

/**
 * An instant (an appointment) in UK local time: "Tuesday 1 December 2026 at 2:05pm"; 9am, 2:30pm,
 * midday. Midnight says which end of the day it is. An instant that is not a date throws (a
 * RangeError) rather than tell a patient "Invalid Date": the send fails and is retried, and a
 * person is told if it keeps failing.
 */
export function momentInWords(iso: string | Date): string {
  const part = parts(UK_MOMENT, new Date(iso));
  const hour = Number(part('hour'));
  const minute = part('minute');
  const time =
    minute === '00' && hour === 12
      ? 'midday'
      : minute === '00' && hour === 0
        ? 'midnight (the start of the day)'
        : `${hour % 12 || 12}${minute === '00' ? '' : `:${minute}`}${hour < 12 ? 'am' : 'pm'}`;
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')} at ${time}`;
}

/**
 * How far a site is from the patient's home, in a sentence's middle: "about 12 miles from your
 * home", or, when the postcode could not be placed, that we could not work it out (never "less than
 * 1 mile": a distance not known is not a short one).
 */
export function distanceFromHome(miles: number | null): string {
  return miles === null ? 'we could not work out the distance from your home' : `${distanceInWords(miles)} from your home`;
}

/** "less than 1 mile", "about 1 mile", "about 12 miles". */
export function distanceInWords(miles: number): string {
  const n = Math.round(miles);
  if (n < 1) return 'less than 1 mile';
  return `about ${n} ${n === 1 ? 'mile' : 'miles'}`;
}
