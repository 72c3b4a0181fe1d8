// The additional requirements' checks, changed fields and worklist summary (no I/O).
import { describe, expect, it } from '@jest/globals';
import {
  changedRequirements,
  hasRequirements,
  INTERPRETER_LANGUAGES,
  NO_REQUIREMENTS,
  readRequirements,
  requirementsSummary,
} from './additional-requirements.js';

describe('additional requirements', () => {
  it('lists British Sign Language first among the interpreter languages', () => {
    expect(Object.entries(INTERPRETER_LANGUAGES)[0]).toEqual(['bfi', 'British Sign Language (BSL)']);
  });

  it('reads a form: free text trimmed (empty is none), repeats dropped, defaults for what is left out', () => {
    const { value, problems } = readRequirements({ informationFormats: ['braille', 'braille'], other: '  ', learningDisabilityAdjustments: ' Quiet room ' });
    expect(problems).toEqual([]);
    expect(value).toEqual({ ...NO_REQUIREMENTS, informationFormats: ['braille'], learningDisabilityAdjustments: 'Quiet room' });
    expect(hasRequirements(value)).toBe(true);
    expect(hasRequirements(NO_REQUIREMENTS)).toBe(false);
  });

  it('names each bad field', () => {
    const { problems } = readRequirements({
      transportNeeded: 'yes',
      patientTransportEligibility: 'maybe',
      interpreterLanguage: 'xx',
      informationFormats: ['smoke'],
      contactMethod: 'pigeon',
      mobility: ['jetpack'],
      other: 'x'.repeat(501),
      learningDisabilityAdjustments: 3,
    });
    expect(problems.map((p) => p.field).sort()).toEqual(
      [
        'contactMethod',
        'informationFormats',
        'interpreterLanguage',
        'learningDisabilityAdjustments',
        'mobility',
        'other',
        'patientTransportEligibility',
        'transportNeeded',
      ].sort(),
    );
  });

  it('names the fields that changed, whatever the order of a list', () => {
    const before = { ...NO_REQUIREMENTS, informationFormats: ['large_print', 'audio'] as const, escort: true };
    expect(changedRequirements(before, { ...before, informationFormats: ['audio', 'large_print'] })).toEqual([]);
    expect(changedRequirements(before, { ...before, escort: false, other: 'x' })).toEqual(['escort', 'other']);
  });

  it('summarises for a worklist in the order a booking clerk acts on them', () => {
    expect(
      requirementsSummary({
        ...NO_REQUIREMENTS,
        transportNeeded: true,
        patientTransportEligibility: 'no',
        interpreterLanguage: 'bfi',
        mobility: ['wheelchair_user'],
        informationFormats: ['easy_read'],
        other: 'x',
      }),
    ).toEqual(['BSL interpreter', 'Transport (not PTS eligible)', 'Wheelchair user', 'Easy read', 'Other needs']);
    expect(requirementsSummary(NO_REQUIREMENTS)).toEqual([]);
  });
});
