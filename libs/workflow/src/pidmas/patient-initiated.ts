// Patient-initiated mutual aid (NHS England's PIDMAS): a trust invites a cohort of its long-waiters,
// each patient opts in or says no on a page of ours, a clinician of the trust checks that moving is
// clinically and socially appropriate, and an opt-in found suitable becomes a referral on the usual
// path (screening, offers, consent...), or, when nothing in the group is within the patient's
// radius (at the check, or when screening finds none in the group), waits on the "no capacity" list
// the trust takes to the regional matching system.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { ageInYears, isoDate, latestClockStartFor, REASON_CODE, ukDate, weeksWaited, type ScreeningReason } from '#domain';
import { PrismaService } from '#persistence';
import type { Caller } from '#auth';
import type { OutboxJob } from '#queue';
import { writeOutbox } from '../outbox/outbox.js';
import { OfferMatcher } from '../offer-matcher.js';
import { OpenReferral } from '../referral/open-referral.js';
import { LongWaiters } from '../waiting-list/long-waiters.js';
import { normaliseName } from '../patient-record.js';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError } from '../workflow-errors.js';
import type { Tx } from '../referral-transition.js';

/** How far the patient will travel: 50 or 100 miles, or anywhere in England (null). */
export const OPT_IN_RADII = [50, 100, null] as const;
export type OptInRadius = (typeof OPT_IN_RADII)[number];
/** Wrong dates of birth before an invitation's link locks (as the offer link's). */
export const OPT_IN_MAX_FAILED_ATTEMPTS = 5;
export const INVITATION_CHANNELS = ['sms', 'email', 'letter'] as const;
export type InvitationChannel = (typeof INVITATION_CHANNELS)[number];

export interface CohortInput {
  readonly specialtyCode: string;
  readonly minWeeks: number;
}

export interface InvitationContact {
  readonly phone: string | null;
  readonly email: string | null;
  readonly address: string | null;
}

/**
 * The channel an invitation goes by: an SMS where the trust holds a mobile number (PIDMAS is an SMS
 * programme first), else email, else a letter to the address; null when the trust holds none of them.
 */
export function invitationChannel(c: InvitationContact): InvitationChannel | null {
  if (c.phone) return 'sms';
  if (c.email) return 'email';
  if (c.address) return 'letter';
  return null;
}

/**
 * SQL of the contact details the trust holds for an entry `e` (as lateral `p`): those of its latest
 * referral for the same NHS number and date of birth. The waiting-list extract carries none; the
 * family name is compared in code (normaliseName), as POST /v1/referrals {waitingListEntryId} does.
 */
export const ENTRY_CONTACT_SQL = `LEFT JOIN LATERAL (
    SELECT p.address, p.phone, p.email, p.family_name FROM patient p JOIN referral r ON r.patient_id = p.id
    WHERE p.nhs_number = e.nhs_number AND r.origin_ods = e.origin_ods AND p.date_of_birth = e.date_of_birth
    ORDER BY p.created_at DESC LIMIT 1) p ON true`;

interface ContactRow {
  family_name: string;
  known_family_name: string | null;
  address: string | null;
  phone: string | null;
  email: string | null;
}

/** The contact details of the same person (the family name agrees), else none. */
export function contactOf(r: ContactRow): InvitationContact {
  const same = r.known_family_name !== null && normaliseName(r.known_family_name) === normaliseName(r.family_name);
  return same ? { phone: r.phone, email: r.email, address: r.address } : { phone: null, email: null, address: null };
}

export interface OptInRow {
  id: string;
  cohort_id: string;
  entry_id: string;
  origin_ods: string;
  nhs_number: string;
  family_name: string;
  given_name: string;
  date_of_birth: Date;
  postcode: string;
  specialty_code: string;
  procedure_code: string;
  rtt_clock_start: Date;
  priority: string;
  pathway_id: string;
  travel_radius_miles: number | null;
  requirements: string | null;
  answered_at: Date;
  review: string | null;
  review_reason: string | null;
  reviewed_at: Date | null;
  referral_id: string | null;
}

const OPT_IN_COLUMNS = `i.id::text AS id, i.cohort_id::text AS cohort_id, i.entry_id::text AS entry_id, i.origin_ods, e.nhs_number, e.family_name, e.given_name, e.date_of_birth,
  e.postcode, e.specialty_code, e.procedure_code, e.rtt_clock_start, e.priority, e.pathway_id, i.travel_radius_miles, i.requirements, i.answered_at,
  i.review, i.review_reason, i.reviewed_at, i.referral_id::text AS referral_id`;

export type OptInList = 'awaiting_review' | 'no_capacity';

/**
 * Screening closed the referral opened from an opt-in for want of capacity alone (NO_GROUP_CAPACITY,
 * nothing else failed): capacity went between the clinician's check and screening. The opt-in then
 * joins the "no capacity" list, as if the check had found none, keeping the closed referral's id (the
 * list shows it; the CSV for the regional matching system does not need it). Called in the screening
 * transaction, so the list and the referral's status never disagree. Another reason (a rule of the
 * pathway) means the patient is not for moving at all: the opt-in stays as it was.
 */
export async function noCapacityAfterScreening(tx: Tx, referralId: string, reasons: readonly ScreeningReason[]): Promise<void> {
  if (reasons.length === 0 || reasons.some((r) => r.code !== 'NO_GROUP_CAPACITY')) return;
  await tx.query(
    `UPDATE pidmas_invitation SET review = 'no_capacity', review_reason = 'NO_GROUP_CAPACITY', updated_at = now() WHERE referral_id = $1::uuid AND review = 'suitable'`,
    [referralId],
  );
}

/** What the patient's page needs of an invitation (identification for the date-of-birth check; nothing else of theirs). */
export interface InvitationLink {
  readonly id: string;
  readonly dateOfBirth: string;
  readonly failedAttempts: number;
  readonly answer: 'opted_in' | 'declined' | null;
  readonly travelRadiusMiles: number | null;
  /** The entry is still open and not referred: an answer can still be given. */
  readonly entryOpen: boolean;
  readonly originName: string;
  readonly bookingPhone: string | null;
}

export interface OptInAnswer {
  readonly answer: 'opted_in' | 'declined';
  readonly travelRadiusMiles?: OptInRadius;
  readonly requirements?: string | null;
}

export interface OptInReview {
  readonly decision: 'suitable' | 'not_suitable';
  readonly reasonCode?: string;
}

@Injectable()
export class PatientInitiated {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
    private readonly openReferral: OpenReferral,
    private readonly longWaiters: LongWaiters,
  ) {}

  // ---------- 1. cohort invitations (the trust's booking team or admin) ----------

  /**
   * Invites a cohort: the trust's open, unreferred entries of the specialty that have waited at least
   * minWeeks. Choosing the same cohort again finds its row, and an entry already invited for it is
   * not invited again (a unique key on cohort and entry, so two people inviting at once send once).
   * Entries whose patient the trust holds no contact details for are counted, not invited.
   */
  async invite(caller: Caller, input: CohortInput, now = new Date()) {
    const ods = caller.ods ?? '';
    const cut = latestClockStartFor(input.minWeeks, ukDate(now));
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: cohort } = await tx.query<{ id: string }>(
        `INSERT INTO pidmas_cohort (id, origin_ods, specialty_code, min_weeks, created_by) VALUES ($1::uuid, $2, $3, $4, $5)
         ON CONFLICT (origin_ods, specialty_code, min_weeks) DO UPDATE SET origin_ods = EXCLUDED.origin_ods RETURNING id::text AS id`,
        [randomUUID(), ods, input.specialtyCode, input.minWeeks, caller.sub],
      );
      const cohortId = cohort[0].id;
      const { rows } = await tx.query<ContactRow & { id: string; invited: boolean }>(
        `SELECT e.id::text AS id, e.family_name, p.family_name AS known_family_name, p.address, p.phone, p.email,
                EXISTS (SELECT 1 FROM pidmas_invitation i WHERE i.cohort_id = $4::uuid AND i.entry_id = e.id) AS invited
         FROM waiting_list_entry e ${ENTRY_CONTACT_SQL}
         WHERE e.origin_ods = $1 AND e.status = 'open' AND e.referral_id IS NULL AND e.specialty_code = $2 AND e.rtt_clock_start <= $3::date
         ORDER BY e.rtt_clock_start, e.priority, e.id`,
        [ods, input.specialtyCode, isoDate(cut), cohortId],
      );
      const fresh: Array<{ id: string; channel: InvitationChannel }> = [];
      let noContactDetails = 0;
      for (const r of rows) {
        if (r.invited) continue;
        const channel = invitationChannel(contactOf(r));
        if (channel) fresh.push({ id: r.id, channel });
        else noContactDetails++;
      }
      const { rows: inserted } = await tx.query<{ id: string }>(
        `INSERT INTO pidmas_invitation (id, cohort_id, entry_id, origin_ods, channel)
         SELECT x.id, $1::uuid, x.entry_id, $2, x.channel FROM unnest($3::uuid[], $4::uuid[], $5::text[]) AS x(id, entry_id, channel)
         ON CONFLICT (cohort_id, entry_id) DO NOTHING RETURNING id::text AS id`,
        [cohortId, ods, fresh.map(() => randomUUID()), fresh.map((f) => f.id), fresh.map((f) => f.channel)],
      );
      const jobs: OutboxJob[] = inserted.map((r) => ({
        name: 'pidmas-invitation.send',
        payload: { invitationId: r.id },
        jobId: `pidmas-invitation.send.${r.id}`,
      }));
      await writeOutbox(tx, null, jobs);
      return {
        cohortId,
        specialtyCode: input.specialtyCode,
        minWeeks: input.minWeeks,
        cohortSize: rows.length,
        invited: inserted.length,
        alreadyInvited: rows.filter((r) => r.invited).length + (fresh.length - inserted.length),
        noContactDetails,
      };
    });
  }

  /** The trust's cohorts, newest first, with how many were invited, sent, answered each way and reviewed. */
  async cohorts(caller: Caller) {
    const { rows } = await this.prisma.sql.query<{
      id: string;
      specialty_code: string;
      min_weeks: number;
      created_at: Date;
      invited: number;
      sent: number;
      failed: number;
      opted_in: number;
      declined: number;
      referred: number;
      no_capacity: number;
    }>(
      `SELECT c.id::text AS id, c.specialty_code, c.min_weeks, c.created_at,
              count(i.id)::int AS invited,
              count(i.id) FILTER (WHERE i.status IN ('sending', 'delivered'))::int AS sent,
              count(i.id) FILTER (WHERE i.status LIKE '%failure')::int AS failed,
              count(i.id) FILTER (WHERE i.answer = 'opted_in')::int AS opted_in,
              count(i.id) FILTER (WHERE i.answer = 'declined')::int AS declined,
              count(i.id) FILTER (WHERE i.review = 'suitable')::int AS referred,
              count(i.id) FILTER (WHERE i.review = 'no_capacity')::int AS no_capacity
       FROM pidmas_cohort c LEFT JOIN pidmas_invitation i ON i.cohort_id = c.id
       WHERE c.origin_ods = $1 GROUP BY c.id ORDER BY c.created_at DESC, c.id LIMIT 200`,
      [caller.ods ?? ''],
    );
    return rows.map((r) => ({
      id: r.id,
      specialtyCode: r.specialty_code,
      minWeeks: r.min_weeks,
      createdAt: r.created_at.toISOString(),
      invited: r.invited,
      sent: r.sent,
      failed: r.failed,
      optedIn: r.opted_in,
      declined: r.declined,
      referred: r.referred,
      noCapacity: r.no_capacity,
    }));
  }

  // ---------- 2. the patient's answer (the opt-in page) ----------

  async link(invitationId: string): Promise<InvitationLink | null> {
    const { rows } = await this.prisma.sql.query<{
      id: string;
      dob: string;
      failed_attempts: number;
      answer: 'opted_in' | 'declined' | null;
      travel_radius_miles: number | null;
      entry_open: boolean;
      origin_name: string;
      booking_phone: string | null;
    }>(
      `SELECT i.id::text AS id, e.date_of_birth::text AS dob, i.failed_attempts, i.answer, i.travel_radius_miles,
              (e.status = 'open' AND (e.referral_id IS NULL OR e.referral_id = i.referral_id)) AS entry_open, t.name AS origin_name, t.booking_phone
       FROM pidmas_invitation i JOIN waiting_list_entry e ON e.id = i.entry_id JOIN trust t ON t.ods = i.origin_ods WHERE i.id = $1::uuid`,
      [invitationId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      dateOfBirth: r.dob,
      failedAttempts: r.failed_attempts,
      answer: r.answer,
      travelRadiusMiles: r.travel_radius_miles,
      entryOpen: r.entry_open,
      originName: r.origin_name,
      bookingPhone: r.booking_phone,
    };
  }

  /** A wrong date of birth: the tries left before the link locks (0: locked now). */
  async recordFailedAttempt(invitationId: string): Promise<number> {
    const { rows } = await this.prisma.sql.query<{ failed_attempts: number }>(
      'UPDATE pidmas_invitation SET failed_attempts = failed_attempts + 1, updated_at = now() WHERE id = $1::uuid RETURNING failed_attempts',
      [invitationId],
    );
    return Math.max(0, OPT_IN_MAX_FAILED_ATTEMPTS - (rows[0]?.failed_attempts ?? OPT_IN_MAX_FAILED_ATTEMPTS));
  }

  /** The patient's answer, once: a second answer (another tab, a repeat submit) changes nothing and says so (false). */
  async answer(invitationId: string, a: OptInAnswer): Promise<boolean> {
    if (a.answer === 'opted_in' && a.travelRadiusMiles === undefined)
      throw new BusinessRuleError('Choose how far you would travel', { field: 'travelRadiusMiles' });
    const { rowCount } = await this.prisma.sql.query(
      `UPDATE pidmas_invitation SET answer = $2, travel_radius_miles = $3, requirements = $4, answered_at = now(), updated_at = now()
       WHERE id = $1::uuid AND answer IS NULL`,
      [invitationId, a.answer, a.answer === 'opted_in' ? a.travelRadiusMiles : null, a.answer === 'opted_in' ? a.requirements || null : null],
    );
    return rowCount === 1;
  }

  // ---------- 3. the clinician's check, and 4. capacity in the group ----------

  /** Opt-ins awaiting a clinician's check, oldest answer first; or those found suitable with no capacity in reach. */
  async optIns(caller: Caller, list: OptInList, limit = 500): Promise<OptInRow[]> {
    const { rows } = await this.prisma.sql.query<OptInRow>(
      `SELECT ${OPT_IN_COLUMNS} FROM pidmas_invitation i JOIN waiting_list_entry e ON e.id = i.entry_id
       WHERE i.origin_ods = $1 AND i.answer = 'opted_in' AND i.review IS NOT DISTINCT FROM $2
       ORDER BY i.answered_at, i.id LIMIT $3`,
      [caller.ods ?? '', list === 'no_capacity' ? 'no_capacity' : null, limit],
    );
    return rows;
  }

  /**
   * The clinician's check of an opt-in. Not suitable: with a coded reason (the patient stays on their
   * list). Suitable: the group's capacity is matched within the patient's radius as the offer matcher
   * would; with none, the opt-in goes on the "no capacity" list; with some, a referral is opened from
   * the waiting-list entry with the patient's radius, in the same transaction that records the check.
   */
  async review(caller: Caller, invitationId: string, input: OptInReview, now = new Date()) {
    const row = await this.loadForReview(caller, invitationId);
    if (input.decision === 'not_suitable') {
      const code = input.reasonCode ?? '';
      if (!REASON_CODE.test(code)) throw new BusinessRuleError('A reason code is needed when moving is not suitable', { field: 'reasonCode' });
      await this.recordReview(this.prisma.sql, caller, invitationId, 'not_suitable', code);
      return { id: invitationId, review: 'not_suitable' as const, reasonCode: code, referralId: null };
    }
    const today = ukDate(now);
    const matched = await this.prisma.sqlTransaction((tx) =>
      this.offers.match(
        tx,
        {
          originOds: row.origin_ods,
          specialtyCode: row.specialty_code,
          postcode: row.postcode,
          travelRadiusMiles: row.travel_radius_miles,
          facts: { procedureCode: row.procedure_code, ageYears: ageInYears(row.date_of_birth, today), bmi: null, asaGrade: null },
        },
        now,
      ),
    );
    // An unknown home has no distance: the offer matcher offers every site then, so a radius cannot be kept.
    const inReach = matched.filter((o) => row.travel_radius_miles === null || (o.distanceMiles !== null && o.distanceMiles <= row.travel_radius_miles));
    if (inReach.length === 0) {
      await this.recordReview(this.prisma.sql, caller, invitationId, 'no_capacity', null);
      return { id: invitationId, review: 'no_capacity' as const, reasonCode: null, referralId: null };
    }
    const input2 = await this.longWaiters.referralFromEntry(caller, row.entry_id);
    const opened = await this.openReferral.open(caller, input2, null, {
      waitingListEntryId: row.entry_id,
      travelRadiusMiles: row.travel_radius_miles,
      within: (tx, referralId) => this.recordReview(tx, caller, invitationId, 'suitable', null, referralId),
    });
    return { id: invitationId, review: 'suitable' as const, reasonCode: null, referralId: opened.referralId };
  }

  /** Opt-ins found suitable with no capacity in reach, as CSV for the regional matching system. */
  async noCapacityCsv(caller: Caller, now = new Date()): Promise<string> {
    const rows = await this.optIns(caller, 'no_capacity', 100_000);
    const today = ukDate(now);
    const header = [
      'nhs_number',
      'family_name',
      'given_name',
      'date_of_birth',
      'postcode',
      'origin_ods',
      'pathway_id',
      'specialty_code',
      'procedure_code',
      'priority',
      'rtt_clock_start',
      'weeks_waited',
      'travel_radius',
      'opted_in_on',
      'found_suitable_on',
    ];
    const lines = rows.map((r) => [
      r.nhs_number,
      r.family_name,
      r.given_name,
      isoDate(r.date_of_birth),
      r.postcode,
      r.origin_ods,
      r.pathway_id,
      r.specialty_code,
      r.procedure_code,
      r.priority,
      isoDate(r.rtt_clock_start),
      String(weeksWaited(r.rtt_clock_start, today)),
      r.travel_radius_miles === null ? 'anywhere in England' : `${r.travel_radius_miles} miles`,
      isoDate(r.answered_at),
      r.reviewed_at ? isoDate(r.reviewed_at) : '',
    ]);
    // A spreadsheet opening the file must not run a cell as a formula (escape_formulas).
    return stringify([header, ...lines], { escape_formulas: true, record_delimiter: '\r\n' });
  }

  private async loadForReview(caller: Caller, invitationId: string): Promise<OptInRow> {
    const { rows } = await this.prisma.sql.query<OptInRow>(
      `SELECT ${OPT_IN_COLUMNS} FROM pidmas_invitation i JOIN waiting_list_entry e ON e.id = i.entry_id WHERE i.id = $1::uuid AND i.origin_ods = $2`,
      [invitationId, caller.ods ?? ''],
    );
    const row = rows[0];
    // Another trust's opt-in is not found, as another trust's referral is not.
    if (!row) throw new ReferralNotFoundError('Opt-in');
    if (row.review !== null) throw new DuplicateError(`This opt-in was already checked (${row.review})`, { field: 'decision' });
    return row;
  }

  /** Records the check once: a second clinician's check of the same opt-in is refused (409), the first stands. */
  private async recordReview(tx: Tx, caller: Caller, invitationId: string, review: string, reason: string | null, referralId: string | null = null) {
    const { rowCount } = await tx.query(
      `UPDATE pidmas_invitation SET review = $2, review_reason = $3, reviewed_by_sub = $4, reviewed_by_name = $5, reviewed_at = now(), referral_id = $6::uuid, updated_at = now()
       WHERE id = $1::uuid AND answer = 'opted_in' AND review IS NULL`,
      [invitationId, review, reason, caller.sub, caller.name ?? null, referralId],
    );
    if (rowCount !== 1) throw new DuplicateError('This opt-in was already checked by someone else', { field: 'decision' });
  }
}
