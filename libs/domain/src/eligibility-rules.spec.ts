import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import {
  ADULT_AGE_YEARS,
  BOOKED_SOON_WEEKS,
  DEFAULT_THRESHOLD_WEEKS,
  LONG_WAIT_ONLY_RULES,
  screen,
  type IneligibilityCode,
  type ScreeningInput,
} from './eligibility-rules.js';

const DAY_MS = 86_400_000;
const TODAY = new Date('2026-11-25T00:00:00Z');
const daysFrom = (date: Date, days: number) => new Date(date.getTime() + days * DAY_MS);
const codes = (input: ScreeningInput) => screen(input).reasons.map((r) => r.code);

/** Eligible on every rule: 60 weeks waited, 70 years old, not tertiary, nothing booked, capacity at RJC. */
const BASELINE: ScreeningInput = {
  rttClockStart: daysFrom(TODAY, -60 * 7),
  dateOfBirth: new Date('1956-03-02T00:00:00Z'),
  tertiary: false,
  nextAppointmentDate: null,
  trustsWithCapacity: ['RJC'],
  thresholdWeeks: DEFAULT_THRESHOLD_WEEKS,
  today: TODAY,
};

const with_ = (patch: Partial<ScreeningInput>): ScreeningInput => ({ ...BASELINE, ...patch });

/** One change per rule that makes exactly that rule fail. */
const FAILING: Record<IneligibilityCode, Partial<ScreeningInput>> = {
  BELOW_THRESHOLD: { rttClockStart: daysFrom(TODAY, -10 * 7) },
  NOT_ADULT: { dateOfBirth: new Date('2015-06-01T00:00:00Z') },
  TERTIARY_CARE: { tertiary: true },
  APPOINTMENT_WITHIN_8_WEEKS: { nextAppointmentDate: daysFrom(TODAY, 14) },
  NO_GROUP_CAPACITY: { trustsWithCapacity: [] },
};
const ALL_CODES = Object.keys(FAILING) as IneligibilityCode[];

describe('constants', () => {
  it('default threshold 52 weeks, adults 18+, booked-soon window 8 weeks', () => {
    expect(DEFAULT_THRESHOLD_WEEKS).toBe(52);
    expect(ADULT_AGE_YEARS).toBe(18);
    expect(BOOKED_SOON_WEEKS).toBe(8);
  });
});

describe('screen', () => {
  it('the baseline is eligible, with no reasons and the weeks waited', () => {
    expect(screen(BASELINE)).toEqual({ eligible: true, weeksWaited: 60, reasons: [] });
  });

  test.each(ALL_CODES)('only %s failing gives exactly that reason', (code) => {
    const result = screen(with_(FAILING[code]));
    expect(result.eligible).toBe(false);
    expect(result.reasons.map((r) => r.code)).toEqual([code]);
    expect(result.reasons[0].message.length).toBeGreaterThan(10);
  });

  it('reason messages say what failed', () => {
    const [below] = screen(with_(FAILING.BELOW_THRESHOLD)).reasons;
    expect(below.message).toBe('Waited 10 weeks; the cohort threshold is 52 weeks.');
    const [child] = screen(with_(FAILING.NOT_ADULT)).reasons;
    expect(child.message).toBe('Patient is 11; transfers are for adults (18 or over).');
    const [booked] = screen(with_(FAILING.APPOINTMENT_WITHIN_8_WEEKS)).reasons;
    expect(booked.message).toContain('2026-12-09');
    expect(booked.message).toContain('8 weeks');
  });

  it('every rule failing gives every code, in rule order', () => {
    const all = Object.assign({}, ...Object.values(FAILING)) as Partial<ScreeningInput>;
    const result = screen(with_(all));
    expect(result.eligible).toBe(false);
    expect(result.reasons.map((r) => r.code)).toEqual(ALL_CODES);
  });

  it('property: any subset of failing rules gives exactly that subset of codes', () => {
    fc.assert(
      fc.property(fc.subarray(ALL_CODES), (failing) => {
        const patch = Object.assign({}, ...failing.map((c) => FAILING[c])) as Partial<ScreeningInput>;
        const result = screen(with_(patch));
        expect(result.reasons.map((r) => r.code).sort()).toEqual([...failing].sort());
        expect(result.eligible).toBe(failing.length === 0);
      }),
    );
  });

  describe('threshold', () => {
    it('exactly at the threshold is eligible; one week less is not', () => {
      expect(codes(with_({ rttClockStart: daysFrom(TODAY, -52 * 7) }))).toEqual([]);
      expect(screen(with_({ rttClockStart: daysFrom(TODAY, -52 * 7) })).weeksWaited).toBe(52);
      expect(codes(with_({ rttClockStart: daysFrom(TODAY, -51 * 7) }))).toEqual(['BELOW_THRESHOLD']);
      // one day short of 52 whole weeks is still 51 weeks
      expect(codes(with_({ rttClockStart: daysFrom(TODAY, -(52 * 7 - 1)) }))).toEqual(['BELOW_THRESHOLD']);
    });

    it('follows a custom threshold', () => {
      expect(codes(with_({ rttClockStart: daysFrom(TODAY, -18 * 7), thresholdWeeks: 18 }))).toEqual([]);
      expect(codes(with_({ rttClockStart: daysFrom(TODAY, -17 * 7), thresholdWeeks: 18 }))).toEqual(['BELOW_THRESHOLD']);
      expect(codes(with_({ thresholdWeeks: 104 }))).toEqual(['BELOW_THRESHOLD']);
      expect(codes(with_({ thresholdWeeks: 0, rttClockStart: TODAY }))).toEqual([]);
    });

    it('a clock start in the future is 0 weeks and below any positive threshold', () => {
      const result = screen(with_({ rttClockStart: daysFrom(TODAY, 30) }));
      expect(result.weeksWaited).toBe(0);
      expect(result.reasons.map((r) => r.code)).toEqual(['BELOW_THRESHOLD']);
    });

    it('property: below threshold iff whole weeks waited < threshold', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 156 }), (daysAgo, threshold) => {
          const result = screen(with_({ rttClockStart: daysFrom(TODAY, -daysAgo), thresholdWeeks: threshold }));
          expect(result.weeksWaited).toBe(Math.floor(daysAgo / 7));
          expect(result.reasons.some((r) => r.code === 'BELOW_THRESHOLD')).toBe(Math.floor(daysAgo / 7) < threshold);
        }),
      );
    });
  });

  describe('adult', () => {
    it('18 today is eligible; 18 tomorrow is not', () => {
      expect(codes(with_({ dateOfBirth: new Date('2008-11-25T00:00:00Z') }))).toEqual([]);
      expect(codes(with_({ dateOfBirth: new Date('2008-11-26T00:00:00Z') }))).toEqual(['NOT_ADULT']);
    });

    it('a patient born on 29 February 2008 is 18 on 1 March 2026, not on 28 February', () => {
      const dateOfBirth = new Date('2008-02-29T00:00:00Z');
      expect(codes(with_({ dateOfBirth, today: new Date('2026-02-28T00:00:00Z'), rttClockStart: new Date('2024-01-01T00:00:00Z') }))).toEqual(['NOT_ADULT']);
      expect(codes(with_({ dateOfBirth, today: new Date('2026-03-01T00:00:00Z'), rttClockStart: new Date('2024-01-01T00:00:00Z') }))).toEqual([]);
    });
  });

  describe('appointment within 8 weeks', () => {
    const inWindow = (nextAppointmentDate: Date | null, today: Date = TODAY) =>
      codes(with_({ nextAppointmentDate, today })).includes('APPOINTMENT_WITHIN_8_WEEKS');

    it('an appointment today counts', () => {
      expect(inWindow(TODAY)).toBe(true);
    });

    it('an appointment in exactly 8 weeks counts; one day later does not', () => {
      expect(inWindow(new Date('2027-01-20T00:00:00Z'))).toBe(true);
      expect(inWindow(daysFrom(TODAY, 56))).toBe(true);
      expect(inWindow(daysFrom(TODAY, 57))).toBe(false);
    });

    it('an appointment in the past does not count', () => {
      expect(inWindow(daysFrom(TODAY, -1))).toBe(false);
      expect(inWindow(daysFrom(TODAY, -365))).toBe(false);
    });

    it('no appointment does not count', () => {
      expect(inWindow(null)).toBe(false);
    });

    it('an appointment date (midnight) today counts when screening runs later in the day', () => {
      expect(inWindow(new Date('2026-11-25T00:00:00Z'), new Date('2026-11-25T15:30:00Z'))).toBe(true);
      expect(inWindow(new Date('2027-01-20T00:00:00Z'), new Date('2026-11-25T15:30:00Z'))).toBe(true);
      expect(inWindow(new Date('2027-01-21T00:00:00Z'), new Date('2026-11-25T15:30:00Z'))).toBe(false);
      expect(inWindow(new Date('2026-11-24T00:00:00Z'), new Date('2026-11-25T15:30:00Z'))).toBe(false);
    });

    it('property: an appointment date n days from today counts iff 0 <= n <= 56', () => {
      fc.assert(
        fc.property(fc.integer({ min: -400, max: 400 }), (n) => {
          expect(inWindow(daysFrom(TODAY, n))).toBe(n >= 0 && n <= 56);
        }),
      );
    });
  });

  describe('capacity and tertiary', () => {
    it('any trust with capacity is enough', () => {
      expect(codes(with_({ trustsWithCapacity: ['RLT'] }))).toEqual([]);
      expect(codes(with_({ trustsWithCapacity: ['RJC', 'RLT', 'RWP'] }))).toEqual([]);
    });

    it('tertiary care stays put regardless of wait', () => {
      expect(codes(with_({ tertiary: true, rttClockStart: daysFrom(TODAY, -200 * 7) }))).toEqual(['TERTIARY_CARE']);
    });
  });
});

describe('screen, closer to home (issue 18)', () => {
  it('does not apply the long-wait rules (threshold, tertiary care), and applies every other rule as a long-wait transfer does', () => {
    for (const code of ALL_CODES) {
      const closer = codes(with_({ ...FAILING[code], direction: 'closer_to_home' }));
      expect({ code, closer }).toEqual({ code, closer: LONG_WAIT_ONLY_RULES.includes(code) ? [] : [code] });
      expect(codes(with_({ ...FAILING[code], direction: 'long_wait_transfer' }))).toEqual([code]);
    }
  });

  it('property: a closer-to-home screening reports exactly the long-wait screening reasons less the long-wait rules', () => {
    fc.assert(
      fc.property(fc.subarray(ALL_CODES), (failing) => {
        const input = Object.assign({}, BASELINE, ...failing.map((c) => FAILING[c])) as ScreeningInput;
        const longWait = codes(input);
        const closer = screen({ ...input, direction: 'closer_to_home' });
        expect(closer.reasons.map((r) => r.code)).toEqual(longWait.filter((c) => !LONG_WAIT_ONLY_RULES.includes(c)));
        expect(closer.eligible).toBe(closer.reasons.length === 0);
      }),
    );
  });
});
