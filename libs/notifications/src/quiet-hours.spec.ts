// Quiet hours across UK winter and summer time.
import { describe, expect, it } from '@jest/globals';
import { londonTime, quietUntil } from './quiet-hours.js';

const NIGHT = { start: 21 * 60, end: 8 * 60 };

describe('quietUntil (21:00-08:00 UK time)', () => {
  it('holds a winter evening message until 08:00 GMT the next morning', () => {
    expect(quietUntil(new Date('2026-01-14T21:30:00Z'), NIGHT)?.toISOString()).toBe('2026-01-15T08:00:00.000Z');
  });

  it('holds a summer evening message until 08:00 BST (07:00 UTC)', () => {
    // 20:30 UTC is 21:30 BST: inside the window, though 20:30 UTC alone would not be.
    expect(quietUntil(new Date('2026-07-14T20:30:00Z'), NIGHT)?.toISOString()).toBe('2026-07-15T07:00:00.000Z');
  });

  it('holds an early-morning message until 08:00 the same day', () => {
    expect(quietUntil(new Date('2026-07-15T05:59:00Z'), NIGHT)?.toISOString()).toBe('2026-07-15T07:00:00.000Z');
    expect(quietUntil(new Date('2026-01-15T07:59:00Z'), NIGHT)?.toISOString()).toBe('2026-01-15T08:00:00.000Z');
  });

  it('lets daytime messages go', () => {
    expect(quietUntil(new Date('2026-01-15T08:00:00Z'), NIGHT)).toBeNull();
    expect(quietUntil(new Date('2026-07-15T19:59:00Z'), NIGHT)).toBeNull(); // 20:59 BST
    expect(quietUntil(new Date('2026-07-15T12:00:00Z'), null)).toBeNull();
  });

  it('crosses the change of the clocks: the night summer time starts and the night it ends', () => {
    // Clocks go forward at 01:00 UTC on Sunday 29 March 2026: 08:00 that morning is 07:00 UTC.
    expect(quietUntil(new Date('2026-03-28T22:00:00Z'), NIGHT)?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    // Clocks go back at 01:00 UTC on Sunday 25 October 2026: 08:00 that morning is 08:00 UTC.
    expect(quietUntil(new Date('2026-10-24T21:00:00Z'), NIGHT)?.toISOString()).toBe('2026-10-25T08:00:00.000Z');
  });

  it('handles a window that does not wrap past midnight', () => {
    expect(quietUntil(new Date('2026-01-15T12:30:00Z'), { start: 12 * 60, end: 13 * 60 })?.toISOString()).toBe('2026-01-15T13:00:00.000Z');
    expect(londonTime(2026, 6, 1, 8 * 60).toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });
});
