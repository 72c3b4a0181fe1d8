// After the receiving trust did not accept, the patient declined, or the referral was cancelled (issue 18, RO):
// a clinician of the referring trust offers the patient again elsewhere, without re-posting: the same referral,
// RTT clock start and clinical package, fresh offers from the group's other trusts save every one that has not
// accepted it before; or, after a rejection, the referring trust closes it back to the origin list.
import { Inject, Injectable } from '@nestjs/common';
import {
  FINAL_STATUSES,
  originListOutcome,
  reopenRefusal,
  REOPENABLE_STATUSES,
  requireTransition,
  TransitionConflictError,
  type ReferralStatus,
} from '#domain';
import { APP_CONFIG, type AppConfig } from '#config';
import { isUniqueViolation, PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition, type Tx } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError, DuplicateError } from '../workflow-errors.js';
import { OfferMatcher } from '../offer-matcher.js';
import { releaseSlot } from '../capacity-ledger.js';
import type { LoadedReferral } from '../referral-load.js';
import { loadVisible } from './referral-step.js';

/** The partial unique index that keeps one open referral per pathway at a trust: a re-open that races a new referral meets it. */
const OPEN_PATHWAY_INDEX = 'referral_open_pathway_key';

function isReopenable(status: ReferralStatus): boolean {
  return (REOPENABLE_STATUSES as readonly ReferralStatus[]).includes(status);
}

@Injectable()
export class Reoffer {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reoffer(caller: Caller, id: string) {
    try {
      return await this.prisma.sqlTransaction(async (tx) => {
        const ref = await loadVisible(tx, caller, id);
        requireSide(caller, ref, 'referral.reoffer', 'offer the patient again elsewhere');
        const reopen = isReopenable(ref.status);
        // From the wrong status a 409 comes before any word about capacity; a closed referral has its own conditions.
        const closedAt = reopen ? await this.requireReopenable(tx, ref) : (requireTransition(ref.status, 'reoffered'), null);
        // A receiving trust that held the referral when it closed (a return after did-not-attend, a cancellation after
        // the transfer of care) stops being a party now that it goes elsewhere: it joins the trusts not offered again
        // (left out of this match, and written with the stage change below).
        const leaving = reopen ? ref.receivingOds : null;
        const { offers } = await this.offers.refresh(tx, ref, new Date(), leaving === null ? [] : [leaving]);
        if (offers.length === 0)
          throw new BusinessRuleError(
            reopen
              ? 'No group member has capacity for this patient now (the trusts that did not accept it before are not offered again): the referral stays closed; try again later.'
              : 'No other group member has capacity for this patient now (the trusts that did not accept are not offered again): close the referral to the origin list (cancel) or try again later.',
            { reason: 'NO_OTHER_OFFER' },
          );
        // The patient is told of the new offers as at the clinician's review: the offer message, by a job.
        // One claim per referral (its key): a slot still held (a return after did-not-attend) is given back, the
        // released row goes so the patient's next accept can claim a slot elsewhere (the timeline keeps the history).
        if (reopen) await releaseSlot(tx, id, 'reopened');
        await tx.query('DELETE FROM capacity_claim WHERE referral_id = $1::uuid AND released_at IS NOT NULL', [id]);
        return applyTransition(tx, ref, {
          action: reopen ? 'reopened' : 'reoffered',
          // One event for "offered again" whichever status it came from (from_status says which).
          type: 'reoffered',
          actor: actorOf(caller),
          ...(leaving === null ? {} : { data: { receivingOds: null, formerReceivingOds: leaving } }),
          detail: {
            offers: offers.length,
            rttClockStart: ref.rttClockStart.toISOString().slice(0, 10),
            ...(closedAt ? { reopenedFrom: ref.status, closedAt: closedAt.toISOString() } : {}),
          },
          jobs: (eventId) => [outboxJob('referral.make-offers', { referralId: id }, eventId)],
        });
      });
    } catch (e) {
      // A new referral for the pathway committed between our check and our write.
      if (isUniqueViolation(e) && (e as { constraint?: unknown }).constraint === OPEN_PATHWAY_INDEX)
        throw new DuplicateError('A newer referral is open for this pathway: this one stays closed (the newer one carries the patient now)', {
          field: 'pathwayId',
        });
      throw e;
    }
  }

  /**
   * May this closed referral be re-opened? Not after the referring trust's own close to the origin list (that was
   * its answer to "offer again?"), not past the window, and not while a newer referral is open for the pathway
   * (the open-pathway index would refuse it too; asked first, to name that referral). Returns when it closed.
   */
  private async requireReopenable(tx: Tx, ref: LoadedReferral): Promise<Date> {
    requireTransition(ref.status, 'reopened');
    const { rows } = await tx.query<{ type: string; at: Date }>(
      `SELECT type, at FROM timeline_event WHERE referral_id = $1::uuid AND to_status = $2::"ReferralStatus" AND from_status IS DISTINCT FROM to_status
       ORDER BY at DESC LIMIT 1`,
      [ref.id, ref.status],
    );
    // Every close is a stage change with its event; none would be a referral written outside the workflow.
    const close = rows[0] ?? { type: 'unknown', at: ref.updatedAt };
    const refusal = reopenRefusal(close, this.config.workflow.reofferWindowDays, new Date());
    if (refusal) throw new TransitionConflictError(refusal, ref.status);
    const { rows: newer } = await tx.query<{ id: string; status: ReferralStatus }>(
      `SELECT id, status FROM referral WHERE origin_ods = $1 AND pathway_id = $2 AND id <> $3::uuid AND status <> ALL($4::"ReferralStatus"[]) LIMIT 1`,
      [ref.originOds, ref.pathwayId, ref.id, [...FINAL_STATUSES]],
    );
    if (newer[0])
      throw new DuplicateError(
        `A newer referral is open for this pathway (${newer[0].id}, ${newer[0].status}): this one stays closed (the newer one carries the patient now)`,
        { field: 'pathwayId', referralId: newer[0].id },
      );
    return close.at;
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
