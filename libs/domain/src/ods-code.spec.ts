import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { isGpPracticeCode, isOdsCode } from './ods-code.js';

describe('isOdsCode', () => {
  test.each([
    ['trust', 'RLQ'],
    ['trust', 'RJC'],
    ['trust', 'RLT'],
    ['trust site', 'RLQ01'],
    ['trust site', 'RJC02'],
    ['GP practice', 'M81001'],
    ['GP practice', 'Y02906'],
    ['digits (commissioner style)', '06H'],
  ])('accepts a %s code %s', (_kind, code) => {
    expect(isOdsCode(code)).toBe(true);
  });

  test.each([
    ['lowercase', 'rlq'],
    ['mixed case', 'Rlq'],
    ['lowercase site', 'rlq01'],
    ['2 characters', 'RL'],
    ['1 character', 'R'],
    ['empty', ''],
    ['7 characters', 'M810011'],
    ['7 characters', 'RLQ0101'],
    ['punctuation', 'RL-Q'],
    ['punctuation', 'RLQ.01'],
    ['punctuation', 'RLQ!'],
    ['underscore', 'RLQ_1'],
    ['inner space', 'RL Q'],
    ['leading space', ' RLQ'],
    ['trailing space', 'RLQ '],
    ['trailing newline', 'RLQ\n'],
    ['non-ASCII letter', 'RLÄ'],
  ])('refuses %s: %p', (_label, code) => {
    expect(isOdsCode(code)).toBe(false);
  });

  it('property: any 3 to 6 upper-case letters or digits is accepted', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 3, maxLength: 6 }), (code) => {
        expect(isOdsCode(code)).toBe(true);
      }),
    );
  });

  it('property: a code containing a lower-case letter is refused', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'ABCXYZ019'), minLength: 2, maxLength: 5 }),
        fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
        fc.nat(),
        (rest, lower, at) => {
          const i = at % (rest.length + 1);
          expect(isOdsCode(rest.slice(0, i) + lower + rest.slice(i))).toBe(false);
        },
      ),
    );
  });

  it('property: codes shorter than 3 or longer than 6 are refused', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...'ABCRLQ0123'), maxLength: 2 }),
          fc.string({ unit: fc.constantFrom(...'ABCRLQ0123'), minLength: 7, maxLength: 12 }),
        ),
        (code) => {
          expect(isOdsCode(code)).toBe(false);
        },
      ),
    );
  });
});

describe('isGpPracticeCode', () => {
  test.each(['M81001', 'Y02906', 'A12345', 'Z99999'])('accepts %s', (code) => {
    expect(isGpPracticeCode(code)).toBe(true);
    expect(isOdsCode(code)).toBe(true);
  });

  test.each([
    ['a trust code', 'RLQ'],
    ['a trust site code', 'RLQ01'],
    ['lowercase', 'm81001'],
    ['two letters', 'MM1001'],
    ['a letter at the end', 'M8100A'],
    ['starting with a digit', '181001'],
    ['5 characters', 'M8100'],
    ['7 characters', 'M810011'],
    ['punctuation', 'M81-01'],
    ['empty', ''],
  ])('refuses %s: %p', (_label, code) => {
    expect(isGpPracticeCode(code)).toBe(false);
  });

  it('property: one upper-case letter followed by five digits is a practice code and an ODS code', () => {
    fc.assert(
      fc.property(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.integer({ min: 0, max: 99999 }), (letter, n) => {
        const code = `${letter}${String(n).padStart(5, '0')}`;
        expect(isGpPracticeCode(code)).toBe(true);
        expect(isOdsCode(code)).toBe(true);
      }),
    );
  });

  it('property: every GP practice code is an ODS code', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AM8Z01'), minLength: 0, maxLength: 8 }), (code) => {
        if (isGpPracticeCode(code)) expect(isOdsCode(code)).toBe(true);
        else expect(/^[A-Z]\d{5}$/.test(code)).toBe(false);
      }),
    );
  });
});
