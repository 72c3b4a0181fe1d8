import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  EXIT_STATUSES,
  FINAL_STATUSES,
  PATHWAY_STATUSES,
  RECEIVER_OWNS,
  REFERRAL_STATUSES,
  STATUS_DESCRIPTIONS,
  isFinal,
  isReferralStatus,
} from './referral-status.js';

describe('referral-status', () => {
  it('lists 8 pathway statuses and 6 exits, 14 in all, without duplicates', () => {
    expect(PATHWAY_STATUSES).toHaveLength(8);
    expect(EXIT_STATUSES).toHaveLength(6);
    expect(REFERRAL_STATUSES).toHaveLength(14);
    expect(new Set(REFERRAL_STATUSES).size).toBe(14);
  });

  it('final statuses are DISCHARGED and every exit', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['DISCHARGED', ...EXIT_STATUSES].sort());
    for (const s of REFERRAL_STATUSES) expect(isFinal(s)).toBe(s === 'DISCHARGED' || (EXIT_STATUSES as readonly string[]).includes(s));
  });

  it('isReferralStatus accepts every status and refuses anything else', () => {
    for (const s of REFERRAL_STATUSES) expect(isReferralStatus(s)).toBe(true);
    for (const v of ['identified', 'FAILED', '', ' IDENTIFIED', 'IDENTIFIED ', 42, null, undefined, {}, ['IDENTIFIED']]) {
      expect(isReferralStatus(v)).toBe(false);
    }
  });

  it('has a non-empty description for every status', () => {
    expect(Object.keys(STATUS_DESCRIPTIONS).sort()).toEqual([...REFERRAL_STATUSES].sort());
    for (const s of REFERRAL_STATUSES) expect(STATUS_DESCRIPTIONS[s].length).toBeGreaterThan(10);
    for (const s of EXIT_STATUSES) expect(STATUS_DESCRIPTIONS[s]).toMatch(/^closed:/);
  });

  it('the receiving trust owns the referral from AWAITING_BOOKING on', () => {
    expect([...RECEIVER_OWNS].sort()).toEqual(['AWAITING_BOOKING', 'BOOKED', 'DISCHARGED', 'TREATED']);
  });
});

describe('isReferralStatus (property)', () => {
  it('accepts a string exactly when it is one of the statuses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...REFERRAL_STATUSES)), (value) => {
        expect(isReferralStatus(value)).toBe((REFERRAL_STATUSES as readonly string[]).includes(value));
      }),
    );
  });
});
