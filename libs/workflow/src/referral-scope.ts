// Trust scoping: every referral query is written through visibleTo(caller), below the controllers.
import type { Prisma } from '#prisma-client';
import type { Caller } from '#auth';
import type { SqlParams } from '#persistence';
import { WrongSideError } from './workflow-errors.js';

/** Staff see referrals their trust is origin or receiver of; patients see their own. */
export function visibleTo(caller: Caller): Prisma.ReferralWhereInput {
  if (caller.role === 'patient') return { patient: { nhsNumber: caller.nhsNumber ?? '\u0000' } };
  const ods = caller.ods ?? '\u0000';
  return { OR: [{ originOds: ods }, { receivingOds: ods }] };
}

export type Side = 'origin' | 'receiving';

/** Refuses an action by staff of the trust on the other side of the referral. */
export function requireSide(caller: Caller, ref: { originOds: string; receivingOds: string | null }, side: Side, what: string): void {
  if (caller.role === 'patient') return;
  const ods = side === 'origin' ? ref.originOds : ref.receivingOds;
  if (caller.ods !== ods) {
    const whose = side === 'origin' ? `the referring trust (${ref.originOds})` : `the receiving trust (${ref.receivingOds ?? 'none yet'})`;
    throw new WrongSideError(`Only staff of ${whose} may ${what}`);
  }
}

/**
 * visibleTo as SQL on the referral alias `r`, for the plain-SQL reads: the same rule, values
 * through placeholders. (No referral has an empty ODS code or NHS number.)
 */
export function visibleToSql(caller: Caller, p: SqlParams, r = 'r'): string {
  if (caller.role === 'patient') return `${r}.patient_id = (SELECT id FROM patient WHERE nhs_number = ${p.add(caller.nhsNumber ?? '')})`;
  const ods = p.add(caller.ods ?? '');
  return `(${r}.origin_ods = ${ods} OR ${r}.receiving_ods = ${ods})`;
}
