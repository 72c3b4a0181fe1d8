// How a referral is shown to each kind of caller (data minimised by role).
import {
  ageInYears,
  cohortBand,
  exclusionInWords,
  HANDED_BACK,
  isoDate,
  NO_REQUIREMENTS,
  requirementsSummary,
  STATUS_DESCRIPTIONS,
  weeksWaited,
  type AdditionalRequirements,
  type ExclusionReason,
  type FollowUpPlan,
  type ReferralStatus,
} from '#domain';
import { CLINICAL_TEXT_ROLES, type Caller } from '#auth';
import type { BookingRow, EventRow, ExclusionRow, OfferRow, PATIENT_IDENTITY, PatientRow, ReferralRow } from './referral-row.js';
import type { DispatchView } from './mesh/dispatches.js';

/**
 * A referral as a summary reads it: its row, its patient as far as the read has them (the identity
 * always; contact details and GP practice where the read has them) and, from the referral view, an
 * open demographics_mismatch task (the trust already held this NHS number under another name or date of birth).
 */
export type SummaryInput = ReferralRow & {
  readonly patient?: Pick<PatientRow, (typeof PATIENT_IDENTITY)[number]> & Partial<PatientRow>;
  readonly demographicsMismatch?: boolean;
};

export function referralSummary(r: SummaryInput, now: Date, caller: Caller) {
  const weeks = weeksWaited(r.rttClockStart, now, r.rttClockStop);
  const base = {
    id: r.id,
    status: r.status,
    statusDescription: STATUS_DESCRIPTIONS[r.status],
    originOds: r.originOds,
    receivingOds: r.receivingOds,
    specialtyCode: r.specialtyCode,
    procedureCode: r.procedureCode,
    pathwayId: r.pathwayId,
    priority: r.priority,
    rttClockStart: isoDate(r.rttClockStart),
    rttClockStop: r.rttClockStop ? isoDate(r.rttClockStop) : null,
    weeksWaited: weeks,
    cohortBand: cohortBand(weeks),
    needsAttention: r.needsAttention,
    travelRadiusMiles: r.travelRadiusMiles,
    version: r.version,
    ...pathwayPhase(r),
    direction: r.direction,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
  if (!r.patient) return base;
  // Each referral holds the patient as its trust recorded them: a patient sees, referral by
  // referral, what each trust holds (contact details only where the read has them).
  const contact =
    r.patient.postcode !== undefined
      ? { address: r.patient.address ?? null, postcode: r.patient.postcode, phone: r.patient.phone ?? null, email: r.patient.email ?? null }
      : {};
  if (caller.role === 'patient') return { ...base, patient: { givenName: r.patient.givenName, familyName: r.patient.familyName, ...contact } };
  const patient = {
    nhsNumber: r.patient.nhsNumber,
    familyName: r.patient.familyName,
    givenName: r.patient.givenName,
    dateOfBirth: isoDate(r.patient.dateOfBirth),
    ...(r.patient.postcode !== undefined ? { ...contact, gpPracticeOds: r.patient.gpPracticeOds } : {}),
  };
  return { ...base, ...(r.demographicsMismatch !== undefined ? { demographicsMismatch: r.demographicsMismatch } : {}), patient };
}

/**
 * Where the pathway stands against RTT (issue 18, PW): the clock runs until treatment; a follow-up
 * after it is outside RTT, and says who holds it (the receiving trust, or the referring trust once it
 * has accepted a handback).
 */
function pathwayPhase(r: Pick<ReferralRow, 'status' | 'rttClockStop' | 'originOds' | 'receivingOds'>) {
  const plan = FOLLOW_UP_PLAN_OF[r.status];
  return {
    rttPhase: r.rttClockStop ? ('stopped' as const) : ('running' as const),
    followUp: plan ? { plan, heldBy: r.status === HANDED_BACK ? r.originOds : r.receivingOds, status: r.status, rtt: false as const } : null,
  };
}

const FOLLOW_UP_PLAN_OF: Partial<Record<ReferralStatus, FollowUpPlan>> = {
  FOLLOW_UP: 'keep',
  AWAITING_ORIGIN_ACCEPTANCE: 'hand_back',
  ORIGIN_FOLLOW_UP: 'hand_back',
  VIRTUAL_WARD: 'virtual_ward',
};

export function offerView(o: OfferRow, siteName: string | null = null) {
  return {
    id: o.id,
    receivingOds: o.receivingOds,
    siteOds: o.siteOds,
    /** The hospital's name, as the patient and the booking clerk say it. */
    siteName: siteName ?? o.siteOds,
    /** Null when not known (never 0): see `distance`. */
    distanceMiles: o.distanceMiles,
    /** How the distance was worked out: from the full postcode, its district's centroid, or not at all. */
    distance:
      o.distanceMiles === null ? { miles: null, basis: 'unknown' as const } : { miles: o.distanceMiles, basis: o.distanceBasis as 'postcode' | 'district' },
    earliestWeek: isoDate(o.earliestWeek),
    status: o.status,
  };
}

/**
 * Why a site with room was not offered: its service's reasons, each in words with the service's limit
 * and the patient's value (so for clinicians only: BMI and ASA grade are clinical information).
 */
export function exclusionView(
  x: ExclusionRow,
  facts: { procedureCode: string; dateOfBirth: Date; bmi: number | null; asaGrade: number | null },
  siteName: string | null,
  now: Date,
) {
  const patient = { procedureCode: facts.procedureCode, bmi: facts.bmi, asaGrade: facts.asaGrade, ageYears: ageInYears(facts.dateOfBirth, now) };
  const rules = { procedures: x.procedures, maxBmi: x.maxBmi === null ? null : Number(x.maxBmi), maxAsaGrade: x.maxAsaGrade, minAgeYears: x.minAgeYears };
  return {
    siteOds: x.siteOds,
    siteName: siteName ?? x.siteOds,
    receivingOds: x.receivingOds,
    serviceName: x.serviceName,
    reasons: x.reasons.map((code) => ({ code, text: exclusionInWords(code as ExclusionReason, patient, rules) })),
  };
}

export function bookingView(b: BookingRow) {
  return {
    id: b.id,
    kind: b.kind,
    siteOds: b.siteOds,
    startsAt: b.startsAt.toISOString(),
    status: b.status,
    cancelReason: b.cancelReason,
    createdAt: b.createdAt.toISOString(),
  };
}

/** Detail keys that carry clinical or free text, withheld from everyone but clinicians. */
const CLINICAL_DETAIL_KEYS = ['note', 'summary'];

export function timelineView(e: EventRow, caller: Caller) {
  if (caller.role === 'patient') {
    return { id: e.id, type: e.type, toStatus: e.toStatus, at: e.at.toISOString() };
  }
  let detail = e.detail as Record<string, unknown> | null;
  if (detail && !CLINICAL_TEXT_ROLES.has(caller.role)) {
    detail = Object.fromEntries(Object.entries(detail).filter(([k]) => !CLINICAL_DETAIL_KEYS.includes(k) || (k === 'note' && e.actorRole === 'system')));
  }
  return {
    id: e.id,
    type: e.type,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    // The name only when the person's sign-in carried one: the actor is otherwise as it always was.
    actor: { sub: e.actorSub, role: e.actorRole, ods: e.actorOds, ...(e.actorName ? { name: e.actorName } : {}) },
    at: e.at.toISOString(),
    detail: detail ?? undefined,
  };
}

/** A patient notification with each delivery status it reached (notification_status). */
export interface NotificationHistoryRow {
  readonly id: string;
  readonly event: string;
  readonly channel: string;
  readonly status: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly sentAt: Date | null;
  readonly fallbackOf: string | null;
  readonly statuses: ReadonlyArray<{ readonly status: string; readonly at: Date; readonly providerAt: Date | null }>;
}

export function notificationView(n: NotificationHistoryRow) {
  return {
    id: n.id,
    event: n.event,
    channel: n.channel,
    status: n.status,
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
    /** The notification this letter was sent in place of (after a permanent failure). */
    fallbackOf: n.fallbackOf,
    /** Each status reached, with when we learned it and when the provider says it happened. */
    statusHistory: [
      { status: 'created', at: n.createdAt.toISOString(), providerAt: null },
      ...n.statuses.map((s) => ({ status: s.status, at: s.at.toISOString(), providerAt: s.providerAt?.toISOString() ?? null })),
    ],
  };
}

/** The patient's additional requirements as stored with who recorded them (storedRequirementsSql reads them as JSON). */
export interface StoredRequirements {
  readonly value: Partial<AdditionalRequirements>;
  readonly role: string;
  readonly ods: string | null;
  readonly updatedAt: string;
}

/**
 * The additional requirements as staff read them: each field, the worklist's short summary, and who
 * recorded them last ('patient': the patient, on the offer page); null when none were recorded.
 */
export function requirementsView(stored: StoredRequirements | null) {
  if (!stored) return null;
  const value: AdditionalRequirements = { ...NO_REQUIREMENTS, ...stored.value };
  return {
    ...value,
    informationFormats: [...value.informationFormats],
    mobility: [...value.mobility],
    summary: requirementsSummary(value),
    recordedBy: { role: stored.role, ods: stored.ods },
    updatedAt: new Date(stored.updatedAt).toISOString(),
  };
}

/** A dispatch's state for staff (what it said is not shown: it is read where it went). */
export function dispatchStateView(d: DispatchView) {
  return {
    kind: d.kind,
    status: d.status,
    recipientOds: d.recipientOds,
    attempts: d.attempts,
    sentAt: d.sentAt?.toISOString() ?? null,
    acknowledgedAt: d.acknowledgedAt?.toISOString() ?? null,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
  };
}
