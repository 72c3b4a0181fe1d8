// The coded reason lists: one meaning per code across every list, and the fallback for a trust's own code.
import { describe, expect, it } from '@jest/globals';
import { REASON_CODE, REASON_CODE_LISTS, reasonMeaning, RETURNED_WITH_ADVICE } from './reason-codes.js';

describe('reason codes', () => {
  it('every code is upper case, appears in one list only, and has a meaning', () => {
    const seen = new Map<string, string>();
    for (const [name, list] of Object.entries(REASON_CODE_LISTS)) {
      for (const [code, meaning] of Object.entries(list)) {
        expect(code).toMatch(REASON_CODE);
        expect(seen.get(code)).toBeUndefined();
        seen.set(code, name);
        expect(meaning.length).toBeGreaterThan(10);
        expect(reasonMeaning(code)).toBe(meaning);
      }
    }
    expect(Object.keys(REASON_CODE_LISTS.cancellation).length).toBeGreaterThanOrEqual(5);
    expect(Object.keys(REASON_CODE_LISTS.withdrawal).length).toBeGreaterThanOrEqual(5);
    expect(seen.get(RETURNED_WITH_ADVICE)).toBe('rejection');
  });

  it("a trust's own code reads as itself", () => {
    expect(reasonMeaning('NO_THEATRE')).toBe('NO_THEATRE');
  });
});
