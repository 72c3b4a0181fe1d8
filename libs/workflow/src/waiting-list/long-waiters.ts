// Long-waiters: a trust's open waiting-list entries not yet referred, longest wait first, and
// opening a referral from one. Plain SQL on the hot path (see libs/persistence/src/sql.ts).
import { Injectable } from '@nestjs/common';
import { cohortBand, isoDate, isUuid, latestClockStartFor, parseIsoDate, weeksWaited, type NewReferral } from '#domain';
import { PrismaService, SqlParams, type SqlRunner } from '#persistence';
import type { Caller } from '#auth';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError } from '../workflow-errors.js';
import { normaliseName } from '../patient-record.js';

export interface LongWaitersQuery {
  readonly minWeeks?: number;
  readonly specialty?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

interface EntryRow {
  id: string;
  pathway_id: string;
  nhs_number: string;
  family_name: string;
  given_name: string;
  date_of_birth: Date;
  specialty_code: string;
  procedure_code: string;
  rtt_clock_start: Date;
  priority: string;
  next_appointment_date: Date | null;
}

@Injectable()
export class LongWaiters {
  constructor(private readonly prisma: PrismaService) {}

  /** Keyset-paginated on (rtt_clock_start, id): the partial indexes of the waiting_list migration serve it. */
  async list(caller: Caller, q: LongWaitersQuery, now = new Date()) {
    const limit = q.limit ?? 50;
    const p = new SqlParams();
    const where = [`origin_ods = ${p.add(caller.ods ?? '')}`, `status = 'open'`, 'referral_id IS NULL'];
    if (q.specialty) where.push(`specialty_code = ${p.add(q.specialty)}`);
    if (q.minWeeks !== undefined) where.push(`rtt_clock_start <= ${p.add(isoDate(latestClockStartFor(q.minWeeks, now)))}::date`);
    if (q.cursor) {
      const [start, id] = decodeCursor(q.cursor);
      where.push(`(rtt_clock_start, id) > (${p.add(start)}::date, ${p.add(id)}::uuid)`);
    }
    const { rows } = await this.prisma.sql.query<EntryRow>(
      `SELECT id, pathway_id, nhs_number, family_name, given_name, date_of_birth, specialty_code, procedure_code, rtt_clock_start, priority, next_appointment_date
       FROM waiting_list_entry WHERE ${where.join(' AND ')} ORDER BY rtt_clock_start, id LIMIT ${p.add(limit + 1)}`,
      p.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => entryView(r, now, caller)),
      nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify([isoDate(last.rtt_clock_start), last.id])).toString('base64url') : null,
    };
  }

  /**
   * The referral an entry of the caller's trust describes, for POST /v1/referrals { waitingListEntryId }.
   * The extract carries no contact details: those the same trust recorded for this patient on its
   * latest referral are used, when that record has the same family name and date of birth. Another
   * trust's records are never read (each referral holds its own patient: patient-record.ts).
   */
  async referralFromEntry(caller: Caller, entryId: string): Promise<NewReferral> {
    const { rows } = await this.prisma.sql.query<
      EntryRow & {
        postcode: string;
        gp_practice_ods: string;
        status: string;
        referral_id: string | null;
        address: string | null;
        phone: string | null;
        email: string | null;
        known_family_name: string | null;
      }
    >(
      // Columns named, not e.*: a prepared statement whose result columns change (a migration adding
      // one) fails until its connection closes.
      `SELECT e.id, e.pathway_id, e.nhs_number, e.family_name, e.given_name, e.date_of_birth, e.specialty_code, e.procedure_code,
              e.rtt_clock_start, e.priority, e.next_appointment_date, e.postcode, e.gp_practice_ods, e.status, e.referral_id,
              p.address, p.phone, p.email, p.family_name AS known_family_name
       FROM waiting_list_entry e
       LEFT JOIN LATERAL (
         SELECT p.address, p.phone, p.email, p.family_name FROM patient p JOIN referral r ON r.patient_id = p.id
         WHERE p.nhs_number = e.nhs_number AND r.origin_ods = e.origin_ods AND p.date_of_birth = e.date_of_birth
         ORDER BY p.created_at DESC LIMIT 1) p ON true
       WHERE e.id = $1::uuid AND e.origin_ods = $2`,
      [entryId, caller.ods ?? ''],
    );
    const e = rows[0];
    if (!e) throw new ReferralNotFoundError('Waiting-list entry');
    if (e.referral_id)
      throw new DuplicateError(`This waiting-list entry already has a referral (${e.referral_id})`, { field: 'waitingListEntryId', referralId: e.referral_id });
    if (e.status !== 'open')
      throw new BusinessRuleError('This waiting-list entry is closed: the latest full extract no longer lists it', { field: 'waitingListEntryId' });
    // The same person by the rule DemographicsCheck uses: else the trust's record is someone else's details.
    const known = e.known_family_name !== null && normaliseName(e.known_family_name) === normaliseName(e.family_name);
    return {
      patient: {
        nhsNumber: e.nhs_number,
        familyName: e.family_name,
        givenName: e.given_name,
        dateOfBirth: e.date_of_birth,
        address: known ? e.address : null,
        postcode: e.postcode,
        phone: known ? e.phone : null,
        email: known ? e.email : null,
        gpPracticeOds: e.gp_practice_ods,
      },
      specialtyCode: e.specialty_code,
      procedureCode: e.procedure_code,
      rttClockStart: e.rtt_clock_start,
      pathwayId: e.pathway_id,
      priority: e.priority,
      nextAppointmentDate: e.next_appointment_date,
      tertiary: false,
    };
  }
}

/**
 * Inside the transaction that opens a referral: the waiting-list entry of its pathway records it
 * (and leaves the long-waiters list). Opened from an entry id, that entry must still be open and
 * unreferred, else the whole opening is refused.
 */
export async function linkWaitingListEntry(tx: SqlRunner, ref: { ods: string; pathwayId: string; referralId: string; entryId?: string }): Promise<void> {
  if (ref.entryId) {
    const out = await tx.query(
      `UPDATE waiting_list_entry SET referral_id = $3::uuid, updated_at = now()
       WHERE id = $1::uuid AND origin_ods = $2 AND status = 'open' AND referral_id IS NULL`,
      [ref.entryId, ref.ods, ref.referralId],
    );
    if (out.rowCount === 0)
      throw new DuplicateError('This waiting-list entry was referred or closed at the same time; reload it', { field: 'waitingListEntryId' });
    return;
  }
  await tx.query(`UPDATE waiting_list_entry SET referral_id = $3::uuid, updated_at = now() WHERE origin_ods = $1 AND pathway_id = $2 AND referral_id IS NULL`, [
    ref.ods,
    ref.pathwayId,
    ref.referralId,
  ]);
}

/** As the worklist shows a referral's patient (referral-views.ts): identifiers, no contact details. */
function entryView(r: EntryRow, now: Date, caller: Caller) {
  const weeks = weeksWaited(r.rtt_clock_start, now);
  const patient =
    caller.role === 'patient'
      ? { givenName: r.given_name, familyName: r.family_name }
      : { nhsNumber: r.nhs_number, familyName: r.family_name, givenName: r.given_name, dateOfBirth: isoDate(r.date_of_birth) };
  return {
    id: r.id,
    pathwayId: r.pathway_id,
    specialtyCode: r.specialty_code,
    procedureCode: r.procedure_code,
    priority: r.priority,
    rttClockStart: isoDate(r.rtt_clock_start),
    nextAppointmentDate: r.next_appointment_date ? isoDate(r.next_appointment_date) : null,
    weeksWaited: weeks,
    cohortBand: cohortBand(weeks),
    patient,
  };
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A date that exists (2026-02-31 would reach Postgres and fail there), and an id.
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && parseIsoDate(v[0]) && typeof v[1] === 'string' && isUuid(v[1])) return [v[0], v[1]];
  } catch {}
  throw new BusinessRuleError('The cursor is not valid: use nextCursor from the previous page', { field: 'cursor' });
}
