// After the receiving trust did not accept (issue 18, RO): a clinician of the referring trust offers
// the patient again elsewhere, without re-posting: the same referral, RTT clock start and clinical
// package, fresh offers from the group's other trusts save every one that has not accepted it before;
// or the referring trust closes it back to the origin list.
import { Injectable } from '@nestjs/common';
import { originListOutcome, requireTransition } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { OfferMatcher } from '../offer-matcher.js';
import { loadVisible } from './referral-step.js';

@Injectable()
export class Reoffer {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
  ) {}

  async reoffer(caller: Caller, id: string) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.reoffer', 'offer the patient again elsewhere');
      // From the wrong status a 409 comes before any word about capacity.
      requireTransition(ref.status, 'reoffered');
      const { offers } = await this.offers.refresh(tx, ref, new Date());
      if (offers.length === 0)
        throw new BusinessRuleError(
          'No other group member has capacity for this patient now (the trusts that did not accept are not offered again): close the referral to the origin list (cancel) or try again later.',
          { reason: 'NO_OTHER_OFFER' },
        );
      // The patient is told of the new offers as at the clinician's review: the offer message, by a job.
      // One claim per referral (its key): the slot the rejecting trust's was released at the rejection,
      // and its row goes so the patient's next accept can claim a slot elsewhere (the timeline keeps the history).
      await tx.query('DELETE FROM capacity_claim WHERE referral_id = $1::uuid AND released_at IS NOT NULL', [id]);
      return applyTransition(tx, ref, {
        action: 'reoffered',
        actor: actorOf(caller),
        detail: { offers: offers.length, rttClockStart: ref.rttClockStart.toISOString().slice(0, 10) },
        jobs: (eventId) => [outboxJob('referral.make-offers', { referralId: id }, eventId)],
      });
    });
  }

  /** Or the referring trust closes it: the referral ends, the patient's place on the origin list as it always was. */
  async closeToOrigin(caller: Caller, id: string, input: { reason?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.close-to-origin', 'close the referral back to the origin list');
      return applyTransition(tx, ref, {
        action: 'closed_to_origin',
        actor: actorOf(caller),
        detail: { reason: input.reason ?? null, placeOnOriginList: originListOutcome(ref.status, 'CANCELLED') },
      });
    });
  }
}
