// The clinical package the referring trust records for the receiving clinician: diagnosis (a
// SNOMED CT concept), laterality, comorbidities, BMI, ASA grade, anticoagulation, mobility and the
// referral letter's text. Its rules are here (no I/O); each refusal names its field.

export const LATERALITIES = ['left', 'right', 'bilateral', 'not_applicable'] as const;
export type Laterality = (typeof LATERALITIES)[number];

/** ASA physical status classification, I to V, stored as 1 to 5. */
export const ASA_GRADES = [1, 2, 3, 4, 5] as const;
export const ASA_GRADE_NAMES: Readonly<Record<number, string>> = {
  1: 'ASA I: a normal healthy patient',
  2: 'ASA II: mild systemic disease',
  3: 'ASA III: severe systemic disease',
  4: 'ASA IV: severe systemic disease that is a constant threat to life',
  5: 'ASA V: not expected to survive without the operation',
};

/** A coded condition: a SNOMED CT concept id and the words it was recorded with. */
export interface CodedConcept {
  readonly code: string;
  readonly text: string;
}

/** Every field of the package; each may be absent (not yet recorded). */
export interface ClinicalInformation {
  readonly diagnosis?: CodedConcept | null;
  readonly laterality?: Laterality | null;
  readonly comorbidities?: readonly CodedConcept[] | null;
  readonly bmi?: number | null;
  readonly asaGrade?: number | null;
  readonly anticoagulation?: { readonly taking: boolean; readonly medication?: string | null } | null;
  readonly mobility?: string | null;
  readonly referralLetter?: string | null;
}
export const CLINICAL_INFORMATION_FIELDS = [
  'diagnosis',
  'laterality',
  'comorbidities',
  'bmi',
  'asaGrade',
  'anticoagulation',
  'mobility',
  'referralLetter',
] as const satisfies ReadonlyArray<keyof ClinicalInformation>;
export type ClinicalInformationField = (typeof CLINICAL_INFORMATION_FIELDS)[number];

// Verhoeff's dihedral-group tables (as SNOMED International's "SNOMED CT identifiers" guide gives
// them). Fifteen lines of tables: no package on npm that does only this is kept up, and this never changes.
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** True when the digits (check digit last) pass Verhoeff's check. */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) c = D[c][P[i % 8][Number(digits[n - 1 - i])]];
  return c === 0;
}

/**
 * A SNOMED CT concept id: 6 to 18 digits, no leading zero, a concept's partition identifier (the
 * two digits before the check digit: 00, or 10 for an extension's long form) and a Verhoeff check
 * digit. Null when valid, else what is wrong.
 */
export function sctidProblem(code: string): string | null {
  if (!/^[1-9]\d{5,17}$/.test(code)) return 'must be a SNOMED CT concept id: 6 to 18 digits, not starting with 0';
  const partition = code.slice(-3, -1);
  if (partition !== '00' && partition !== '10') return 'is a SNOMED CT id, but not of a concept';
  if (!verhoeffValid(code)) return 'is not a SNOMED CT concept id: its check digit is wrong';
  return null;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

const MAX_TEXT = 500;
const MAX_LETTER = 20_000;
const MAX_COMORBIDITIES = 30;

/**
 * What is wrong with a package (or the part of one sent to change it), field by field, with each
 * message naming its field (`clinicalInformation.diagnosis.code`...) under `prefix`.
 */
export function clinicalInformationProblems(ci: ClinicalInformation, prefix = 'clinicalInformation'): FieldProblem[] {
  const out: FieldProblem[] = [];
  const bad = (field: string, message: string) => out.push({ field: `${prefix}.${field}`, message: `${prefix}.${field} ${message}` });
  const concept = (c: CodedConcept, field: string) => {
    const p = sctidProblem(c.code);
    if (p) bad(`${field}.code`, p);
    if (c.text.trim().length === 0 || c.text.length > MAX_TEXT) bad(`${field}.text`, `must be 1 to ${MAX_TEXT} characters`);
  };
  if (ci.diagnosis) concept(ci.diagnosis, 'diagnosis');
  if (ci.comorbidities) {
    if (ci.comorbidities.length > MAX_COMORBIDITIES) bad('comorbidities', `must list at most ${MAX_COMORBIDITIES} conditions`);
    ci.comorbidities.forEach((c, i) => concept(c, `comorbidities[${i}]`));
  }
  if (ci.laterality != null && !(LATERALITIES as readonly string[]).includes(ci.laterality)) bad('laterality', `must be one of ${LATERALITIES.join(', ')}`);
  if (ci.bmi != null && !(Number.isFinite(ci.bmi) && ci.bmi >= 10 && ci.bmi <= 100 && Math.round(ci.bmi * 10) === ci.bmi * 10))
    bad('bmi', 'must be a number from 10 to 100, with at most one decimal place');
  if (ci.asaGrade != null && !(ASA_GRADES as readonly number[]).includes(ci.asaGrade)) bad('asaGrade', 'must be 1 to 5 (ASA I to V)');
  if (ci.anticoagulation) {
    const m = ci.anticoagulation.medication?.trim() ?? '';
    if (ci.anticoagulation.taking && m.length === 0) bad('anticoagulation.medication', 'must say which anticoagulant the patient takes');
    if (!ci.anticoagulation.taking && m.length > 0) bad('anticoagulation.medication', 'must be empty when the patient takes no anticoagulant');
    if (m.length > MAX_TEXT) bad('anticoagulation.medication', `must be ${MAX_TEXT} characters or fewer`);
  }
  if (ci.mobility != null && ci.mobility.length > MAX_TEXT) bad('mobility', `must be ${MAX_TEXT} characters or fewer`);
  if (ci.referralLetter != null && ci.referralLetter.length > MAX_LETTER)
    bad('referralLetter', `must be ${MAX_LETTER.toLocaleString('en-GB')} characters or fewer`);
  return out;
}
