// The exits people take before treatment: the patient withdraws (themselves, or through the
// referring trust), or the trust that holds the referral cancels it. Offers, slot and bookings are
// released; the patient keeps their place on the origin list.
import { Injectable } from '@nestjs/common';
import { originListOutcome, patientToldOfTransfer, RECEIVER_OWNS, type ReferralStatus } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { applyTransition, type TransitionSpec, type Tx } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import type { LoadedReferral } from '../referral-load.js';
import { releaseSlot } from '../capacity-ledger.js';
import { loadVisible } from './referral-step.js';
import { StaleUpdateError } from '../workflow-errors.js';

export interface ExitOptions {
  /**
   * Refuse the exit if the referral changed after this instant (a system's update written against the
   * version it last read: BaRS's meta.lastUpdated); `field` names where the sender said it.
   */
  readonly unchangedSince?: { readonly at: Date; readonly field: string };
}

/** Read in the step's transaction, and applyTransition then checks the version read: no change slips in between. */
function unchangedSince(ref: LoadedReferral, opts: ExitOptions): void {
  if (opts.unchangedSince && ref.updatedAt.getTime() > opts.unchangedSince.at.getTime())
    throw new StaleUpdateError(ref.status, ref.updatedAt, opts.unchangedSince.field);
}
import { closeOpenInformationRequest } from './information-requests.js';
import { releaseClinicSlots } from './clinics.js';

@Injectable()
export class ReferralExits {
  constructor(private readonly prisma: PrismaService) {}

  async withdraw(caller: Caller, id: string, input: { reason?: string; reasonCode?: string }, opts: ExitOptions = {}) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      unchangedSince(ref, opts);
      requireSide(
        caller,
        ref,
        'referral.withdraw',
        'record that the patient withdraws (the receiving trust cancels, with a reason, once it holds the transfer of care)',
      );
      return this.exit(tx, ref, caller, 'withdrawn', 'WITHDRAWN', input, ['withdrawn']);
    });
  }

  async cancel(caller: Caller, id: string, input: { reason: string; reasonCode?: string }, opts: ExitOptions = {}) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      unchangedSince(ref, opts);
      requireSide(caller, ref, 'referral.cancel', 'cancel the referral');
      // Before an offer the patient has not heard of the transfer: nothing to tell them then.
      const notify = patientToldOfTransfer(ref.status) ? [{ event: 'cancelled' as const, detail: { reason: input.reason } }] : [];
      return this.exit(tx, ref, caller, 'cancelled', 'CANCELLED', input, notify);
    });
  }

  private async exit(
    tx: Tx,
    ref: LoadedReferral,
    caller: Caller,
    action: 'withdrawn' | 'cancelled',
    exitStatus: ReferralStatus,
    why: { reason?: string; reasonCode?: string },
    notify: TransitionSpec['notify'],
  ) {
    // A receiving trust that had not yet accepted the transfer of care is no longer a party: it reads
    // nothing more. One that had accepted it held the patient's care, and keeps its record.
    const releaseReceiver = ref.receivingOds !== null && !RECEIVER_OWNS.has(ref.status);
    const out = await applyTransition(tx, ref, {
      action,
      actor: actorOf(caller),
      detail: {
        reason: why.reason ?? null,
        ...(why.reasonCode ? { reasonCode: why.reasonCode } : {}),
        placeOnOriginList: originListOutcome(ref.status, exitStatus),
      },
      data: releaseReceiver ? { receivingOds: null, formerReceivingOds: ref.receivingOds } : undefined,
      notify,
    });
    await tx.query(`UPDATE offer SET status = 'WITHDRAWN' WHERE referral_id = $1::uuid AND status = 'OPEN'`, [ref.id]);
    await releaseSlot(tx, ref.id, action);
    await closeOpenInformationRequest(tx, ref.id, caller.sub);
    await releaseClinicSlots(tx, ref.id);
    await tx.query(`UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE referral_id = $1::uuid AND status = 'BOOKED'`, [
      ref.id,
      `referral ${action}`,
    ]);
    return out;
  }
}
