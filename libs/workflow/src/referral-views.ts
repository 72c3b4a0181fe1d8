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
  patient?: { nhsNumber: string; familyName: string; givenName: string; dateOfBirth: Date; postcode?: string; gpPracticeOds?: string; address?: string | null; phone?: string | null; email?: string | null };
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
  const patient =
    caller.role === 'patient'
      ? { givenName: r.patient.givenName, familyName: r.patient.familyName }
      : {
          nhsNumber: r.patient.nhsNumber,
          familyName: r.patient.familyName,
          givenName: r.patient.givenName,
          dateOfBirth: isoDate(r.patient.dateOfBirth),
          ...(r.patient.postcode !== undefined
            ? { address: r.patient.address ?? null, postcode: r.patient.postcode, phone: r.patient.phone ?? null, email: r.patient.email ?? null, gpPracticeOds: r.patient.gpPracticeOds }
            : {}),
        };
  return { ...base, patient };
}

export function offerView(o: { id: string; receivingOds: string; siteOds: string; distanceMiles: number; earliestWeek: Date; status: string }) {
  return { id: o.id, receivingOds: o.receivingOds, siteOds: o.siteOds, distanceMiles: o.distanceMiles, earliestWeek: isoDate(o.earliestWeek), status: o.status };
}

export function bookingView(b: { id: string; kind: string; siteOds: string; startsAt: Date; status: string; cancelReason: string | null; createdAt: Date }) {
  return { id: b.id, kind: b.kind, siteOds: b.siteOds, startsAt: b.startsAt.toISOString(), status: b.status, cancelReason: b.cancelReason, createdAt: b.createdAt.toISOString() };
}

/** Detail keys that carry clinical or free text, withheld from everyone but clinicians. */
const CLINICAL_DETAIL_KEYS = ['note', 'summary'];

export function timelineView(
  e: { id: bigint; type: string; fromStatus: string | null; toStatus: string | null; actorSub: string; actorRole: string; actorOds: string | null; at: Date; detail: unknown },
  caller: Caller,
) {
  if (caller.role === 'patient') {
    return { id: e.id.toString(), type: e.type, toStatus: e.toStatus, at: e.at.toISOString() };
  }
  let detail = e.detail as Record<string, unknown> | null;
  if (detail && !CLINICAL_TEXT_ROLES.has(caller.role)) {
    detail = Object.fromEntries(Object.entries(detail).filter(([k]) => !CLINICAL_DETAIL_KEYS.includes(k) || k === 'note' && e.actorRole === 'system'));
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

export function notificationView(n: { id: string; event: string; channel: string; status: string; createdAt: Date; updatedAt: Date; sentAt: Date | null }) {
  return { id: n.id, event: n.event, channel: n.channel, status: n.status, createdAt: n.createdAt.toISOString(), updatedAt: n.updatedAt.toISOString(), sentAt: n.sentAt?.toISOString() ?? null };
}
