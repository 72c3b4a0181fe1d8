// Dates and distances as patients read them.
import { describe, expect, it } from '@jest/globals';
import { dayInWords, distanceInWords } from './plain-english.js';

describe('dayInWords', () => {
  it('writes a day the NHS.UK way, without a comma, from a date or a YYYY-MM-DD string', () => {
    expect(dayInWords('2026-12-07')).toBe('Monday 7 December 2026');
    expect(dayInWords(new Date('2026-12-07T00:00:00Z'))).toBe('Monday 7 December 2026');
  });

  it('keeps the calendar day of a date column, on the days the UK clocks change too', () => {
    // 29 March 2026 is the day the clocks go forward in the UK; the day is still the 29th.
    // (The formatter is on UTC, not the process's zone: jest cannot move a running process's zone,
    // so that part is not tested here.)
    expect(dayInWords('2026-03-29')).toBe('Sunday 29 March 2026');
    expect(dayInWords('2026-10-25T00:00:00.000Z')).toBe('Sunday 25 October 2026');
  });
});

describe('distanceInWords', () => {
  it('rounds to whole miles, with "mile" for one and "less than 1 mile" under half a mile', () => {
    expect(distanceInWords(0.3)).toBe('less than 1 mile');
    expect(distanceInWords(0.6)).toBe('about 1 mile');
    expect(distanceInWords(1.4)).toBe('about 1 mile');
    expect(distanceInWords(12.5)).toBe('about 13 miles');
  });
});
