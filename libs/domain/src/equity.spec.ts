import { describe, expect, it } from '@jest/globals';
import { SUPPRESSED_TEXT, acceptanceSkew, deprivationFifth, publish, publishColumn, publishRate } from './equity.js';

describe('disclosure', () => {
  it('hides counts of 1 to 4 and shows 0 and 5 or more', () => {
    expect([0, 1, 4, 5, 1234].map((n) => publish(n).text)).toEqual(['0', SUPPRESSED_TEXT, SUPPRESSED_TEXT, '5', '1,234']);
    expect(publish(3).value).toBeNull();
  });

  it('hides a second cell when one hidden cell could be had from the total', () => {
    expect(publishColumn([3, 40, 12, 0]).map((c) => c.value)).toEqual([null, 40, null, 0]);
    expect(publishColumn([3, 2, 40]).map((c) => c.value)).toEqual([null, null, 40]);
    expect(publishColumn([30, 40]).map((c) => c.value)).toEqual([30, 40]);
  });

  it('gives no rate over a hidden count', () => {
    expect(publishRate(publish(3), publish(20), 3, 20)).toBe('not shown');
    expect(publishRate(publish(10), publish(20), 10, 20)).toBe('50%');
    expect(publishRate(publish(0), publish(0), 0, 0)).toBe('none offered');
  });
});

describe('acceptance skew', () => {
  it('fires when the most deprived fifth accepts at less than half the rate of the least', () => {
    expect(acceptanceSkew({ offered: 40, accepted: 8 }, { offered: 40, accepted: 20 }).kind).toBe('skewed');
    expect(acceptanceSkew({ offered: 40, accepted: 10 }, { offered: 40, accepted: 20 }).kind).toBe('fair');
  });

  it('says nothing with fewer than 20 offered in either fifth', () => {
    expect(acceptanceSkew({ offered: 19, accepted: 0 }, { offered: 40, accepted: 40 })).toEqual({ kind: 'too-few', needed: 20 });
  });

  it('puts deciles 1-2 in the first fifth and 9-10 in the fifth', () => {
    expect([1, 2, 3, 9, 10].map(deprivationFifth)).toEqual([1, 1, 2, 5, 5]);
  });
});
