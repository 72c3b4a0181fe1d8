import { describe, expect, it } from '@jest/globals';
import { ukDate } from './uk-date.js';

const day = (d: Date) => d.toISOString().slice(0, 10);

describe('ukDate', () => {
  it('is the next UK day from 00:00 to 01:00 BST, while the UTC date is still the day before', () => {
    // Monday 29 June 2026, 00:30 BST = Sunday 28 June 23:30 UTC.
    expect(day(ukDate(new Date('2026-06-28T23:30:00Z')))).toBe('2026-06-29');
    expect(day(ukDate(new Date('2026-06-28T22:59:59Z')))).toBe('2026-06-28');
  });

  it('is the UTC date in winter (GMT), and across the clock changes', () => {
    expect(day(ukDate(new Date('2026-12-06T23:30:00Z')))).toBe('2026-12-06');
    expect(day(ukDate(new Date('2026-12-07T00:00:00Z')))).toBe('2026-12-07');
    // Clocks go forward at 01:00 UTC on Sunday 29 March 2026 and back at 01:00 UTC on Sunday 25 October 2026.
    expect(day(ukDate(new Date('2026-03-29T23:15:00Z')))).toBe('2026-03-30');
    expect(day(ukDate(new Date('2026-10-25T23:15:00Z')))).toBe('2026-10-25');
  });

  it('keeps a date-only value (midnight UTC) on its own date', () => {
    expect(day(ukDate(new Date('2026-07-06T00:00:00Z')))).toBe('2026-07-06');
    expect(day(ukDate(new Date('2026-01-05T00:00:00Z')))).toBe('2026-01-05');
  });

  it('reads the same hour again, and the next, right (it remembers one hour of time); each answer is its own Date', () => {
    const a = ukDate(new Date('2026-06-28T23:00:00Z'));
    a.setUTCFullYear(1999);
    expect(day(ukDate(new Date('2026-06-28T23:59:59Z')))).toBe('2026-06-29');
    expect(day(ukDate(new Date('2026-06-28T22:00:00Z')))).toBe('2026-06-28');
    expect(day(ukDate(new Date('2026-06-28T23:00:00Z')))).toBe('2026-06-29');
    expect(() => ukDate(new Date('not a date'))).toThrow(RangeError);
  });
});
