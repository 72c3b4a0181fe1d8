// Coded reasons, each with its meaning in plain English: why a clinician found transfer not
// suitable, and why a receiving trust did not accept the transfer of care. The console offers
// these; the API takes any upper-case code still (a trust's own codes), and shows these meanings.

export const NOT_SUITABLE_REASONS = {
  COMORBIDITY: 'Other conditions make treatment away from the usual team unsafe',
  NEEDS_SPECIALIST_CARE: 'Needs care only the referring trust (or a specialist centre) provides',
  CLINICAL_URGENCY: 'Too urgent to wait for a transfer to be arranged',
  PATIENT_FRAILTY: 'Too frail to travel or to be treated away from home',
  AWAITING_INVESTIGATIONS: 'Tests or investigations must be finished first',
  TREATMENT_PLAN_CHANGED: 'The treatment planned has changed or is no longer needed',
  OTHER_CLINICAL: 'Another clinical reason (say why in the clinical note)',
} as const;

export const REJECTION_REASONS = {
  NO_ANAESTHETIC_CAPACITY: 'No anaesthetic capacity for this patient in the weeks offered',
  NO_SURGICAL_CAPACITY: 'No surgeon available for this procedure in the weeks offered',
  CLINICAL_RISK_TOO_HIGH: "The patient's risk is too high for this site (for example, no critical care on site)",
  PROCEDURE_NOT_PROVIDED: 'This procedure is not done at this site',
  INCOMPLETE_INFORMATION: 'The referral does not carry enough information to accept it',
  OTHER: 'Another reason (the booking teams will talk)',
} as const;

export type NotSuitableReason = keyof typeof NOT_SUITABLE_REASONS;
export type RejectionReason = keyof typeof REJECTION_REASONS;

/** The plain-English meaning of a reason code, or the code itself when it is one of a trust's own. */
export function reasonMeaning(code: string): string {
  return (NOT_SUITABLE_REASONS as Record<string, string>)[code] ?? (REJECTION_REASONS as Record<string, string>)[code] ?? code;
}
