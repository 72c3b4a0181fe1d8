// Which services of the group's directory may take a patient: the procedures a service accepts
// (OPCS-4 codes, prefixes or ranges) and its exclusions (maximum BMI and ASA grade, minimum age).

/** What matching knows of a patient. Unknown BMI or ASA grade never excludes: it is for the receiving clinician to ask. */
export interface MatchingFacts {
  readonly ageYears: number;
  readonly bmi?: number | null;
  readonly asaGrade?: number | null;
  readonly procedureCode: string;
}

/** A service's rules, as the directory holds them. */
export interface ServiceRules {
  /** Empty: every procedure of the service's treatment function. */
  readonly procedures: readonly string[];
  readonly maxBmi?: number | null;
  readonly maxAsaGrade?: number | null;
  readonly minAgeYears?: number | null;
}

export type ExclusionReason = 'PROCEDURE_NOT_ACCEPTED' | 'BMI_ABOVE_MAXIMUM' | 'ASA_GRADE_ABOVE_MAXIMUM' | 'AGE_BELOW_MINIMUM';

/** An OPCS-4 code ("W371"), prefix ("W37") or range of either ("W37-W39", "T521-T529"). */
const PATTERN = /^([A-Z]\d{2,3})(?:-([A-Z]\d{2,3}))?$/;

/** Why a pattern is not one we read, or null when it is. */
export function procedurePatternProblem(pattern: string): string | null {
  const m = PATTERN.exec(pattern);
  if (!m) return `${JSON.stringify(pattern)} is not an OPCS-4 code, prefix or range (e.g. W371, W37, W37-W39)`;
  if (m[2] && (m[2].length !== m[1].length || m[2] < m[1])) return `${pattern}: a range runs from a code to a later one of the same length`;
  return null;
}

/** Whether an OPCS-4 code (with or without its dot: "W37.1") is one the patterns accept; no patterns accept every code. */
export function procedureAccepted(code: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  const c = code.toUpperCase().replace('.', '');
  return patterns.some((p) => {
    const m = PATTERN.exec(p);
    if (!m) return false;
    const head = c.slice(0, m[1].length);
    return m[2] ? head >= m[1] && head <= m[2] : head === m[1];
  });
}

/** Every reason the service cannot take the patient, in the order a clinician reads them; empty when it can. */
export function exclusionReasons(facts: MatchingFacts, rules: ServiceRules): ExclusionReason[] {
  const out: ExclusionReason[] = [];
  if (!procedureAccepted(facts.procedureCode, rules.procedures)) out.push('PROCEDURE_NOT_ACCEPTED');
  if (rules.maxBmi != null && facts.bmi != null && facts.bmi > rules.maxBmi) out.push('BMI_ABOVE_MAXIMUM');
  if (rules.maxAsaGrade != null && facts.asaGrade != null && facts.asaGrade > rules.maxAsaGrade) out.push('ASA_GRADE_ABOVE_MAXIMUM');
  if (rules.minAgeYears != null && facts.ageYears < rules.minAgeYears) out.push('AGE_BELOW_MINIMUM');
  return out;
}

/** A reason in words, with the service's limit and the patient's value. */
export function exclusionInWords(reason: ExclusionReason, facts: MatchingFacts, rules: ServiceRules): string {
  switch (reason) {
    case 'PROCEDURE_NOT_ACCEPTED':
      return `Procedure ${facts.procedureCode} is not one this service accepts (${rules.procedures.join(', ')})`;
    case 'BMI_ABOVE_MAXIMUM':
      return `BMI ${facts.bmi} is above this service's maximum of ${rules.maxBmi}`;
    case 'ASA_GRADE_ABOVE_MAXIMUM':
      return `ASA grade ${facts.asaGrade} is above this service's maximum of ${rules.maxAsaGrade}`;
    case 'AGE_BELOW_MINIMUM':
      return `Age ${facts.ageYears} is under this service's minimum of ${rules.minAgeYears}`;
  }
}
