// Stage 4, the formal transfer of care: a clinician of the receiving trust accepts (ownership moves;
// the RTT clock keeps running) or rejects with a reason code (and is no longer a party).
import { Injectable } from '@nestjs/common';
import { originListOutcome } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { releaseSlot } from '../capacity-ledger.js';
import { loadVisible } from './referral-step.js';

@Injectable()
export class TransferOfCare {
  constructor(private readonly prisma: PrismaService) {}

  async decide(caller: Caller, id: string, input: { decision: 'accept' | 'reject'; reasonCode?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.receiver-decision', 'accept or reject the transfer of care');
      const actor = actorOf(caller);
      if (input.decision === 'reject') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed to reject a transfer', { field: 'reasonCode' });
        const out = await applyTransition(tx, ref, {
          action: 'receiver_rejected',
          actor,
          detail: { reasonCode: input.reasonCode, placeOnOriginList: originListOutcome(ref.status, 'REJECTED_BY_RECEIVER') },
          // No longer a party: the trust that rejected reads nothing more (kept as history).
          data: { receivingOds: null, formerReceivingOds: ref.receivingOds },
          notify: ['transfer_rejected'],
          jobs: (eventId) => [outboxJob('decision.dispatch', { referralId: id }, eventId)],
        });
        await releaseSlot(tx, id, 'receiver_rejected');
        return out;
      }
      return applyTransition(tx, ref, {
        action: 'receiver_accepted',
        actor,
        type: 'transfer_of_care',
        detail: {
          fromOds: ref.originOds,
          toOds: ref.receivingOds,
          rttClockStart: ref.rttClockStart.toISOString().slice(0, 10),
          note: 'ownership moved to the receiving trust; the RTT clock keeps running',
        },
        notify: ['transfer_confirmed'],
        jobs: (eventId) => [outboxJob('decision.dispatch', { referralId: id }, eventId)],
      });
    });
  }
}
