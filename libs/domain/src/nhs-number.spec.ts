import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number.js';

/** Modulus 11 check digit of the first nine digits, written independently; 10 means no valid number. */
function mod11Check(nine: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
  const check = 11 - (sum % 11);
  return check === 11 ? 0 : check;
}

describe('mod11Check helper (sanity of the oracle, worked by hand)', () => {
  it('9434765919: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9', () => {
    expect(mod11Check('943476591')).toBe(9);
  });
  it('9434765870: weighted sum 308; 308 mod 11 = 0; 11 - 0 = 11 -> 0', () => {
    expect(mod11Check('943476587')).toBe(0);
  });
  it('123456789: weighted sum 210; 210 mod 11 = 1; 11 - 1 = 10 -> no valid number', () => {
    expect(mod11Check('123456789')).toBe(10);
  });
});

describe('isValidNhsNumber', () => {
  test.each(['9434765919', '9434765870', '4010232137', '9990000018'])('accepts %s', (value) => {
    expect(isValidNhsNumber(value)).toBe(true);
  });

  test.each(['9434765918', '9434765910', '9434765871', '9434765879', '4010232138', '9990000017'])('refuses %s (wrong check digit)', (value) => {
    expect(isValidNhsNumber(value)).toBe(false);
  });

  test.each([
    ['9 digits', '943476591'],
    ['11 digits', '94347659190'],
    ['11 digits with a valid prefix', '94347658700'],
    ['empty', ''],
    ['a letter', '943476591A'],
    ['letters', 'ABCDEFGHIJ'],
    ['spaces (not normalised)', '943 476 5919'],
    ['dashes (not normalised)', '943-476-5919'],
    ['surrounding space', ' 9434765919'],
    ['trailing newline', '9434765919\n'],
    ['a sign', '+9434765919'],
    ['a decimal point', '943476591.9'],
    ['full-width digits', '９４３４７６５９１９'],
    ['Arabic-Indic digits', '٩٤٣٤٧٦٥٩١٩'],
  ])('refuses %s: %p', (_label, value) => {
    expect(isValidNhsNumber(value)).toBe(false);
  });

  it('refuses every number whose check digit would be 10 (123456789X)', () => {
    const accepted = Array.from({ length: 10 }, (_, d) => `123456789${d}`).filter(isValidNhsNumber);
    expect(accepted).toEqual([]);
  });

  it('property: for any 9 digits exactly one check digit is valid, or none when the check is 10', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }), (digits) => {
        const nine = digits.join('');
        const valid = Array.from({ length: 10 }, (_, d) => d).filter((d) => isValidNhsNumber(`${nine}${d}`));
        const check = mod11Check(nine);
        if (check === 10) expect(valid).toEqual([]);
        else expect(valid).toEqual([check]);
      }),
    );
  });

  it('property: changing any single digit of a valid number makes it invalid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (digits, position, delta) => {
          const nine = digits.join('');
          const check = mod11Check(nine);
          fc.pre(check !== 10);
          const valid = `${nine}${check}`;
          expect(isValidNhsNumber(valid)).toBe(true);
          const chars = valid.split('');
          chars[position] = String((Number(chars[position]) + delta) % 10);
          expect(isValidNhsNumber(chars.join(''))).toBe(false);
        },
      ),
    );
  });

  it('property: strings that are not exactly ten ASCII digits are refused', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 14 }), (value) => {
        fc.pre(!/^[0-9]{10}$/.test(value));
        expect(isValidNhsNumber(value)).toBe(false);
      }),
    );
  });
});

describe('normaliseNhsNumber', () => {
  test.each([
    ['943 476 5919', '9434765919'],
    ['943-476-5919', '9434765919'],
    [' 943 476 5919 ', '9434765919'],
    ['943\t476\u00a05919', '9434765919'],
    ['943 - 476 - 5919', '9434765919'],
    ['9434765919', '9434765919'],
    ['', ''],
  ])('%p -> %p', (input, output) => {
    expect(normaliseNhsNumber(input)).toBe(output);
  });

  it('leaves other characters for the validator to refuse', () => {
    expect(normaliseNhsNumber('943.476.5919')).toBe('943.476.5919');
    expect(isValidNhsNumber(normaliseNhsNumber('943.476.5919'))).toBe(false);
  });

  it('written forms of a valid number normalise to a valid number', () => {
    for (const form of ['943 476 5919', '943-476-5919', '943 476 5870']) {
      expect(isValidNhsNumber(normaliseNhsNumber(form))).toBe(true);
    }
  });

  it('property: inserting spaces and dashes anywhere is undone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 }),
        fc.array(fc.constantFrom('', ' ', '-', '  ', ' - '), { minLength: 11, maxLength: 11 }),
        (digits, seps) => {
          const written = digits.map((dg, i) => `${seps[i]}${dg}`).join('') + seps[10];
          const out = normaliseNhsNumber(written);
          expect(out).toBe(digits.join(''));
          expect(normaliseNhsNumber(out)).toBe(out);
        },
      ),
    );
  });
});
