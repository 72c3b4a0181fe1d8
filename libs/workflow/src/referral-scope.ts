// Trust scoping: every referral query is written through visibleToSql(caller), below the controllers.
import { PERMISSION_SIDES, type Caller, type SidedPermission } from '#auth';
import { HANDED_BACK, RECEIVER_OWNS, type ReferralStatus } from '#domain';
import type { SqlParams } from '#persistence';
import { WrongSideError } from './workflow-errors.js';

/**
 * Refuses an action by staff of a trust on the wrong side of the referral for `permission`
 * (PERMISSION_SIDES in libs/auth/src/roles.ts: the one table of who acts from which side).
 */
export function requireSide(
  caller: Caller,
  ref: { status: ReferralStatus; originOds: string; receivingOds: string | null },
  permission: SidedPermission,
  what: string,
): void {
  if (caller.role === 'patient') return;
  const side = PERMISSION_SIDES[permission];
  const receiverHolds =
    side === 'receiving' ||
    (side === 'owner' && RECEIVER_OWNS.has(ref.status) && ref.receivingOds !== null) ||
    (side === 'follow-up' && ref.status !== HANDED_BACK);
  const ods = receiverHolds ? ref.receivingOds : ref.originOds;
  if (caller.ods === ods) return;
  const whose = receiverHolds ? `the receiving trust (${ref.receivingOds ?? 'none yet'})` : `the referring trust (${ref.originOds})`;
  const instead =
    side === 'owner' && !receiverHolds && caller.ods === ref.receivingOds
      ? ' until your trust accepts the transfer of care; before that, reject the transfer with a reason code'
      : side === 'owner' && receiverHolds
        ? ' now that it has accepted the transfer of care'
        : '';
  throw new WrongSideError(`Only staff of ${whose} may ${what}${instead}`);
}

/**
 * Who sees a referral, as SQL on the referral alias `r` (values through placeholders): staff see
 * referrals their trust is origin or receiver of (a receiver that is no longer a party has been
 * cleared from `receiving_ods`: former_receiving_ods); a patient sees every referral recorded under
 * their NHS number, each with what that trust recorded (patient-record.ts). No referral has an empty
 * ODS code or NHS number.
 */
export function visibleToSql(caller: Caller, p: SqlParams, r = 'r'): string {
  if (caller.role === 'patient') return `${r}.patient_id IN (SELECT id FROM patient WHERE nhs_number = ${p.add(caller.nhsNumber ?? '')})`;
  const ods = p.add(caller.ods ?? '');
  return `(${r}.origin_ods = ${ods} OR ${r}.receiving_ods = ${ods})`;
}
