// Stage 1, identification: the referring trust opens a referral (from its fields or a waiting-list
// entry), once per Idempotency-Key; screening starts as a job.
import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DEFAULT_DIRECTION, FINAL_STATUSES, isoDate, OPENED_STATUS, type NewReferral, type ReferralStatus } from '#domain';
import { isUniqueViolation, PrismaService, type SqlRunner } from '#persistence';
import { outboxJob } from '#queue';
import { writeOutbox } from '../outbox/outbox.js';
import { BusinessRuleError, DuplicateError } from '../workflow-errors.js';
import { raiseTask } from '../tasks.js';
import { linkWaitingListEntry } from '../waiting-list/long-waiters.js';
import { DemographicsCheck, insertPatient } from '../patient-record.js';
import { appendEvent } from '../referral-transition.js';
import { actorOf, type Caller } from '#auth';
import { requireValidClinicalInformation, writeClinicalInformation } from './clinical-package.js';

export interface CreateResult {
  readonly referralId: string;
  /** True when an Idempotency-Key repeat returned the first result. */
  readonly replayed: boolean;
  /** The new referral's status and version (a replay leaves it out: the referral may have moved on). */
  readonly state?: { readonly id: string; readonly status: ReferralStatus; readonly version: number };
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

@Injectable()
export class OpenReferral {
  constructor(
    private readonly prisma: PrismaService,
    private readonly demographics: DemographicsCheck,
  ) {}

  /**
   * `waitingListEntryId`: opened from that entry of the caller's trust (which then records the referral).
   * `travelRadiusMiles`: the patient's radius, known at opening (a patient-initiated opt-in's).
   * `within`: a write of the caller's that stands or falls with the opening (the opt-in's check).
   */
  async open(
    caller: Caller,
    input: NewReferral,
    idempotencyKey: string | null,
    opts: { waitingListEntryId?: string; travelRadiusMiles?: number | null; within?: (tx: SqlRunner, referralId: string) => Promise<void> } = {},
  ): Promise<CreateResult> {
    const ods = caller.ods!;
    if (input.rttClockStart < input.patient.dateOfBirth) {
      throw new BusinessRuleError('The RTT clock cannot start before the patient was born', { field: 'rttClockStart' });
    }
    if (input.clinicalInformation) requireValidClinicalInformation(input.clinicalInformation);
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    if (idempotencyKey) {
      // Keys are kept for 24 hours; after that the same key starts afresh. The expired record goes and a
      // live one is read in one statement (both see the same snapshot, so the read names only a live one).
      const { rows } = await this.prisma.sql.query<{ requestHash: string; referralId: string }>(
        `WITH expired AS (DELETE FROM idempotency_record WHERE ods = $1 AND key = $2 AND created_at < $3)
         SELECT request_hash AS "requestHash", referral_id AS "referralId" FROM idempotency_record WHERE ods = $1 AND key = $2 AND created_at >= $3`,
        [ods, idempotencyKey, new Date(Date.now() - IDEMPOTENCY_TTL_MS)],
      );
      if (rows[0]) return this.replay(rows[0], requestHash);
    }
    try {
      return await this.prisma.sqlTransaction(async (tx) => {
        // The patient is recorded with this referral only. An NHS number the trust already holds
        // under another family name or date of birth is not overwritten: the referral is opened and
        // its booking team asked to check (a PDS trace would settle it; see DemographicsCheck).
        const identity = await this.demographics.check(tx, ods, input.patient);
        const patientId = await insertPatient(tx, input.patient, identity.mismatched.length ? null : identity.known);
        const referralId = randomUUID();
        const { rows } = await tx.query<{ event_id: string }>(
          `WITH r AS (
             INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, next_appointment_date, tertiary, status, updated_at, direction, travel_radius_miles)
             VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::date, $7, $8, $9::date, $10, $15::"ReferralStatus", now(), $17, $18::int) RETURNING id)
           INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, actor_name, detail)
           SELECT id, 'referral_opened', NULL, $15::"ReferralStatus", $11, $12, $13, $16, $14::jsonb FROM r RETURNING id::text AS event_id`,
          [
            referralId,
            patientId,
            ods,
            input.specialtyCode,
            input.procedureCode,
            isoDate(input.rttClockStart),
            input.pathwayId,
            input.priority,
            input.nextAppointmentDate ? isoDate(input.nextAppointmentDate) : null,
            input.tertiary ?? false,
            caller.sub,
            caller.role,
            caller.ods,
            JSON.stringify({
              pathwayId: input.pathwayId,
              rttClockStart: isoDate(input.rttClockStart),
              direction: input.direction ?? DEFAULT_DIRECTION,
              ...(identity.mismatched.length ? { demographicsMismatch: identity.mismatched } : {}),
            }),
            OPENED_STATUS,
            caller.name ?? null,
            input.direction ?? DEFAULT_DIRECTION,
            opts.travelRadiusMiles ?? null,
          ],
        );
        if (identity.mismatched.length) {
          await raiseTask(tx, {
            trustOds: ods,
            team: 'booking',
            kind: 'demographics_mismatch',
            referralId,
            key: `demographics_mismatch:${referralId}`,
            detail: { fields: identity.mismatched },
          });
        }
        if (input.clinicalInformation) {
          // Its own event, naming the fields given (never their values), as every later change does.
          const fields = await writeClinicalInformation(tx, referralId, input.clinicalInformation, caller.sub);
          if (fields.length) await appendEvent(tx, referralId, OPENED_STATUS, 'clinical_information_updated', actorOf(caller), { fields });
        }
        await writeOutbox(tx, referralId, [outboxJob('referral.screen', { referralId }, rows[0].event_id)]);
        await linkWaitingListEntry(tx, { ods, pathwayId: input.pathwayId, referralId, entryId: opts.waitingListEntryId });
        if (opts.within) await opts.within(tx, referralId);
        if (idempotencyKey) {
          await tx.query('INSERT INTO idempotency_record (ods, key, request_hash, referral_id) VALUES ($1, $2, $3, $4::uuid)', [
            ods,
            idempotencyKey,
            requestHash,
            referralId,
          ]);
        }
        // version: the column's default; nothing else has seen the row yet.
        return { referralId, replayed: false, state: { id: referralId, status: OPENED_STATUS, version: 1 } };
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        // A concurrent repeat with the same key may collide on the pathway or on the key:
        // either way, once the first has committed its record answers for both.
        if (idempotencyKey) {
          const prior = await this.idempotencyRecord(ods, idempotencyKey);
          if (prior) return this.replay(prior, requestHash);
        }
        const { rows } = await this.prisma.sql.query<{ id: string; status: string }>(
          `SELECT id, status FROM referral WHERE origin_ods = $1 AND pathway_id = $2 AND status <> ALL($3::"ReferralStatus"[]) LIMIT 1`,
          [ods, input.pathwayId, [...FINAL_STATUSES]],
        );
        const open = rows[0];
        if (open) {
          throw new DuplicateError(`Pathway ${input.pathwayId} already has an open referral (${open.id}, ${open.status})`, {
            field: 'pathwayId',
            referralId: open.id,
          });
        }
      }
      throw e;
    }
  }

  private async idempotencyRecord(ods: string, key: string): Promise<{ requestHash: string; referralId: string } | undefined> {
    const { rows } = await this.prisma.sql.query<{ requestHash: string; referralId: string }>(
      'SELECT request_hash AS "requestHash", referral_id AS "referralId" FROM idempotency_record WHERE ods = $1 AND key = $2',
      [ods, key],
    );
    return rows[0];
  }

  private replay(prior: { requestHash: string; referralId: string }, requestHash: string): CreateResult {
    if (prior.requestHash !== requestHash) {
      throw new BusinessRuleError('This Idempotency-Key was already used with a different request body', { field: 'Idempotency-Key' });
    }
    return { referralId: prior.referralId, replayed: true };
  }
}
