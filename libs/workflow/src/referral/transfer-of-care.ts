// Stage 4, the formal transfer of care: a clinician of the receiving trust accepts (ownership moves;
// the RTT clock keeps running), rejects with a reason code, or returns the referral to the referrer
// with advice (e-RS's "return to referrer with advice": a rejection coded RETURNED_WITH_ADVICE whose
// advice reaches the referring clinicians); after either of the last two it is no longer a party.
import { Injectable } from '@nestjs/common';
import { originListOutcome, RETURNED_WITH_ADVICE } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { releaseSlot } from '../capacity-ledger.js';
import { raiseTask } from '../tasks.js';
import { loadVisible, saveNote } from './referral-step.js';
import { closeOpenInformationRequest } from './information-requests.js';

@Injectable()
export class TransferOfCare {
  constructor(private readonly prisma: PrismaService) {}

  async decide(caller: Caller, id: string, input: { decision: 'accept' | 'reject'; reasonCode?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.receiver-decision', 'accept or reject the transfer of care');
      const actor = actorOf(caller);
      await closeOpenInformationRequest(tx, id, caller.sub);
      if (input.decision === 'reject') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed to reject a transfer', { field: 'reasonCode' });
        if (input.reasonCode === RETURNED_WITH_ADVICE)
          throw new BusinessRuleError('To return the referral with advice, use return to referrer with advice (POST /v1/referrals/{id}/return-to-referrer)', {
            field: 'reasonCode',
          });
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

  /**
   * Return to referrer with advice: the receiving clinician does not accept, and tells the referring
   * clinicians why and what would make it acceptable. The referral is REJECTED_BY_RECEIVER, coded
   * RETURNED_WITH_ADVICE; the advice is clinical text (a clinical note, and the event's `note`, both
   * seen by clinicians only); the referring trust's clinical team gets a task to read it.
   */
  async returnWithAdvice(caller: Caller, id: string, input: { advice: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.return-with-advice', 'return the referral to the referrer with advice');
      await closeOpenInformationRequest(tx, id, caller.sub);
      const advice = input.advice.trim();
      const out = await applyTransition(tx, ref, {
        action: 'receiver_rejected',
        actor: actorOf(caller),
        type: 'returned_to_referrer',
        detail: { reasonCode: RETURNED_WITH_ADVICE, note: advice, placeOnOriginList: originListOutcome(ref.status, 'REJECTED_BY_RECEIVER') },
        data: { receivingOds: null, formerReceivingOds: ref.receivingOds },
        notify: ['transfer_rejected'],
      });
      await releaseSlot(tx, id, 'receiver_rejected');
      await saveNote(tx, id, 'advice_to_referrer', advice, caller.sub);
      await raiseTask(tx, {
        trustOds: ref.originOds,
        team: 'clinical',
        kind: 'returned_with_advice',
        referralId: id,
        key: `returned_with_advice.${out.eventId}`,
        detail: { reasonCode: RETURNED_WITH_ADVICE },
      });
      return out;
    });
  }
}
