// Matches a referral to the sites of group members with free capacity for its specialty, nearest first.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isoDate, postcodeDistrict, rankOffers, type CandidateSite, type RankedOffer } from '#domain';
import { SqlParams } from '#persistence';
import type { Tx } from './referral-transition.js';
import { firstOfferWeek, siteStanding, type Rank } from './capacity-ledger.js';

export interface MatchInput {
  readonly originOds: string;
  readonly specialtyCode: string;
  readonly postcode: string;
  readonly travelRadiusMiles: number | null;
  /** The referral the offers are for: with it, short capacity goes to those ahead of it first (capacity-ledger.ts). */
  readonly referralId?: string;
}

/** What offers are matched on: the referral's trust, specialty, travel radius and the patient's postcode. */
export interface OfferSubject {
  readonly id: string;
  readonly originOds: string;
  readonly specialtyCode: string;
  readonly travelRadiusMiles: number | null;
  readonly patient: { readonly postcode: string };
}

export interface MatchedOffer extends RankedOffer {
  readonly earliestWeek: Date;
}

@Injectable()
export class OfferMatcher {
  /** Trusts other than the origin with a free slot for the specialty from next week on. */
  async trustsWithCapacity(tx: Tx, originOds: string, specialtyCode: string, today: Date): Promise<string[]> {
    const { rows } = await tx.query<{ trust_ods: string }>(`SELECT DISTINCT cw.trust_ods FROM capacity_week cw WHERE ${FREE_CAPACITY} ORDER BY cw.trust_ods`, [
      specialtyCode,
      originOds,
      isoDate(firstOfferWeek(today)),
    ]);
    return rows.map((r) => r.trust_ods);
  }

  /**
   * Every site of another group member with a free slot for the specialty from next week on, nearest
   * first, within the patient's travel radius once they have given one. With a referral, a site
   * whose free slots are all spoken for by open offers to referrals ahead of it is left out.
   */
  async match(tx: Tx, input: MatchInput, today: Date): Promise<MatchedOffer[]> {
    const from = firstOfferWeek(today);
    const { rows } = await tx.query<{ trust_ods: string; site_ods: string; earliest: Date; latitude: number; longitude: number }>(
      `SELECT cw.trust_ods, cw.site_ods, min(cw.week_start) AS earliest, s.latitude, s.longitude
       FROM capacity_week cw JOIN site s ON s.ods = cw.site_ods
       WHERE ${FREE_CAPACITY}
       GROUP BY cw.trust_ods, cw.site_ods, s.latitude, s.longitude
       ORDER BY cw.site_ods`,
      [input.specialtyCode, input.originOds, isoDate(from)],
    );
    if (rows.length === 0) return [];
    let open = rows;
    if (input.referralId) {
      const { rows: me } = await tx.query<{ rtt_clock_start: Date; priority: string }>('SELECT rtt_clock_start, priority FROM referral WHERE id = $1::uuid', [
        input.referralId,
      ]);
      if (me[0]) {
        const rank: Rank = { referralId: input.referralId, rttClockStart: me[0].rtt_clock_start, priority: me[0].priority };
        const standing = await siteStanding(
          tx,
          input.specialtyCode,
          rows.map((r) => r.site_ods),
          from,
          rank,
          today,
        );
        open = rows.filter((r) => {
          const st = standing.get(r.site_ods);
          return !st || st.free > st.ahead;
        });
      }
    }
    const district = postcodeDistrict(input.postcode);
    const { rows: homes } = await tx.query<{ latitude: number; longitude: number }>('SELECT latitude, longitude FROM postcode_district WHERE district = $1', [
      district,
    ]);
    const home = homes[0] ? { latitude: homes[0].latitude, longitude: homes[0].longitude } : null;
    const candidates: CandidateSite[] = open.map((r) => ({ trustOds: r.trust_ods, siteOds: r.site_ods, latitude: r.latitude, longitude: r.longitude }));
    const earliest = new Map(open.map((r) => [r.site_ods, r.earliest]));
    return rankOffers(candidates, home, input.travelRadiusMiles).map((o) => ({ ...o, earliestWeek: earliest.get(o.siteOds)! }));
  }

  /**
   * The offers of a referral as of `today`, decided in this one place for every step that makes
   * them (screening, the clinician's review, the offer message): matched against the group's free
   * capacity and the patient's travel radius, and stored. When nothing matches nothing is stored,
   * so offers already made stand (the caller decides what no offer means).
   */
  async refresh(tx: Tx, ref: OfferSubject, today: Date): Promise<MatchedOffer[]> {
    const matched = await this.match(
      tx,
      {
        originOds: ref.originOds,
        specialtyCode: ref.specialtyCode,
        postcode: ref.patient.postcode,
        travelRadiusMiles: ref.travelRadiusMiles,
        referralId: ref.id,
      },
      today,
    );
    if (matched.length > 0) await this.storeOffers(tx, ref.id, matched);
    return matched;
  }

  /** Stores matched offers as OPEN; open offers no longer matched are withdrawn. */
  async storeOffers(tx: Tx, referralId: string, offers: readonly MatchedOffer[]): Promise<void> {
    const p = new SqlParams();
    const ref = p.add(referralId);
    const keep = offers.map((o) => `${o.receivingOds}/${o.siteOds}`);
    await tx.query(
      `UPDATE offer SET status = 'WITHDRAWN' WHERE referral_id = ${ref}::uuid AND status = 'OPEN' AND NOT (receiving_ods || '/' || site_ods = ANY(${p.add(keep)}::text[]))`,
      p.values,
    );
    if (offers.length === 0) return;
    const q = new SqlParams();
    const r = q.add(referralId);
    const values = offers.map(
      (o) =>
        `(${q.add(randomUUID())}::uuid, ${r}::uuid, ${q.add(o.receivingOds)}, ${q.add(o.siteOds)}, ${q.add(o.distanceMiles)}::float8, ${q.add(isoDate(o.earliestWeek))}::date)`,
    );
    await tx.query(
      `INSERT INTO offer (id, referral_id, receiving_ods, site_ods, distance_miles, earliest_week) VALUES ${values.join(', ')}
       ON CONFLICT (referral_id, receiving_ods, site_ods) DO UPDATE SET distance_miles = EXCLUDED.distance_miles, earliest_week = EXCLUDED.earliest_week, status = 'OPEN'`,
      q.values,
    );
  }
}

/**
 * Weeks of other group members' capacity for the specialty with a free slot, from a week on:
 * $1 specialty, $2 origin trust, $3 the first week (YYYY-MM-DD), on capacity_week alias `cw`.
 */
const FREE_CAPACITY = `cw.specialty_code = $1 AND cw.trust_ods <> $2 AND cw.week_start >= $3::date AND cw.used < cw.slots`;
