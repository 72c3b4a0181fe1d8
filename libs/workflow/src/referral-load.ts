// The referral a workflow step works on, with its patient, read in the step's transaction: by a
// person's command (scoped to what the caller may see) or by an automated step (unscoped).
import { SqlParams } from '#persistence';
import type { Caller } from '#auth';
import { visibleToSql } from './referral-scope.js';
import { PATIENT_ALL, patientColumns, referralColumns, withPatient, type PatientRow, type ReferralRow, type ReferralWithPatient } from './referral-row.js';
import type { Tx } from './referral-transition.js';

/** The referral row, its patient, and what screening reads besides. */
export type LoadedReferral = ReferralWithPatient<(typeof PATIENT_ALL)[number]> & {
  readonly nextAppointmentDate: Date | null;
  readonly tertiary: boolean;
};

/**
 * The referral and its patient; null when there is none (or, with `caller`, none they may see).
 * `lock`: the row is locked until the transaction ends, so no stage change can commit in between.
 */
export async function loadReferral(tx: Tx, id: string, caller?: Caller, opts: { lock?: boolean } = {}): Promise<LoadedReferral | null> {
  const p = new SqlParams();
  const { rows } = await tx.query<ReferralRow & PatientRow & { nextAppointmentDate: Date | null; tertiary: boolean }>(
    `SELECT ${referralColumns()}, r.next_appointment_date AS "nextAppointmentDate", r.tertiary, ${patientColumns(PATIENT_ALL)}
     FROM referral r JOIN patient p ON p.id = r.patient_id
     WHERE r.id = ${p.add(id)}::uuid${caller ? ` AND ${visibleToSql(caller, p)}` : ''}${opts.lock ? ' FOR UPDATE OF r' : ''}`,
    p.values,
  );
  const r = rows[0];
  if (!r) return null;
  return { ...withPatient(r, PATIENT_ALL), nextAppointmentDate: r.nextAppointmentDate, tertiary: r.tertiary };
}
