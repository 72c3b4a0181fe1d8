// Trust scoping: every referral query is written through visibleTo(caller), below the controllers.
import type { Prisma } from '#prisma-client';
import type { Caller } from '#auth';
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
