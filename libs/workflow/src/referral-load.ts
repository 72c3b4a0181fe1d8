// The referral a workflow step works on, with its patient, read in the step's transaction: by a
// person's command (scoped to what the caller may see) or by an automated step (unscoped).
import type { ReferralStatus } from '#domain';
import { SqlParams } from '#persistence';
import type { Caller } from '#auth';
import { visibleToSql } from './referral-scope.js';
import type { ReferralRef, Tx } from './referral-transition.js';

export interface LoadedReferral extends ReferralRef {
  readonly needsAttention: boolean;
  readonly originOds: string;
  readonly receivingOds: string | null;
  readonly specialtyCode: string;
  readonly procedureCode: string;
  readonly pathwayId: string;
  readonly priority: string;
  readonly rttClockStart: Date;
  readonly rttClockStop: Date | null;
  readonly nextAppointmentDate: Date | null;
  readonly tertiary: boolean;
  readonly travelRadiusMiles: number | null;
  readonly patient: {
    readonly nhsNumber: string;
    readonly familyName: string;
    readonly givenName: string;
    readonly dateOfBirth: Date;
    readonly postcode: string;
    readonly gpPracticeOds: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly contactPreference: string | null;
  };
}

/** The referral and its patient; null when there is none (or, with `caller`, none they may see). */
/** `lock`: the row is locked until the transaction ends, so no stage change can commit in between. */
export async function loadReferral(tx: Tx, id: string, caller?: Caller, opts: { lock?: boolean } = {}): Promise<LoadedReferral | null> {
  const p = new SqlParams();
  const { rows } = await tx.query<Record<string, never>>(
    `SELECT r.id, r.status, r.version, r.needs_attention, r.origin_ods, r.receiving_ods, r.specialty_code, r.procedure_code,
            r.pathway_id, r.priority, r.rtt_clock_start, r.rtt_clock_stop, r.next_appointment_date, r.tertiary, r.travel_radius_miles,
            p.nhs_number, p.family_name, p.given_name, p.date_of_birth, p.postcode, p.gp_practice_ods, p.email, p.phone, p.contact_preference
     FROM referral r JOIN patient p ON p.id = r.patient_id
     WHERE r.id = ${p.add(id)}::uuid${caller ? ` AND ${visibleToSql(caller, p)}` : ''}${opts.lock ? ' FOR UPDATE OF r' : ''}`,
    p.values,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    status: r.status as ReferralStatus,
    version: r.version,
    needsAttention: r.needs_attention,
    originOds: r.origin_ods,
    receivingOds: r.receiving_ods,
    specialtyCode: r.specialty_code,
    procedureCode: r.procedure_code,
    pathwayId: r.pathway_id,
    priority: r.priority,
    rttClockStart: r.rtt_clock_start,
    rttClockStop: r.rtt_clock_stop,
    nextAppointmentDate: r.next_appointment_date,
    tertiary: r.tertiary,
    travelRadiusMiles: r.travel_radius_miles,
    patient: {
      nhsNumber: r.nhs_number,
      familyName: r.family_name,
      givenName: r.given_name,
      dateOfBirth: r.date_of_birth,
      postcode: r.postcode,
      gpPracticeOds: r.gp_practice_ods,
      email: r.email,
      phone: r.phone,
      contactPreference: r.contact_preference,
    },
  };
}
