// Matches a referral to group members declaring capacity for its specialty, nearest site first.
import { Injectable } from '@nestjs/common';
import { isoDate, postcodeDistrict, rankOffers, type CandidateSite, type RankedOffer } from '#domain';
import type { Tx } from '#persistence';
import type { Prisma } from '#prisma-client';

export interface MatchInput {
  readonly originOds: string;
  readonly specialtyCode: string;
  readonly postcode: string;
  readonly travelRadiusMiles: number | null;
}

export interface MatchedOffer extends RankedOffer {
  readonly earliestWeek: Date;
}

@Injectable()
export class OfferMatcher {
  /** Trusts other than the origin with slots for the specialty on `today`. */
  async trustsWithCapacity(tx: Tx, originOds: string, specialtyCode: string, today: Date): Promise<string[]> {
    const rows = await tx.capacity.findMany({ where: activeCapacity(originOds, specialtyCode, today), select: { trustOds: true } });
    return [...new Set(rows.map((r) => r.trustOds))];
  }

  async match(tx: Tx, input: MatchInput, today: Date): Promise<MatchedOffer[]> {
    const capacity = await tx.capacity.findMany({ where: activeCapacity(input.originOds, input.specialtyCode, today), include: { trust: true } });
    if (capacity.length === 0) return [];
    const siteCodes = capacity.map((c) => c.siteOds ?? c.trust.mainSiteOds);
    const sites = await tx.site.findMany({ where: { ods: { in: siteCodes } } });
    const byOds = new Map(sites.map((s) => [s.ods, s]));
    const candidates: CandidateSite[] = [];
    for (const c of capacity) {
      const site = byOds.get(c.siteOds ?? c.trust.mainSiteOds);
      if (site) candidates.push({ trustOds: c.trustOds, siteOds: site.ods, latitude: site.latitude, longitude: site.longitude });
    }
    const district = postcodeDistrict(input.postcode);
    const home = district ? await tx.postcodeDistrict.findUnique({ where: { district } }) : null;
    const nextMonday = mondayAfter(today);
    const fromByTrust = new Map(capacity.map((c) => [c.trustOds, c.fromDate]));
    return rankOffers(candidates, home, input.travelRadiusMiles).map((o) => {
      const from = fromByTrust.get(o.receivingOds)!;
      return { ...o, earliestWeek: from > nextMonday ? mondayAfter(from, true) : nextMonday };
    });
  }

  /** Stores matched offers as OPEN; offers no longer matched are withdrawn. */
  async storeOffers(tx: Tx, referralId: string, offers: readonly MatchedOffer[]): Promise<void> {
    const keep = new Set(offers.map((o) => `${o.receivingOds}/${o.siteOds}`));
    const existing = await tx.offer.findMany({ where: { referralId } });
    for (const e of existing) {
      if (!keep.has(`${e.receivingOds}/${e.siteOds}`) && e.status === 'OPEN') {
        await tx.offer.update({ where: { id: e.id }, data: { status: 'WITHDRAWN' } });
      }
    }
    for (const o of offers) {
      await tx.offer.upsert({
        where: { referralId_receivingOds_siteOds: { referralId, receivingOds: o.receivingOds, siteOds: o.siteOds } },
        create: { referralId, receivingOds: o.receivingOds, siteOds: o.siteOds, distanceMiles: o.distanceMiles, earliestWeek: o.earliestWeek },
        update: { distanceMiles: o.distanceMiles, earliestWeek: o.earliestWeek, status: 'OPEN' },
      });
    }
  }
}

/** Capacity other group members declare for the specialty, with slots, in force on `today`. */
function activeCapacity(originOds: string, specialtyCode: string, today: Date): Prisma.CapacityWhereInput {
  return { specialtyCode, trustOds: { not: originOds }, weeklySlots: { gt: 0 }, fromDate: { lte: today }, toDate: { gte: today } };
}

/** The Monday after `d` (or `d` itself when it is a Monday and `inclusive`). */
function mondayAfter(d: Date, inclusive = false): Date {
  const day = new Date(isoDate(d) + 'T00:00:00Z');
  const dow = day.getUTCDay();
  let add = (8 - dow) % 7;
  if (add === 0 && !inclusive) add = 7;
  day.setUTCDate(day.getUTCDate() + add);
  return day;
}
