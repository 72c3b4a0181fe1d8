import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { COHORT_BANDS, ageInYears, cohortBand, isoDate, latestClockStartFor, parseIsoDate, weeksWaited } from './rtt-clock.js';

const DAY_MS = 86_400_000;
const d = (iso: string) => new Date(iso);
const addDays = (date: Date, days: number) => new Date(date.getTime() + days * DAY_MS);

/** Realistic dates (1900-2200) without invalid ones. */
const realisticDate = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true });

describe('weeksWaited', () => {
  const today = d('2026-11-25T00:00:00Z');

  test.each([
    [0, 0],
    [1, 0],
    [6, 0],
    [7, 1],
    [13, 1],
    [14, 2],
    [363, 51],
    [364, 52],
    [365, 52],
    [370, 52],
    [371, 53],
    [728, 104],
  ])('clock start %i days ago -> %i weeks', (daysAgo, weeks) => {
    expect(weeksWaited(addDays(today, -daysAgo), today)).toBe(weeks);
  });

  it('a clock start in the future gives 0, never negative', () => {
    expect(weeksWaited(addDays(today, 1), today)).toBe(0);
    expect(weeksWaited(addDays(today, 30), today)).toBe(0);
    expect(weeksWaited(addDays(today, 3650), today)).toBe(0);
  });

  it('a clock stop before asOf counts to the stop', () => {
    const start = d('2025-01-01T00:00:00Z');
    const stop = addDays(start, 100); // 14 weeks 2 days
    expect(weeksWaited(start, today, stop)).toBe(14);
    expect(weeksWaited(start, today)).toBe(Math.floor((today.getTime() - start.getTime()) / DAY_MS / 7));
  });

  it('a clock stop after asOf, null or undefined is ignored', () => {
    const start = addDays(today, -70);
    expect(weeksWaited(start, today, addDays(today, 30))).toBe(10);
    expect(weeksWaited(start, today, null)).toBe(10);
    expect(weeksWaited(start, today, undefined)).toBe(10);
  });

  it('a clock stop before the clock start gives 0', () => {
    expect(weeksWaited(today, addDays(today, 100), addDays(today, -5))).toBe(0);
  });

  it('counts across leap days (2024-02-29 exists, 2100 is not a leap year)', () => {
    // 2024-02-01 to 2024-03-07: 29 + 6 = 35 days = 5 weeks (leap year)
    expect(weeksWaited(d('2024-02-01T00:00:00Z'), d('2024-03-07T00:00:00Z'))).toBe(5);
    // 2023-02-01 to 2023-03-07: 28 + 6 = 34 days = 4 weeks (non-leap year)
    expect(weeksWaited(d('2023-02-01T00:00:00Z'), d('2023-03-07T00:00:00Z'))).toBe(4);
    // a calendar year containing 29 Feb is 366 days = 52 weeks 2 days
    expect(weeksWaited(d('2024-01-01T00:00:00Z'), d('2025-01-01T00:00:00Z'))).toBe(52);
    // 2100-02-01 to 2100-03-08 is 35 days (28-day February)
    expect(weeksWaited(d('2100-02-01T00:00:00Z'), d('2100-03-08T00:00:00Z'))).toBe(5);
    // a clock started on 29 Feb
    expect(weeksWaited(d('2024-02-29T00:00:00Z'), d('2024-03-07T00:00:00Z'))).toBe(1);
  });

  it('only the UTC calendar day matters, not the time of day', () => {
    // start late in the day, asOf early in the day: 6.0x days by the clock but 7 calendar days
    expect(weeksWaited(d('2026-11-18T23:59:59Z'), d('2026-11-25T00:00:01Z'))).toBe(1);
    // start early, asOf late on the day before the week is up: still 6 calendar days
    expect(weeksWaited(d('2026-11-18T00:00:00Z'), d('2026-11-24T23:59:59.999Z'))).toBe(0);
    // the same day at any times
    expect(weeksWaited(d('2026-11-25T23:00:00Z'), d('2026-11-25T01:00:00Z'))).toBe(0);
    // a stop earlier on the same day as asOf counts the same
    expect(weeksWaited(d('2026-11-11T12:00:00Z'), d('2026-11-25T18:00:00Z'), d('2026-11-25T06:00:00Z'))).toBe(2);
  });

  it('across a UK clock change (BST ends in late October) the count is in UTC days', () => {
    expect(weeksWaited(d('2026-10-20T00:00:00Z'), d('2026-10-27T00:00:00Z'))).toBe(1);
    expect(weeksWaited(d('2026-03-25T00:00:00Z'), d('2026-04-01T00:00:00Z'))).toBe(1);
  });

  it('property: never negative and monotonic non-decreasing in asOf', () => {
    fc.assert(
      fc.property(
        realisticDate,
        realisticDate,
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: DAY_MS - 1 }),
        (start, asOf, extraDays, extraMs) => {
          const later = new Date(asOf.getTime() + extraDays * DAY_MS + extraMs);
          const a = weeksWaited(start, asOf);
          const b = weeksWaited(start, later);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(a)).toBe(true);
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
    );
  });

  it('property: moving the clock start earlier never shortens the wait', () => {
    fc.assert(
      fc.property(realisticDate, realisticDate, fc.integer({ min: 0, max: 5000 }), (start, asOf, earlierBy) => {
        expect(weeksWaited(addDays(start, -earlierBy), asOf)).toBeGreaterThanOrEqual(weeksWaited(start, asOf));
      }),
    );
  });

  it('property: a start n whole days before asOf gives floor(n / 7) weeks', () => {
    fc.assert(
      fc.property(realisticDate, fc.integer({ min: 0, max: 20000 }), (asOf, n) => {
        expect(weeksWaited(addDays(asOf, -n), asOf)).toBe(Math.floor(n / 7));
      }),
    );
  });

  it('property: a clock stop never makes the wait longer than without it', () => {
    fc.assert(
      fc.property(realisticDate, realisticDate, realisticDate, (start, asOf, stop) => {
        expect(weeksWaited(start, asOf, stop)).toBeLessThanOrEqual(weeksWaited(start, asOf));
      }),
    );
  });
});

describe('cohortBand', () => {
  test.each([
    [0, null],
    [17, null],
    [18, 18],
    [39, 18],
    [40, 40],
    [51, 40],
    [52, 52],
    [64, 52],
    [65, 65],
    [77, 65],
    [78, 78],
    [103, 78],
    [104, 104],
    [500, 104],
  ])('%i weeks -> band %p', (weeks, band) => {
    expect(cohortBand(weeks)).toBe(band);
  });

  it('bands are the NHS England long-wait bands, ascending', () => {
    expect([...COHORT_BANDS]).toEqual([18, 40, 52, 65, 78, 104]);
  });

  it('property: the band is the largest band not above the weeks, and non-decreasing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 200 }), (weeks, more) => {
        const band = cohortBand(weeks);
        const expected = [...COHORT_BANDS].filter((b) => b <= weeks).pop() ?? null;
        expect(band).toBe(expected);
        if (band !== null) expect(band).toBeLessThanOrEqual(weeks);
        expect(cohortBand(weeks + more) ?? -1).toBeGreaterThanOrEqual(band ?? -1);
      }),
    );
  });
});

describe('parseIsoDate', () => {
  test.each([
    '2025-02-30',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
    '2025-01-32',
    '2025-04-31',
    '2023-02-29',
    '2100-02-29',
    '2025-1-1',
    '',
    '2025/01/01',
    '20250101',
    '2025-01-01T00:00:00Z',
    ' 2025-01-01',
    '2025-01-01 ',
    'abcd-ef-gh',
    '12025-01-01',
  ])('refuses %p', (value) => {
    expect(parseIsoDate(value)).toBeNull();
  });

  test.each(['2024-02-29', '2000-02-29', '2025-01-01', '2025-12-31', '1956-03-02', '2026-11-25'])('accepts %p as UTC midnight', (value) => {
    const date = parseIsoDate(value);
    expect(date).not.toBeNull();
    expect(date!.toISOString()).toBe(`${value}T00:00:00.000Z`);
    expect(isoDate(date!)).toBe(value);
  });

  it('property: isoDate and parseIsoDate round-trip for any day 1900-2200', () => {
    fc.assert(
      fc.property(realisticDate, (date) => {
        const iso = isoDate(date);
        expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const parsed = parseIsoDate(iso);
        expect(parsed).not.toBeNull();
        expect(isoDate(parsed!)).toBe(iso);
        expect(parsed!.getTime() % DAY_MS === 0).toBe(true);
      }),
    );
  });
});

describe('isoDate', () => {
  it('formats the UTC calendar day', () => {
    expect(isoDate(d('2026-11-25T23:59:59.999Z'))).toBe('2026-11-25');
    expect(isoDate(d('2024-02-29T00:00:00Z'))).toBe('2024-02-29');
  });
});

describe('ageInYears', () => {
  const dob = d('1956-03-02T00:00:00Z');

  it('the day before a birthday is still the younger age', () => {
    expect(ageInYears(dob, d('2026-03-01T00:00:00Z'))).toBe(69);
    expect(ageInYears(dob, d('2026-03-01T23:59:59Z'))).toBe(69);
  });

  it('on the birthday the age goes up', () => {
    expect(ageInYears(dob, d('2026-03-02T00:00:00Z'))).toBe(70);
    expect(ageInYears(dob, d('2026-03-03T00:00:00Z'))).toBe(70);
  });

  it('a month before and a month after the birthday', () => {
    expect(ageInYears(dob, d('2026-02-02T00:00:00Z'))).toBe(69);
    expect(ageInYears(dob, d('2026-04-01T00:00:00Z'))).toBe(70);
  });

  it('18th birthday', () => {
    const teen = d('2008-11-25T00:00:00Z');
    expect(ageInYears(teen, d('2026-11-24T00:00:00Z'))).toBe(17);
    expect(ageInYears(teen, d('2026-11-25T00:00:00Z'))).toBe(18);
  });

  it('born on 29 February: the age goes up on 1 March in a common year, on 29 February in a leap year', () => {
    const leapling = d('2004-02-29T00:00:00Z');
    expect(ageInYears(leapling, d('2022-02-28T00:00:00Z'))).toBe(17);
    expect(ageInYears(leapling, d('2022-03-01T00:00:00Z'))).toBe(18);
    expect(ageInYears(leapling, d('2024-02-28T00:00:00Z'))).toBe(19);
    expect(ageInYears(leapling, d('2024-02-29T00:00:00Z'))).toBe(20);
  });

  it('on the day of birth the age is 0', () => {
    expect(ageInYears(dob, dob)).toBe(0);
  });

  it('property: age is non-decreasing in asOf and equals whole years elapsed', () => {
    fc.assert(
      fc.property(realisticDate, fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 364 }), (birth, years, days) => {
        const b = new Date(Date.UTC(birth.getUTCFullYear(), birth.getUTCMonth(), birth.getUTCDate()));
        // Skip 29 Feb births here; they are covered above.
        fc.pre(!(b.getUTCMonth() === 1 && b.getUTCDate() === 29));
        const birthday = new Date(Date.UTC(b.getUTCFullYear() + years, b.getUTCMonth(), b.getUTCDate()));
        expect(ageInYears(b, birthday)).toBe(years);
        expect(ageInYears(b, new Date(birthday.getTime() - DAY_MS))).toBe(years - 1);
        expect(ageInYears(b, addDays(birthday, days))).toBeGreaterThanOrEqual(years);
      }),
    );
  });
});

describe('latestClockStartFor', () => {
  const day = fc.date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true });

  it('is the latest clock start with at least that many weeks waited: one day later is a week short', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 1, max: 520 }), (asOf, weeks) => {
        const start = latestClockStartFor(weeks, asOf);
        const dayLater = new Date(start.getTime() + 86_400_000);
        return weeksWaited(start, asOf) === weeks && weeksWaited(dayLater, asOf) === weeks - 1;
      }),
    );
  });

  it('is a UTC midnight whatever the time of day', () => {
    expect(latestClockStartFor(52, new Date('2026-11-25T23:59:00Z')).toISOString()).toBe('2025-11-26T00:00:00.000Z');
  });
});
