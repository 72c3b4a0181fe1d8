// How a referral is shown to each kind of caller (data minimised by role).
import { cohortBand, isoDate, STATUS_DESCRIPTIONS, weeksWaited, type ReferralStatus } from '#domain';
import { CLINICAL_TEXT_ROLES, type Caller } from '#auth';

type Row = {
  id: string;
  status: string;
  originOds: string;
  receivingOds: string | null;
  specialtyCode: string;
  procedureCode: string;
  pathwayId: string;
  priority: string;
  rttClockStart: Date;
  rttClockStop: Date | null;
  needsAttention: boolean;
  travelRadiusMiles: number | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  patient?: {
    nhsNumber: string;
    familyName: string;
    givenName: string;
    dateOfBirth: Date;
    postcode?: string;
    gpPracticeOds?: string;
    address?: string | null;
    phone?: string | null;
    email?: string | null;
  };
  /** An open demographics_mismatch task: the trust already held this NHS number under another name or date of birth. */
  demographicsMismatch?: boolean;
};

export function referralSummary(r: Row, now: Date, caller: Caller) {
  const weeks = weeksWaited(r.rttClockStart, now, r.rttClockStop);
  const base = {
    id: r.id,
    status: r.status as ReferralStatus,
    statusDescription: STATUS_DESCRIPTIONS[r.status as ReferralStatus],
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

export function offerView(o: { id: string; receivingOds: string; siteOds: string; distanceMiles: number; earliestWeek: Date; status: string }) {
  return {
    id: o.id,
    receivingOds: o.receivingOds,
    siteOds: o.siteOds,
    distanceMiles: o.distanceMiles,
    earliestWeek: isoDate(o.earliestWeek),
    status: o.status,
  };
}

export function bookingView(b: { id: string; kind: string; siteOds: string; startsAt: Date; status: string; cancelReason: string | null; createdAt: Date }) {
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

export function timelineView(
  e: {
    id: bigint | string;
    type: string;
    fromStatus: string | null;
    toStatus: string | null;
    actorSub: string;
    actorRole: string;
    actorOds: string | null;
    at: Date;
    detail: unknown;
  },
  caller: Caller,
) {
  if (caller.role === 'patient') {
    return { id: e.id.toString(), type: e.type, toStatus: e.toStatus, at: e.at.toISOString() };
  }
  let detail = e.detail as Record<string, unknown> | null;
  if (detail && !CLINICAL_TEXT_ROLES.has(caller.role)) {
    detail = Object.fromEntries(Object.entries(detail).filter(([k]) => !CLINICAL_DETAIL_KEYS.includes(k) || (k === 'note' && e.actorRole === 'system')));
  }
  return {
    id: e.id.toString(),
    type: e.type,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    actor: { sub: e.actorSub, role: e.actorRole, ods: e.actorOds },
    at: e.at.toISOString(),
    detail: detail ?? undefined,
  };
}

export function notificationView(n: {
  id: string;
  event: string;
  channel: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  fallbackOf?: string | null;
  statuses?: ReadonlyArray<{ status: string; at: Date; providerAt: Date | null }>;
}) {
  return {
    id: n.id,
    event: n.event,
    channel: n.channel,
    status: n.status,
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
    /** The notification this letter was sent in place of (after a permanent failure). */
    fallbackOf: n.fallbackOf ?? null,
    /** Each status reached, with when we learned it and when the provider says it happened. */
    statusHistory: [
      { status: 'created', at: n.createdAt.toISOString(), providerAt: null },
      ...(n.statuses ?? []).map((s) => ({ status: s.status, at: s.at.toISOString(), providerAt: s.providerAt?.toISOString() ?? null })),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The referral view's one statement. Column names are mapped to the model's field names in SQL;
// referralFromJson turns the JSON's date strings back into Dates for the views above.

/** Callers append `WHERE r.id = ... AND <scope>`; `$NOTES` is replaced by a boolean placeholder. */
export const REFERRAL_VIEW_SQL = `
SELECT json_build_object(
  'id', r.id, 'status', r.status, 'originOds', r.origin_ods, 'receivingOds', r.receiving_ods,
  'specialtyCode', r.specialty_code, 'procedureCode', r.procedure_code, 'pathwayId', r.pathway_id,
  'priority', r.priority, 'rttClockStart', r.rtt_clock_start, 'rttClockStop', r.rtt_clock_stop,
  'needsAttention', r.needs_attention, 'travelRadiusMiles', r.travel_radius_miles, 'version', r.version,
  'createdAt', r.created_at, 'updatedAt', r.updated_at,
  'demographicsMismatch', EXISTS (SELECT 1 FROM task t WHERE t.referral_id = r.id AND t.kind = 'demographics_mismatch' AND t.status = 'OPEN'),
  'patient', json_build_object('nhsNumber', p.nhs_number, 'familyName', p.family_name, 'givenName', p.given_name,
    'dateOfBirth', p.date_of_birth, 'address', p.address, 'postcode', p.postcode, 'phone', p.phone, 'email', p.email,
    'gpPracticeOds', p.gp_practice_ods),
  'offers', COALESCE((SELECT json_agg(json_build_object('id', o.id, 'receivingOds', o.receiving_ods, 'siteOds', o.site_ods,
      'distanceMiles', o.distance_miles, 'earliestWeek', o.earliest_week, 'status', o.status) ORDER BY o.distance_miles, o.id)
    FROM offer o WHERE o.referral_id = r.id), '[]'),
  'bookings', COALESCE((SELECT json_agg(json_build_object('id', b.id, 'kind', b.kind, 'siteOds', b.site_ods, 'startsAt', b.starts_at,
      'status', b.status, 'cancelReason', b.cancel_reason, 'createdAt', b.created_at) ORDER BY b.created_at, b.id)
    FROM booking b WHERE b.referral_id = r.id), '[]'),
  'events', COALESCE((SELECT json_agg(json_build_object('id', e.id::text, 'type', e.type, 'fromStatus', e.from_status,
      'toStatus', e.to_status, 'actorSub', e.actor_sub, 'actorRole', e.actor_role, 'actorOds', e.actor_ods, 'at', e.at,
      'detail', e.detail) ORDER BY e.id)
    FROM timeline_event e WHERE e.referral_id = r.id), '[]'),
  'notes', CASE WHEN $NOTES THEN COALESCE((SELECT json_agg(json_build_object('id', n.id, 'kind', n.kind, 'text', n.text,
      'authorSub', n.author_sub, 'createdAt', n.created_at) ORDER BY n.created_at, n.id)
    FROM clinical_note n WHERE n.referral_id = r.id), '[]') END
) AS v
FROM referral r JOIN patient p ON p.id = r.patient_id`;

type Stamp = string;
export interface ReferralJson {
  id: string;
  status: string;
  originOds: string;
  receivingOds: string | null;
  specialtyCode: string;
  procedureCode: string;
  pathwayId: string;
  priority: string;
  rttClockStart: Stamp;
  rttClockStop: Stamp | null;
  needsAttention: boolean;
  travelRadiusMiles: number | null;
  version: number;
  createdAt: Stamp;
  updatedAt: Stamp;
  demographicsMismatch: boolean;
  patient: {
    nhsNumber: string;
    familyName: string;
    givenName: string;
    dateOfBirth: Stamp;
    address: string | null;
    postcode: string;
    phone: string | null;
    email: string | null;
    gpPracticeOds: string;
  };
  offers: Array<{ id: string; receivingOds: string; siteOds: string; distanceMiles: number; earliestWeek: Stamp; status: string }>;
  bookings: Array<{ id: string; kind: string; siteOds: string; startsAt: Stamp; status: string; cancelReason: string | null; createdAt: Stamp }>;
  events: Array<{
    id: string;
    type: string;
    fromStatus: string | null;
    toStatus: string | null;
    actorSub: string;
    actorRole: string;
    actorOds: string | null;
    at: Stamp;
    detail: unknown;
  }>;
  notes: Array<{ id: string; kind: string; text: string; authorSub: string; createdAt: Stamp }> | null;
}

/** JSON dates to Dates: a `date` arrives as YYYY-MM-DD (UTC midnight, as Prisma reads it), a timestamptz with its offset. */
export function referralFromJson(j: ReferralJson) {
  const d = (s: Stamp) => new Date(s);
  return {
    ...j,
    rttClockStart: d(j.rttClockStart),
    rttClockStop: j.rttClockStop ? d(j.rttClockStop) : null,
    createdAt: d(j.createdAt),
    updatedAt: d(j.updatedAt),
    patient: { ...j.patient, dateOfBirth: d(j.patient.dateOfBirth) },
    offers: j.offers.map((o) => ({ ...o, earliestWeek: d(o.earliestWeek) })),
    bookings: j.bookings.map((b) => ({ ...b, startsAt: d(b.startsAt), createdAt: d(b.createdAt) })),
    events: j.events.map((e) => ({ ...e, at: d(e.at) })),
  };
}
