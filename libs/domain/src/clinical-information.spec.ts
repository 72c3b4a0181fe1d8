// The clinical package's rules: SNOMED CT concept ids (Verhoeff check digit, partition) and each field's limits.
import { describe, expect, it } from '@jest/globals';
import { clinicalInformationProblems, sctidProblem, verhoeffValid } from './clinical-information.js';

describe('SNOMED CT concept ids', () => {
  it.each(['22298006', '396275006', '239873007', '38341003', '73211009', '44054006', '195967001', '999000011000000103'])('%s is a concept id', (code) => {
    expect(sctidProblem(code)).toBeNull();
  });

  it('refuses a wrong check digit, naming it', () => {
    expect(verhoeffValid('396275006')).toBe(true);
    expect(verhoeffValid('396275007')).toBe(false);
    expect(sctidProblem('396275007')).toMatch(/check digit/);
  });

  it('refuses what is not a concept id', () => {
    expect(sctidProblem('12345')).toMatch(/6 to 18 digits/);
    expect(sctidProblem('0396275006')).toMatch(/not starting with 0/);
    expect(sctidProblem('39627500X')).toMatch(/6 to 18 digits/);
    // 1234567014: a description's partition (01), check digit valid or not.
    expect(sctidProblem('100000014')).toMatch(/not of a concept/);
  });
});

describe('the package', () => {
  it('accepts a whole package', () => {
    expect(
      clinicalInformationProblems({
        diagnosis: { code: '239873007', text: 'Osteoarthritis of knee' },
        laterality: 'left',
        comorbidities: [{ code: '38341003', text: 'Hypertension' }],
        bmi: 31.4,
        asaGrade: 2,
        anticoagulation: { taking: true, medication: 'Apixaban 5 mg twice daily' },
        mobility: 'Walks with a stick',
        referralLetter: 'Dear colleague',
      }),
    ).toEqual([]);
  });

  it('names each bad field', () => {
    const problems = clinicalInformationProblems({
      diagnosis: { code: '239873008', text: '' },
      comorbidities: [
        { code: '38341003', text: 'Hypertension' },
        { code: '1', text: 'x' },
      ],
      bmi: 31.45,
      asaGrade: 6,
      anticoagulation: { taking: true },
    });
    expect(problems.map((p) => p.field)).toEqual([
      'clinicalInformation.diagnosis.code',
      'clinicalInformation.diagnosis.text',
      'clinicalInformation.comorbidities[1].code',
      'clinicalInformation.bmi',
      'clinicalInformation.asaGrade',
      'clinicalInformation.anticoagulation.medication',
    ]);
    expect(problems[0].message).toMatch(/^clinicalInformation\.diagnosis\.code .*check digit/);
  });
});
