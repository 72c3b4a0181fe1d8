// Coded reasons, each with its meaning in plain English, in one place: why a clinician found
// transfer not suitable, why a receiving trust did not accept the transfer of care, why a referral
// was cancelled, and why a patient withdrew. The console offers these lists. The API also takes a
// trust's own upper-case code (README "Reason codes" says why) and shows its meaning from here
// when it is one of ours, the code itself otherwise.

export const NOT_SUITABLE_REASONS = {
  COMORBIDITY: 'Other conditions make treatment away from the usual team unsafe',
  NEEDS_SPECIALIST_CARE: 'Needs care only the referring trust (or a specialist centre) provides',
  CLINICAL_URGENCY: 'Too urgent to wait for a transfer to be arranged',
  PATIENT_FRAILTY: 'Too frail to travel or to be treated away from home',
  AWAITING_INVESTIGATIONS: 'Tests or investigations must be finished first',
  TREATMENT_PLAN_CHANGED: 'The treatment planned has changed or is no longer needed',
  OTHER_CLINICAL: 'Another clinical reason (say why in the clinical note)',
} as const;

/** The reason code of a return to referrer with advice: a rejection whose advice goes to the referring clinicians. */
export const RETURNED_WITH_ADVICE = 'RETURNED_WITH_ADVICE';

export const REJECTION_REASONS = {
  NO_ANAESTHETIC_CAPACITY: 'No anaesthetic capacity for this patient in the weeks offered',
  NO_SURGICAL_CAPACITY: 'No surgeon available for this procedure in the weeks offered',
  CLINICAL_RISK_TOO_HIGH: "The patient's risk is too high for this site (for example, no critical care on site)",
  PROCEDURE_NOT_PROVIDED: 'This procedure is not done at this site',
  INCOMPLETE_INFORMATION: 'The referral does not carry enough information to accept it',
  OTHER: 'Another reason (the booking teams will talk)',
  [RETURNED_WITH_ADVICE]: 'Returned to the referrer with advice (the advice is on the referral)',
} as const;

/** Why the trust that holds the referral cancels it. */
export const CANCELLATION_REASONS = {
  TREATED_ELSEWHERE: 'The patient has been treated elsewhere (privately or at another trust)',
  NO_LONGER_NEEDED: 'The procedure is no longer needed',
  PATIENT_DIED: 'The patient has died',
  CLINICAL_CHANGE: "The patient's condition has changed: treatment must be planned again",
  DUPLICATE_REFERRAL: 'This referral duplicates another for the same pathway',
  ENTERED_IN_ERROR: 'The referral was opened in error',
  CAPACITY_WITHDRAWN: 'The receiving trust can no longer treat the patient in the weeks offered',
  OTHER_CANCELLATION: 'Another reason (say why in the reason text)',
} as const;

/** Why the patient withdraws (they keep their place on the referring trust's list). */
export const WITHDRAWAL_REASONS = {
  PREFERS_LOCAL_TREATMENT: 'The patient prefers to wait for treatment at their own hospital',
  TRAVEL_TOO_DIFFICULT: 'Travelling to the receiving hospital is too difficult for the patient',
  CARING_RESPONSIBILITIES: 'The patient cannot be away from home (caring or work responsibilities)',
  PERSONAL_CIRCUMSTANCES: "The patient's circumstances have changed",
  CHANGED_MIND: 'The patient no longer wants the procedure',
  OTHER_WITHDRAWAL: 'Another reason (say why in the reason text)',
} as const;

// The pathway after treatment (issue 18, PW).
/** Why the referring trust's clinician does not take back the follow-up (the receiving trust keeps it). */
export const HANDBACK_REFUSAL_REASONS = {
  NEEDS_TREATING_TEAM: 'The follow-up needs the team that operated (for example, a complication under review)',
  NO_FOLLOW_UP_SERVICE: 'The referring trust has no follow-up clinic for this procedure',
  INCOMPLETE_HANDBACK: 'The handback does not carry enough information to take over the follow-up',
  OTHER_HANDBACK: 'Another reason (the clinical teams will talk)',
} as const;

// Booking as it really goes (issue 18, booking).

/** Why an appointment moves to another slot: who asked (the patient or the hospital) is the code's prefix. */
export const RESCHEDULE_REASONS = {
  PATIENT_UNAVAILABLE: 'Patient initiated: the patient cannot come on that date',
  PATIENT_UNWELL: 'Patient initiated: the patient is unwell',
  PATIENT_TRANSPORT: 'Patient initiated: the patient has no way to get there on that date',
  PATIENT_CARER: "Patient initiated: the patient's carer is not available",
  HOSPITAL_CLINICIAN_UNAVAILABLE: 'Hospital initiated: the clinician is not available',
  HOSPITAL_THEATRE_UNAVAILABLE: 'Hospital initiated: the theatre or clinic room is not available',
  HOSPITAL_BED_PRESSURES: 'Hospital initiated: no bed (urgent and emergency pressures)',
  HOSPITAL_OTHER: 'Hospital initiated: another reason (the booking team will explain)',
} as const;

/** Who asked for a reschedule, read from its code. */
export function rescheduleInitiatedBy(code: RescheduleReason): 'patient' | 'hospital' {
  return code.startsWith('PATIENT_') ? 'patient' : 'hospital';
}

/** Why the patient asks to change or cancel an appointment (from the link in their message). */
export const CHANGE_REQUEST_REASONS = {
  NO_TRANSPORT: 'No transport to get there',
  CARER_NOT_AVAILABLE: 'My carer is not available',
  WORK_OR_CARING: 'Work or caring responsibilities',
  UNWELL: 'I am unwell',
  HOLIDAY: 'I am away on that date',
  APPOINTMENT_NOT_NEEDED: 'I no longer need the appointment',
  OTHER_CHANGE: 'Another reason',
} as const;

/** The reason code of a referral returned to the referrer under the receiving trust's did-not-attend policy. */
export const DNA_RETURN_REASONS = {
  RETURNED_AFTER_DNA: "The patient did not attend; returned to the referring trust under the receiving trust's policy",
} as const;

export type RescheduleReason = keyof typeof RESCHEDULE_REASONS;
export type ChangeRequestReason = keyof typeof CHANGE_REQUEST_REASONS;

export type NotSuitableReason = keyof typeof NOT_SUITABLE_REASONS;
export type RejectionReason = keyof typeof REJECTION_REASONS;
export type CancellationReason = keyof typeof CANCELLATION_REASONS;
export type WithdrawalReason = keyof typeof WITHDRAWAL_REASONS;

/** Every list by what it is for (the API's GET /v1/reason-codes and the console read them here). */
export const REASON_CODE_LISTS = {
  notSuitable: NOT_SUITABLE_REASONS,
  rejection: REJECTION_REASONS,
  cancellation: CANCELLATION_REASONS,
  withdrawal: WITHDRAWAL_REASONS,
  // The pathway after treatment (PW).
  handbackRefusal: HANDBACK_REFUSAL_REASONS,
  // Booking as it really goes (issue 18, booking)
  reschedule: RESCHEDULE_REASONS,
  changeRequest: CHANGE_REQUEST_REASONS,
  dnaReturn: DNA_RETURN_REASONS,
} as const;
export type ReasonCodeList = keyof typeof REASON_CODE_LISTS;

/** An upper-case reason code: ours, or a trust's own. */
export const REASON_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

/** The plain-English meaning of a reason code, or the code itself when it is one of a trust's own. */
export function reasonMeaning(code: string): string {
  for (const list of Object.values(REASON_CODE_LISTS)) {
    const meaning = (list as Record<string, string>)[code];
    if (meaning) return meaning;
  }
  return code;
}

// ---- Patient-initiated mutual aid (PIDMAS, issue 18) ----

/**
 * Why a clinician found a patient who opted in not suitable to move: the clinical reasons above, and
 * the social ones NHS England's guidance asks the trust to weigh too (the patient's own circumstances).
 */
export const OPT_IN_NOT_SUITABLE_REASONS = {
  ...NOT_SUITABLE_REASONS,
  CARING_RESPONSIBILITIES: 'Cares for someone who could not be looked after while they are away',
  NO_SUPPORT_AFTER_TREATMENT: 'No one to support them at home after treatment away from their area',
  TRAVEL_NOT_SAFE: 'Travelling that far would not be safe or reasonable for them',
} as const;
export type OptInNotSuitableReason = keyof typeof OPT_IN_NOT_SUITABLE_REASONS;
