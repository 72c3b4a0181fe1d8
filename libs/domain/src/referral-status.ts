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

export const EXIT_STATUSES = ['NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'WITHDRAWN', 'CANCELLED'] as const;

/**
 * The receiving trust did not accept: not an end, but the referring trust's decision (issue 18, RO):
 * offer the patient again elsewhere (reoffered) or close the referral back to the origin list (cancelled).
 */
export const REFERRER_DECISION_STATUSES = ['REJECTED_BY_RECEIVER'] as const;

/** The pathway after treatment (issue 18, PW): the follow-up the receiving clinician chose, between TREATED and DISCHARGED; outside RTT. */
export const FOLLOW_UP_STATUSES = ['FOLLOW_UP', 'AWAITING_ORIGIN_ACCEPTANCE', 'ORIGIN_FOLLOW_UP', 'VIRTUAL_WARD'] as const;

// In the database enum's order (the rejection sits among the exits it was counted with before RO).
export const REFERRAL_STATUSES = [
  ...PATHWAY_STATUSES,
  'NOT_ELIGIBLE',
  'NOT_SUITABLE',
  'DECLINED',
  ...REFERRER_DECISION_STATUSES,
  'WITHDRAWN',
  'CANCELLED',
  ...FOLLOW_UP_STATUSES,
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Statuses from which nothing further happens to the referral. */
export const FINAL_STATUSES: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>(['DISCHARGED', ...EXIT_STATUSES]);

export function isFinal(status: ReferralStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * Final, yet the referring trust may re-open one to offer the patient again elsewhere (issue 18, RO:
 * the `reopened` transition, within REOFFER_WINDOW_DAYS of the close, while the pathway has no newer
 * open referral). Final everywhere else (worklists, counts, insights, the open-pathway index): until it
 * is re-opened the pathway is free and the origin list shows the patient in place.
 */
export const REOPENABLE_STATUSES = ['DECLINED', 'CANCELLED'] as const satisfies readonly (typeof EXIT_STATUSES)[number][];

export function isReferralStatus(value: unknown): value is ReferralStatus {
  return typeof value === 'string' && (REFERRAL_STATUSES as readonly string[]).includes(value);
}

/** Ownership has moved to the receiving trust once it has accepted the transfer of care. */
export const RECEIVER_OWNS: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>([
  'AWAITING_BOOKING',
  'BOOKED',
  'TREATED',
  'DISCHARGED',
  // The pathway after treatment (PW): the receiving trust accepted the transfer of care and stays a party (who holds the follow-up: HANDED_BACK).
  'FOLLOW_UP',
  'AWAITING_ORIGIN_ACCEPTANCE',
  'ORIGIN_FOLLOW_UP',
  'VIRTUAL_WARD',
]);

/** Before the clinician's review: the patient has not yet been told of a possible transfer. */
export const BEFORE_OFFER: ReadonlySet<ReferralStatus> = new Set<ReferralStatus>(['IDENTIFIED', 'AWAITING_CLINICAL_REVIEW']);

/** Statuses before treatment, from which the patient may withdraw or staff may cancel. */
export const BEFORE_TREATMENT: readonly ReferralStatus[] = PATHWAY_STATUSES.slice(0, PATHWAY_STATUSES.indexOf('TREATED'));

/** Has the patient been told of the transfer (an offer at least)? Until then an exit has nothing to tell them. */
export function patientToldOfTransfer(status: ReferralStatus): boolean {
  return !BEFORE_OFFER.has(status);
}

/** The status a referral is opened in, before screening. */
export const OPENED_STATUS: ReferralStatus = PATHWAY_STATUSES[0];

/**
 * The patient's answer to an offer is awaited: the only status in which an offer (or its reminder)
 * is worth sending, its link may be answered, or the booking team chases an unanswered one.
 */
export const AWAITING_ANSWER: ReferralStatus = 'AWAITING_PATIENT_CONSENT';

/**
 * Offers made at screening are open from the clinician's review until the patient answers: while a
 * referral is in one of these, its open offers count as a claim on a site's capacity.
 */
export const OFFERS_HELD: readonly ReferralStatus[] = ['AWAITING_CLINICAL_REVIEW', AWAITING_ANSWER];

/** The receiving trust's booking stage: the procedure to book, or booked and not yet done. Live bookings belong here. */
export const BOOKING_STAGE: readonly ReferralStatus[] = ['AWAITING_BOOKING', 'BOOKED'];

/**
 * The named worklists staff work from, and the statuses each shows (null: any status). The side of
 * the trust each is read from, and any test beyond the status, are the query's
 * (libs/workflow/src/referral-queries.ts). Keep README "Worklists" in step.
 */
export const WORKLIST_STATUSES = {
  'clinical-review': ['AWAITING_CLINICAL_REVIEW'],
  'to-book': ['AWAITING_BOOKING'],
  'booking-changed': BOOKING_STAGE,
  'receiver-acceptance': ['AWAITING_RECEIVER_ACCEPTANCE'],
  // The follow-up handed back after treatment (issue 18), for the referring trust's clinician to accept or refuse: AWAITING_ORIGIN.
  'handback-acceptance': ['AWAITING_ORIGIN_ACCEPTANCE'],
  'needs-attention': null,
} as const satisfies Record<string, readonly ReferralStatus[] | null>;
export type WorklistName = keyof typeof WORKLIST_STATUSES;
export const WORKLIST_NAMES = Object.keys(WORKLIST_STATUSES) as WorklistName[];

/** The statuses a worklist shows (every status for one that shows any). */
export function worklistStatuses(name: WorklistName): readonly ReferralStatus[] {
  return WORKLIST_STATUSES[name] ?? REFERRAL_STATUSES;
}

/**
 * A stage change into one of these statuses puts the referral on a team's worklist (the one that
 * shows that status alone), and the team is told by email. In pathway order, then the follow-up's
 * (a hand-back lands on the referring clinicians' handback-acceptance list, issue 18).
 */
export const WORKLIST_ARRIVALS: ReadonlyMap<ReferralStatus, WorklistName> = new Map(
  [...PATHWAY_STATUSES, ...FOLLOW_UP_STATUSES].flatMap((status) =>
    WORKLIST_NAMES.filter((name) => {
      const shows = WORKLIST_STATUSES[name];
      return shows?.length === 1 && shows[0] === status;
    }).map((name) => [status, name] as const),
  ),
);

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
  REJECTED_BY_RECEIVER: 'the receiving trust did not accept the transfer; waiting for the referring trust to offer the patient elsewhere or close it',
  WITHDRAWN: 'closed: the patient withdrew',
  CANCELLED: 'closed: cancelled by the trust',
  // The pathway after treatment (PW).
  FOLLOW_UP: 'treated; follow-up at the receiving trust (outside RTT)',
  AWAITING_ORIGIN_ACCEPTANCE: "treated; follow-up handed back, waiting for the referring trust's clinician to accept it",
  ORIGIN_FOLLOW_UP: 'treated; follow-up handed back to the referring trust (outside RTT)',
  VIRTUAL_WARD: 'treated; monitored at home on a virtual ward (outside RTT)',
};

/** The receiving trust's clinician is to decide: the only status in which they may ask the referrer for information, or return the referral with advice. */
export const AWAITING_RECEIVER: ReferralStatus = 'AWAITING_RECEIVER_ACCEPTANCE';

/**
 * Until the receiving trust has decided: the referring trust may still change the clinical package
 * the receiving clinician decides on (after that it is the record the decision was made on).
 */
export const BEFORE_RECEIVER_DECISION: readonly ReferralStatus[] = PATHWAY_STATUSES.slice(0, PATHWAY_STATUSES.indexOf(AWAITING_RECEIVER) + 1);

// ---------- The pathway after treatment (issue 18, PW) ----------

/** What the receiving clinician decides at treatment: who follows the patient up, and where. */
export const FOLLOW_UP_PLANS = ['keep', 'hand_back', 'virtual_ward'] as const;
export type FollowUpPlan = (typeof FOLLOW_UP_PLANS)[number];

/**
 * After treatment, before discharge: the RTT clock stopped at treatment, so everything here is a
 * non-RTT phase (follow-up), which the view says as such.
 */
export const FOLLOW_UP_PHASE: readonly ReferralStatus[] = ['TREATED', 'FOLLOW_UP', 'AWAITING_ORIGIN_ACCEPTANCE', 'ORIGIN_FOLLOW_UP', 'VIRTUAL_WARD'];

/** The referring trust's clinician is to accept (or refuse) the follow-up handed back to it. */
export const AWAITING_ORIGIN: ReferralStatus = 'AWAITING_ORIGIN_ACCEPTANCE';

/** The referring trust accepted the follow-up handed back: it holds it, and discharges (the receiving trust still reads the record). */
export const HANDED_BACK: ReferralStatus = 'ORIGIN_FOLLOW_UP';
