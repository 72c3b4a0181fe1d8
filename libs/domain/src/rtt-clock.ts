// RTT clock: weeks waited from the clock start, and the cohort bands of long-waiters.

const DAY_MS = 86_400_000;

/** Cohort bands used by NHS England for long waits, in weeks. */
export const COHORT_BANDS = [18, 40, 52, 65, 78, 104] as const;

function utcDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/**
 * Whole weeks from the RTT clock start to `asOf` (today) or to the clock stop when
 * the clock has stopped. Never negative. The clock is never reset by a transfer.
 */
export function weeksWaited(clockStart: Date, asOf: Date, clockStop?: Date | null): number {
  const end = clockStop && clockStop.getTime() < asOf.getTime() ? clockStop : asOf;
  const days = Math.floor((utcDay(end) - utcDay(clockStart)) / DAY_MS);
  return days <= 0 ? 0 : Math.floor(days / 7);
}

/**
 * The latest RTT clock start (a UTC day) at which a pathway has waited at least `weeks` whole
 * weeks on `asOf`: the inverse of weeksWaited, for "waited N weeks or more" filters.
 */
export function latestClockStartFor(weeks: number, asOf: Date): Date {
  return new Date(utcDay(asOf) - weeks * 7 * DAY_MS);
}

/** The highest band a wait has reached (e.g. 53 weeks -> 52), or null below 18 weeks. */
export function cohortBand(weeks: number): (typeof COHORT_BANDS)[number] | null {
  let band: (typeof COHORT_BANDS)[number] | null = null;
  for (const b of COHORT_BANDS) if (weeks >= b) band = b;
  return band;
}

/** Parses an ISO calendar date (YYYY-MM-DD) strictly: 2025-02-30 is refused. */
export function parseIsoDate(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return date;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** True for a date-time that exists: 2027-02-30 or 24:00 are refused, not rolled over (and Postgres reads whatever passes). */
export function isRealDateTime(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m) return false;
  if (!parseIsoDate(`${m[1]}-${m[2]}-${m[3]}`)) return false;
  const [h, min, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || min > 59 || sec > 59) return false;
  if (m[8] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59)) return false;
  return !Number.isNaN(Date.parse(v));
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Age in whole years on `asOf`. */
export function ageInYears(dateOfBirth: Date, asOf: Date): number {
  let age = asOf.getUTCFullYear() - dateOfBirth.getUTCFullYear();
  const m = asOf.getUTCMonth() - dateOfBirth.getUTCMonth();
  if (m < 0 || (m === 0 && asOf.getUTCDate() < dateOfBirth.getUTCDate())) age--;
  return age;
}
