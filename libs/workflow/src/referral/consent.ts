// Stage 3, offer and consent: the patient (online, or a booking clerk of the referring trust for a
// phone call or letter) accepts an offer, which takes a slot, or declines and keeps their place.
import { Injectable } from '@nestjs/common';
import { originListOutcome, requireTransition } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError, ReferralNotFoundError } from '../workflow-errors.js';
import { claimSlot, firstOfferWeek, releaseSlot, serviceStanding } from '../capacity-ledger.js';
import { raiseTask, taskTrustFor } from '../tasks.js';
import { loadVisible } from './referral-step.js';

export interface ConsentInput {
  readonly decision: 'accept' | 'decline';
  readonly offerId?: string;
  readonly travelRadiusMiles?: number;
  readonly method?: 'phone' | 'letter';
}

/** Reasons an accept is refused for: the site has no slot left for this patient (capacity-ledger.ts). */
export const CAPACITY_GONE_REASONS: readonly string[] = ['NO_CAPACITY_LEFT', 'CAPACITY_HELD_FOR_LONGER_WAITERS'];

@Injectable()
export class Consent {
  constructor(private readonly prisma: PrismaService) {}

  async record(caller: Caller, id: string, input: ConsentInput) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      if (caller.role === 'booking_clerk') {
        requireSide(caller, ref, 'referral.consent', "record the patient's answer");
        if (!input.method) throw new BusinessRuleError('Say how the patient answered (method: phone or letter)', { field: 'method' });
      }
      const actor = actorOf(caller);
      const via = caller.role === 'patient' ? 'online' : input.method;
      if (input.decision === 'decline') {
        const out = await applyTransition(tx, ref, {
          action: 'consent_declined',
          actor,
          detail: { method: via, placeOnOriginList: originListOutcome(ref.status, 'DECLINED') },
          data: input.travelRadiusMiles != null ? { travelRadiusMiles: input.travelRadiusMiles } : undefined,
          notify: ['offer_declined'],
        });
        await tx.query(`UPDATE offer SET status = 'DECLINED' WHERE referral_id = $1::uuid AND status = 'OPEN'`, [id]);
        await releaseSlot(tx, id, 'consent_declined');
        return out;
      }
      // From the wrong status a 409 comes before any word about the offer chosen.
      requireTransition(ref.status, 'consent_accepted');
      const { rows: offers } = await tx.query<{ id: string; receivingOds: string; siteOds: string; distanceMiles: number | null; status: string }>(
        'SELECT id, receiving_ods AS "receivingOds", site_ods AS "siteOds", distance_miles AS "distanceMiles", status FROM offer WHERE referral_id = $1::uuid ORDER BY distance_miles, id',
        [id],
      );
      const open = offers.filter((o) => o.status === 'OPEN');
      const offer = input.offerId ? offers.find((o) => o.id === input.offerId) : open.length === 1 ? open[0] : undefined;
      if (!offer) {
        if (input.offerId) throw new BusinessRuleError('That offer is not one made for this referral', { field: 'offerId' });
        throw new BusinessRuleError(open.length === 0 ? 'There is no open offer to accept' : 'Say which offer the patient accepts (offerId)', {
          field: 'offerId',
        });
      }
      // The transition first: a concurrent answer makes this one a 409, not a confusing 422.
      const out = await applyTransition(tx, ref, {
        action: 'consent_accepted',
        actor,
        detail: { method: via, offerId: offer.id, receivingOds: offer.receivingOds, siteOds: offer.siteOds },
        data: { receivingOds: offer.receivingOds, travelRadiusMiles: input.travelRadiusMiles ?? undefined },
        jobs: (eventId) => [outboxJob('transfer.dispatch', { referralId: id }, eventId)],
        notify: ['consent_recorded'],
      });
      if (offer.status !== 'OPEN') throw new BusinessRuleError('That offer is not open any more', { field: 'offerId' });
      // A distance not known is not within any radius nor beyond it: the offer said so, and the patient chose.
      if (input.travelRadiusMiles != null && offer.distanceMiles !== null && offer.distanceMiles > input.travelRadiusMiles) {
        throw new BusinessRuleError(`That offer is ${offer.distanceMiles} miles away, beyond the patient's travel radius of ${input.travelRadiusMiles} miles`, {
          field: 'travelRadiusMiles',
        });
      }
      await tx.query(
        `UPDATE offer SET status = CASE WHEN id = $2::uuid THEN 'ACCEPTED' ELSE 'WITHDRAWN' END WHERE referral_id = $1::uuid AND (id = $2::uuid OR status = 'OPEN')`,
        [id, offer.id],
      );
      // One slot of the site's earliest week with room, from the offer's week or (for an old offer)
      // the first week offers are made for now; refused (422, rolled back) when none is left.
      const { rows: held } = await tx.query<{ earliestWeek: Date; serviceId: string | null }>(
        `SELECT o.earliest_week AS "earliestWeek",
                COALESCE(o.service_id, (SELECT s.id FROM service s WHERE s.site_ods = o.site_ods AND s.treatment_function = $2 AND s.is_default)) AS "serviceId"
         FROM offer o WHERE o.id = $1::uuid`,
        [offer.id, ref.specialtyCode],
      );
      if (!held[0].serviceId)
        throw new BusinessRuleError(`${offer.siteOds} declares no capacity for this referral's service any more: offer the patient another site`, {
          field: 'offerId',
          reason: 'NO_CAPACITY_LEFT',
        });
      await claimSlot(tx, {
        offerId: offer.id,
        siteOds: offer.siteOds,
        serviceId: held[0].serviceId,
        specialtyCode: ref.specialtyCode,
        earliestWeek: held[0].earliestWeek,
        rank: { referralId: id, rttClockStart: ref.rttClockStart, priority: ref.priority },
      });
      return out;
    });
  }

  /**
   * After the patient's accept of `offerId` was refused for capacity (and rolled back, so the offer
   * is still OPEN): raises a booking-team task, once per referral and offer, so a person follows the
   * patient up, and returns the referral's other open offers that still have room for it.
   */
  async capacityGone(referralId: string, offerId: string, reason: string, now = new Date()): Promise<{ openWithRoom: string[]; taskRaised: boolean }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: refs } = await tx.query<{
        status: string;
        origin_ods: string;
        receiving_ods: string | null;
        specialty_code: string;
        rtt_clock_start: Date;
        priority: string;
      }>('SELECT status::text AS status, origin_ods, receiving_ods, specialty_code, rtt_clock_start, priority FROM referral WHERE id = $1::uuid', [referralId]);
      const ref = refs[0];
      if (!ref) throw new ReferralNotFoundError();
      const taskRaised = await raiseTask(tx, {
        trustOds: taskTrustFor(ref.status, ref.origin_ods, ref.receiving_ods),
        team: 'booking',
        kind: 'offer_capacity_gone',
        referralId,
        key: `offer_capacity_gone:${referralId}:${offerId}`,
        detail: { offerId, reason },
      });
      const { rows: others } = await tx.query<{ id: string; service_id: string | null }>(
        `SELECT id, service_id FROM offer WHERE referral_id = $1::uuid AND status = 'OPEN' AND id <> $2::uuid`,
        [referralId, offerId],
      );
      if (others.length === 0) return { openWithRoom: [], taskRaised };
      const rank = { referralId, rttClockStart: ref.rtt_clock_start, priority: ref.priority };
      const services = [...new Set(others.flatMap((o) => (o.service_id ? [o.service_id] : [])))];
      const standing = await serviceStanding(tx, services, firstOfferWeek(now), rank, now);
      const openWithRoom = others.filter((o) => {
        const st = o.service_id ? standing.get(o.service_id) : undefined;
        return !!st && st.free > st.ahead;
      });
      return { openWithRoom: openWithRoom.map((o) => o.id), taskRaised };
    });
  }
}
