// Stage 2, the clinician's part of eligibility: a clinician of the referring trust finds transfer
// suitable (offers are made and the patient told, by a job) or not suitable, with a reason code.
import { Injectable } from '@nestjs/common';
import { originListOutcome, requireTransition } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { OfferMatcher } from '../offer-matcher.js';
import { loadVisible, saveNote } from './referral-step.js';

export interface ClinicalReviewInput {
  readonly decision: 'suitable' | 'not_suitable';
  readonly reasonCode?: string;
  readonly note?: string;
}

@Injectable()
export class ClinicalReview {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
  ) {}

  async record(caller: Caller, id: string, input: ClinicalReviewInput) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.clinical-review', 'record the clinical review');
      const actor = actorOf(caller);
      if (input.decision === 'not_suitable') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed when transfer is not suitable', { field: 'reasonCode' });
        const out = await applyTransition(tx, ref, {
          action: 'clinical_review_not_suitable',
          actor,
          detail: { reasonCode: input.reasonCode, placeOnOriginList: originListOutcome(ref.status, 'NOT_SUITABLE') },
        });
        await saveNote(tx, id, 'clinical_review', input.note, caller.sub);
        return out;
      }
      // From the wrong status a 409 comes before any word about capacity.
      requireTransition(ref.status, 'clinical_review_suitable');
      const { offers, excluded } = await this.offers.refresh(tx, ref, new Date());
      if (offers.length === 0 && excluded.length > 0) {
        // Capacity there is, but no service of it can take this patient: say which and why (the reasons are codes, no values).
        const why = excluded.map((x) => `${x.siteOds} (${x.reasons.join(', ')})`).join('; ');
        throw new BusinessRuleError(`No site with capacity can take this patient: the directory's services exclude them at ${why}.`, {
          reason: 'ALL_SITES_EXCLUDED',
          excludedSites: excluded.map((x) => ({ siteOds: x.siteOds, receivingOds: x.receivingOds, reasons: x.reasons })),
        });
      }
      if (offers.length === 0) {
        throw new BusinessRuleError(
          'No group member declares capacity for this specialty any more, so there is nothing to offer the patient. Ask a trust admin to check capacity.',
        );
      }
      const out = await applyTransition(tx, ref, {
        action: 'clinical_review_suitable',
        actor,
        detail: { decision: 'suitable' },
        jobs: (eventId) => [outboxJob('referral.make-offers', { referralId: id }, eventId)],
      });
      await saveNote(tx, id, 'clinical_review', input.note, caller.sub);
      return out;
    });
  }
}
