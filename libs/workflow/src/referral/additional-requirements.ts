// The patient's additional requirements on a referral: read (with who the patient is, nothing
// clinical) and recorded whole, by the patient on the offer page or by the staff of the trust that
// holds their care at this stage. The timeline names the fields changed, never their values.
import { Injectable } from '@nestjs/common';
import {
  changedRequirements,
  isFinal,
  isoDate,
  NO_REQUIREMENTS,
  STATUS_DESCRIPTIONS,
  TransitionConflictError,
  type AdditionalRequirements,
  type RequirementField,
} from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { appendEvent } from '../referral-transition.js';
import { requireSide, visibleToSql } from '../referral-scope.js';
import { ConcurrentChangeError, ReferralNotFoundError } from '../workflow-errors.js';
import { requirementsView, type StoredRequirements } from '../referral-views.js';
import { loadVisible } from './referral-step.js';
import type { Tx } from '../referral-transition.js';

/** The stored record as SQL reads it into JSON (the referral aliased `r`): null when none was recorded. */
export const storedRequirementsSql = (r = 'r') =>
  `(SELECT json_build_object('value', a.requirements, 'role', a.recorded_by_role, 'ods', a.recorded_by_ods, 'updatedAt', a.updated_at)
    FROM additional_requirement a WHERE a.referral_id = ${r}.id)`;

/** The record as kept (none recorded: null), read in a step's transaction. */
export async function loadRequirements(tx: Tx, referralId: string): Promise<AdditionalRequirements | null> {
  const { rows } = await tx.query<{ requirements: AdditionalRequirements }>('SELECT requirements FROM additional_requirement WHERE referral_id = $1::uuid', [
    referralId,
  ]);
  return rows[0] ? { ...NO_REQUIREMENTS, ...rows[0].requirements } : null;
}

@Injectable()
export class AdditionalRequirementsRecord {
  constructor(private readonly prisma: PrismaService) {}

  /** The referral's identification and the patient's additional requirements (what the additional requirements manager reads). */
  async read(caller: Caller, id: string) {
    const p = new SqlParams();
    const { rows } = await this.prisma.sql.query<{
      id: string;
      status: keyof typeof STATUS_DESCRIPTIONS;
      originOds: string;
      receivingOds: string | null;
      pathwayId: string;
      nhsNumber: string;
      familyName: string;
      givenName: string;
      dateOfBirth: Date;
      stored: StoredRequirements | null;
    }>(
      `SELECT r.id, r.status, r.origin_ods AS "originOds", r.receiving_ods AS "receivingOds", r.pathway_id AS "pathwayId",
              p.nhs_number AS "nhsNumber", p.family_name AS "familyName", p.given_name AS "givenName", p.date_of_birth AS "dateOfBirth",
              ${storedRequirementsSql()} AS stored
       FROM referral r JOIN patient p ON p.id = r.patient_id
       WHERE r.id = ${p.add(id)}::uuid AND ${visibleToSql(caller, p)}`,
      p.values,
    );
    const r = rows[0];
    if (!r) throw new ReferralNotFoundError();
    return {
      referralId: r.id,
      status: r.status,
      statusDescription: STATUS_DESCRIPTIONS[r.status],
      originOds: r.originOds,
      receivingOds: r.receivingOds,
      pathwayId: r.pathwayId,
      patient: { nhsNumber: r.nhsNumber, familyName: r.familyName, givenName: r.givenName, dateOfBirth: isoDate(r.dateOfBirth) },
      additionalRequirements: requirementsView(r.stored),
    };
  }

  /**
   * Replaces the record. Staff: of the trust that holds the referral now (PERMISSION_SIDES 'owner');
   * the patient: their own referral. A closed referral is not changed (409). Nothing changed: no
   * event, no new version.
   */
  async record(caller: Caller, id: string, value: AdditionalRequirements): Promise<{ changed: RequirementField[] }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'additional-requirements.write', "record the patient's additional requirements");
      if (isFinal(ref.status))
        throw new TransitionConflictError(
          `The referral is closed (${STATUS_DESCRIPTIONS[ref.status]}): its additional requirements can no longer be changed`,
          ref.status,
        );
      const before = (await loadRequirements(tx, id)) ?? NO_REQUIREMENTS;
      const changed = changedRequirements(before, value);
      if (changed.length === 0) return { changed };
      await tx.query(
        `INSERT INTO additional_requirement (referral_id, requirements, recorded_by_role, recorded_by_ods, updated_at)
         VALUES ($1::uuid, $2::jsonb, $3, $4, now())
         ON CONFLICT (referral_id) DO UPDATE SET requirements = EXCLUDED.requirements, recorded_by_role = EXCLUDED.recorded_by_role,
           recorded_by_ods = EXCLUDED.recorded_by_ods, updated_at = now()`,
        [id, JSON.stringify(value), caller.role, caller.ods ?? null],
      );
      const updated = await tx.query('UPDATE referral SET version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      await appendEvent(tx, id, ref.status, 'additional_requirements_updated', actorOf(caller), { fields: changed });
      return { changed };
    });
  }
}
