// The referral state machine: the one transition table every stage change goes through.
import { TransitionConflictError } from './errors.js';
import {
  BEFORE_TREATMENT,
  BOOKING_STAGE,
  RECEIVER_OWNS,
  REOPENABLE_STATUSES,
  STATUS_DESCRIPTIONS,
  type FollowUpPlan,
  type ReferralStatus,
} from './referral-status.js';

export const REFERRAL_ACTIONS = [
  'screening_passed',
  'screening_failed',
  'clinical_review_suitable',
  'clinical_review_not_suitable',
  'consent_accepted',
  'consent_declined',
  'receiver_accepted',
  'receiver_rejected',
  'pre_op_assessment_booked',
  'procedure_booked',
  'pre_op_assessment_cancelled',
  'procedure_cancelled',
  'treatment_recorded',
  'discharged',
  'withdrawn',
  'cancelled',
  // The pathway after treatment (issue 18, PW).
  'follow_up_kept',
  'follow_up_handed_back',
  'virtual_ward_admitted',
  'handback_accepted',
  'handback_refused',
  'follow_up_discharged',
  // Booking as it really goes (issue 18, booking): reschedule, did-not-attend and its outcome under the trust's policy.
  'appointment_rescheduled',
  'pre_op_assessment_not_attended',
  'procedure_not_attended',
  'returned_to_referrer_after_dna',
  // Re-offer after a rejection (issue 18, RO).
  'reoffered',
  'closed_to_origin',
  // Re-offer after a decline or a cancellation (issue 18, RO): a closed referral re-opened.
  'reopened',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

interface TransitionRule {
  readonly from: readonly ReferralStatus[];
  /** The status after the action; absent when the action leaves the status unchanged. */
  readonly to?: ReferralStatus;
  /** What the action is, in words for an error message. */
  readonly label: string;
}

/** The transition table. Anything not listed here is refused. */
export const TRANSITIONS: Readonly<Record<ReferralAction, TransitionRule>> = {
  screening_passed: { from: ['IDENTIFIED'], to: 'AWAITING_CLINICAL_REVIEW', label: 'record a screening result' },
  screening_failed: { from: ['IDENTIFIED'], to: 'NOT_ELIGIBLE', label: 'record a screening result' },
  clinical_review_suitable: { from: ['AWAITING_CLINICAL_REVIEW'], to: 'AWAITING_PATIENT_CONSENT', label: 'record a clinical review' },
  clinical_review_not_suitable: { from: ['AWAITING_CLINICAL_REVIEW'], to: 'NOT_SUITABLE', label: 'record a clinical review' },
  consent_accepted: { from: ['AWAITING_PATIENT_CONSENT'], to: 'AWAITING_RECEIVER_ACCEPTANCE', label: "record the patient's answer to the offer" },
  consent_declined: { from: ['AWAITING_PATIENT_CONSENT'], to: 'DECLINED', label: "record the patient's answer to the offer" },
  receiver_accepted: { from: ['AWAITING_RECEIVER_ACCEPTANCE'], to: 'AWAITING_BOOKING', label: "record the receiving trust's decision" },
  receiver_rejected: { from: ['AWAITING_RECEIVER_ACCEPTANCE'], to: 'REJECTED_BY_RECEIVER', label: "record the receiving trust's decision" },
  pre_op_assessment_booked: { from: ['AWAITING_BOOKING', 'BOOKED'], label: 'book a pre-operative assessment' },
  procedure_booked: { from: ['AWAITING_BOOKING'], to: 'BOOKED', label: 'book the procedure' },
  pre_op_assessment_cancelled: { from: ['AWAITING_BOOKING', 'BOOKED'], label: 'cancel a pre-operative assessment' },
  procedure_cancelled: { from: ['BOOKED'], to: 'AWAITING_BOOKING', label: 'cancel the procedure booking' },
  treatment_recorded: { from: ['BOOKED'], to: 'TREATED', label: 'record treatment' },
  discharged: { from: ['TREATED'], to: 'DISCHARGED', label: 'record discharge' },
  withdrawn: { from: BEFORE_TREATMENT, to: 'WITHDRAWN', label: 'withdraw the referral' },
  cancelled: { from: BEFORE_TREATMENT, to: 'CANCELLED', label: 'cancel the referral' },
  // The pathway after treatment (PW): the follow-up decided at treatment, the handback's own acceptance, and discharge when it ends.
  follow_up_kept: { from: ['TREATED'], to: 'FOLLOW_UP', label: 'decide the follow-up' },
  follow_up_handed_back: { from: ['TREATED'], to: 'AWAITING_ORIGIN_ACCEPTANCE', label: 'decide the follow-up' },
  virtual_ward_admitted: { from: ['TREATED'], to: 'VIRTUAL_WARD', label: 'decide the follow-up' },
  handback_accepted: { from: ['AWAITING_ORIGIN_ACCEPTANCE'], to: 'ORIGIN_FOLLOW_UP', label: "record the referring trust's decision on the handback" },
  handback_refused: { from: ['AWAITING_ORIGIN_ACCEPTANCE'], to: 'FOLLOW_UP', label: "record the referring trust's decision on the handback" },
  follow_up_discharged: { from: ['FOLLOW_UP', 'ORIGIN_FOLLOW_UP', 'VIRTUAL_WARD'], to: 'DISCHARGED', label: 'end the follow-up and discharge' },
  // Booking as it really goes (issue 18, booking): a move keeps the status; a missed procedure goes back to be booked
  // again (rebook policy); after the trust's number of misses, the referral returns to the referrer (closed, the patient
  // back on the origin list at the same RTT clock start).
  appointment_rescheduled: { from: BOOKING_STAGE, label: 'reschedule an appointment' },
  pre_op_assessment_not_attended: { from: BOOKING_STAGE, label: 'record that the patient did not attend' },
  procedure_not_attended: { from: ['BOOKED'], to: 'AWAITING_BOOKING', label: 'record that the patient did not attend the procedure' },
  returned_to_referrer_after_dna: { from: BOOKING_STAGE, to: 'CANCELLED', label: 'return the referral to the referrer after missed appointments' },
  // Re-offer (issue 18, RO): the referral, its RTT clock start and clinical package, offered again to
  // the group's other trusts than those that did not accept it; no re-posting, no new pathway.
  reoffered: { from: ['REJECTED_BY_RECEIVER'], to: 'AWAITING_PATIENT_CONSENT', label: 'offer the patient again elsewhere' },
  // Or the referring trust's explicit close: the referral ends, the patient stays on the origin list as they were.
  closed_to_origin: { from: ['REJECTED_BY_RECEIVER'], to: 'CANCELLED', label: 'close the referral back to the origin list' },
  // A closed referral (declined, cancelled) re-opened by the referring trust and offered again, on the same
  // route as a re-offer. Its own action, not `reoffered`: a re-open has its own conditions (the window, no
  // newer referral for the pathway), and a rejection is not closed. Nothing to close: it already is.
  reopened: { from: REOPENABLE_STATUSES, to: 'AWAITING_PATIENT_CONSENT', label: 'offer the patient again elsewhere after the referral closed' },
};

/** The stage change that closed a referral: its timeline event's type and when. */
export interface ReferralClose {
  readonly type: string;
  readonly at: Date;
}

/**
 * Why a closed referral (REOPENABLE_STATUSES) may not be re-opened now, in words for a 409, or null when
 * it may (the transition table still decides the status). Not after the referring trust's own close to
 * the origin list: that was its answer to "offer again elsewhere?". Not past `windowDays` from the close.
 * Whether a newer referral holds the pathway is the database's to say.
 */
export function reopenRefusal(close: ReferralClose, windowDays: number, now: Date): string | null {
  const day = close.at.toISOString().slice(0, 10);
  if (close.type === 'closed_to_origin')
    return `Cannot offer the patient again elsewhere: the referring trust closed this referral back to the origin list on ${day}, after the receiving trust did not accept it, deciding not to offer it elsewhere. Refer the patient afresh if that has changed.`;
  if (now.getTime() > reopenDeadline(close, windowDays).getTime())
    return `Cannot offer the patient again elsewhere: the referral closed on ${day}, and a closed referral may be offered again only within ${windowDays} days of its close. Refer the patient afresh from the origin list.`;
  return null;
}

/** The last moment a closed referral may be re-opened: `windowDays` after its close. */
export function reopenDeadline(close: ReferralClose, windowDays: number): Date {
  return new Date(close.at.getTime() + windowDays * 86_400_000);
}

/** A timeline event as the referral views carry it (oldest first); a patient's view has no fromStatus. */
interface TimelineStep {
  readonly type: string;
  readonly fromStatus?: string | null;
  readonly toStatus?: string | null;
  readonly at: string;
}

/**
 * Whether a referral in `status`, with this `timeline`, may be offered again elsewhere now: a closed
 * referral (REOPENABLE_STATUSES) whose close (its latest stage change into `status`) reopenRefusal
 * does not refuse. Whether a newer referral holds the pathway is the database's to say, at the re-open.
 */
export function reopenableNow(status: ReferralStatus, timeline: readonly TimelineStep[], windowDays: number, now: Date): boolean {
  const close = closeOf(status, timeline);
  return close !== undefined && reopenRefusal(close, windowDays, now) === null;
}

/** The close of a closed referral (REOPENABLE_STATUSES) in `status`: its latest stage change into it, from its `timeline`. */
export function closeOf(status: ReferralStatus, timeline: readonly TimelineStep[]): ReferralClose | undefined {
  if (!(REOPENABLE_STATUSES as readonly ReferralStatus[]).includes(status)) return undefined;
  const close = timeline.findLast((e) => e.toStatus === status && e.fromStatus !== e.toStatus);
  return close && { type: close.type, at: new Date(close.at) };
}

/** The action that starts each follow-up plan from TREATED. */
export const FOLLOW_UP_ACTIONS = {
  keep: 'follow_up_kept',
  hand_back: 'follow_up_handed_back',
  virtual_ward: 'virtual_ward_admitted',
} as const satisfies Record<FollowUpPlan, ReferralAction>;

export type TransitionResult =
  | { readonly allowed: true; readonly from: ReferralStatus; readonly to: ReferralStatus }
  | { readonly allowed: false; readonly from: ReferralStatus; readonly reason: string; readonly allowedFrom: readonly ReferralStatus[] };

/** Decides whether `action` may happen to a referral in `current`, and to which status it leads. */
export function transition(current: ReferralStatus, action: ReferralAction): TransitionResult {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(current)) return { allowed: true, from: current, to: rule.to ?? current };
  const where = rule.from.length === 1 ? rule.from[0] : `one of ${rule.from.join(', ')}`;
  return {
    allowed: false,
    from: current,
    allowedFrom: rule.from,
    reason: `Cannot ${rule.label}: the referral is ${current} (${STATUS_DESCRIPTIONS[current]}). This is only possible while it is ${where}.`,
  };
}

/**
 * The table's answer for `action` from `status`, or its refusal in its words (TRANSITION_REFUSED,
 * naming the current status and those it would be allowed from). Commands that must refuse before
 * any other check (an offer match, a capacity claim) ask it first; applyTransition asks it again,
 * so no command restates the table.
 */
export function requireTransition(status: ReferralStatus, action: ReferralAction): { readonly from: ReferralStatus; readonly to: ReferralStatus } {
  const t = transition(status, action);
  if (!t.allowed) throw new TransitionConflictError(t.reason, status, t.allowedFrom);
  return { from: t.from, to: t.to };
}

/** Every (from, to) pair the table allows, for tests and documentation. */
export function allowedPairs(): Array<{ action: ReferralAction; from: ReferralStatus; to: ReferralStatus }> {
  const out: Array<{ action: ReferralAction; from: ReferralStatus; to: ReferralStatus }> = [];
  for (const action of REFERRAL_ACTIONS) {
    const rule = TRANSITIONS[action];
    for (const from of rule.from) out.push({ action, from, to: rule.to ?? from });
  }
  return out;
}

/**
 * What each exit means for the patient's place on the origin trust's waiting list.
 * It is never lost: before the transfer of care it was never removed; after it, the
 * pathway returns to the origin trust with the RTT clock still running.
 */
export function originListOutcome(fromStatus: ReferralStatus, exitStatus: ReferralStatus): string {
  if (exitStatus === 'DISCHARGED') return 'pathway complete: treated at the receiving trust and discharged to the GP';
  const transferred = RECEIVER_OWNS.has(fromStatus);
  return transferred
    ? 'returned to the origin trust waiting list at the same RTT clock start; weeks waited keep counting'
    : 'kept on the origin trust waiting list unchanged; weeks waited keep counting';
}
