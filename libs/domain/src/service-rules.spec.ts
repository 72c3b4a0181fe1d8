// Unit tests of the directory's rules: OPCS-4 patterns, exclusions, unknown values never excluding.
import { describe, expect, it } from '@jest/globals';
import { exclusionReasons, procedureAccepted, procedurePatternProblem } from './service-rules.js';

describe('procedureAccepted', () => {
  it('reads codes, prefixes and ranges; no patterns accept every code', () => {
    expect(procedureAccepted('W371', [])).toBe(true);
    expect(procedureAccepted('W371', ['W37'])).toBe(true);
    expect(procedureAccepted('W37.1', ['W371'])).toBe(true);
    expect(procedureAccepted('W381', ['W37-W39'])).toBe(true);
    expect(procedureAccepted('W401', ['W37-W39'])).toBe(false);
    expect(procedureAccepted('T791', ['T79', 'W37-W39'])).toBe(true);
    expect(procedureAccepted('W371', ['T79', 'T521-T529'])).toBe(false);
  });
  it('says what is wrong with a pattern', () => {
    expect(procedurePatternProblem('W37-W39')).toBeNull();
    expect(procedurePatternProblem('hips')).toMatch(/not an OPCS-4 code/);
    expect(procedurePatternProblem('W39-W37')).toMatch(/later one/);
    expect(procedurePatternProblem('W37-W391')).toMatch(/same length/);
  });
});

describe('exclusionReasons', () => {
  const rules = { procedures: ['W37-W39'], maxBmi: 40, maxAsaGrade: 3, minAgeYears: 18 };
  it('gives every reason, and none when the patient fits', () => {
    expect(exclusionReasons({ ageYears: 60, bmi: 30, asaGrade: 2, procedureCode: 'W371' }, rules)).toEqual([]);
    expect(exclusionReasons({ ageYears: 16, bmi: 45.5, asaGrade: 4, procedureCode: 'T791' }, rules)).toEqual([
      'PROCEDURE_NOT_ACCEPTED',
      'BMI_ABOVE_MAXIMUM',
      'ASA_GRADE_ABOVE_MAXIMUM',
      'AGE_BELOW_MINIMUM',
    ]);
  });
  it('an unknown BMI or ASA grade never excludes; a value at the limit is within it', () => {
    expect(exclusionReasons({ ageYears: 60, bmi: null, asaGrade: undefined, procedureCode: 'W371' }, rules)).toEqual([]);
    expect(exclusionReasons({ ageYears: 18, bmi: 40, asaGrade: 3, procedureCode: 'W371' }, rules)).toEqual([]);
  });
});
