// ukLocalTime: a UK wall-clock time to its instant, across both clock changes.
import { describe, expect, it } from '@jest/globals';
import { ukLocalTime } from './uk-date.js';

describe('ukLocalTime', () => {
  it('reads winter times as UTC and summer times as UTC+1', () => {
    expect(ukLocalTime(2026, 12, 15, 9, 30).toISOString()).toBe('2026-12-15T09:30:00.000Z');
    expect(ukLocalTime(2026, 7, 1, 9, 30).toISOString()).toBe('2026-07-01T08:30:00.000Z');
  });

  it('takes the earlier instant in the repeated hour when the clocks go back (25 October 2026)', () => {
    expect(ukLocalTime(2026, 10, 25, 1, 30).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('moves a time that does not exist (29 March 2026, 01:30) an hour on', () => {
    expect(ukLocalTime(2026, 3, 29, 1, 30).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});
