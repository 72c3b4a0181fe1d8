// Referral statuses of the contract (../shared/design/api.md), in workflow order, and the exits.

export const PATHWAY_STATUSES = [
  'IDENTIFIED',
  'AWAITING_CLINICAL_REVIEW',
  'AWAITING_PATIENT_CONSENT',
  'AWAITING_RECEIVER_ACCEPTANCE',
  'AWAITING_BOOKING',
  'BOOKED',
  'TREATED',
  'DISCHARGED',
] as const;

export const EXIT_STATUSES = ['NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'REJECTED_BY_RECEIVER', 'WITHDRAWN', 'CANCELLED'] as const;

export const REFERRAL_STATUSES = [...PATHWAY_STATUSES, ...EXIT_STATUSES] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Statuses from which nothing further happens to the referral. */
export const FINAL_STATUSES: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>(['DISCHARGED', ...EXIT_STATUSES]);

export function isFinal(status: ReferralStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export function isReferralStatus(value: unknown): value is ReferralStatus {
  return typeof value === 'string' && (REFERRAL_STATUSES as readonly string[]).includes(value);
}

/** Ownership has moved to the receiving trust once it has accepted the transfer of care. */
export const RECEIVER_OWNS: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>(['AWAITING_BOOKING', 'BOOKED', 'TREATED', 'DISCHARGED']);

/** Before the clinician's review: the patient has not yet been told of a possible transfer. */
export const BEFORE_OFFER: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>(['IDENTIFIED', 'AWAITING_CLINICAL_REVIEW']);

/** Statuses before treatment, from which the patient may withdraw or staff may cancel. */
export const BEFORE_TREATMENT: readonly ReferralStatus[] = PATHWAY_STATUSES.slice(0, PATHWAY_STATUSES.indexOf('TREATED'));

/** Has the patient been told of the transfer (an offer at least)? Until then an exit has nothing to tell them. */
export function patientToldOfTransfer(status: ReferralStatus): boolean {
  return !BEFORE_OFFER.has(status);
}

/** Plain-English description of each status, for patients and for error messages. */
export const STATUS_DESCRIPTIONS: Record<ReferralStatus, string> = {
  IDENTIFIED: 'identified as a long-waiter; eligibility screening is running',
  AWAITING_CLINICAL_REVIEW: 'waiting for a clinician at the referring trust to review it',
  AWAITING_PATIENT_CONSENT: 'waiting for the patient to accept or decline the offer',
  AWAITING_RECEIVER_ACCEPTANCE: 'waiting for the receiving trust to accept the transfer of care',
  AWAITING_BOOKING: 'transferred; waiting for the receiving trust to book the procedure',
  BOOKED: 'procedure booked at the receiving trust',
  TREATED: 'treated; post-operative care under way',
  DISCHARGED: 'discharged back to the GP; the referral is closed',
  NOT_ELIGIBLE: 'closed: screening found it not eligible for transfer',
  NOT_SUITABLE: 'closed: the clinician found transfer not suitable',
  DECLINED: 'closed: the patient declined the offer',
  REJECTED_BY_RECEIVER: 'closed: the receiving trust did not accept the transfer',
  WITHDRAWN: 'closed: the patient withdrew',
  CANCELLED: 'closed: cancelled by the trust',
};
