// Matches a referral to the sites of its group's other members with free capacity in a service that
// takes the patient (the directory's procedures and exclusions), nearest first; distance from the full
// postcode where it is loaded, its district otherwise, and "not known" (null, never 0) when neither is.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  ageInYears,
  exclusionReasons,
  isoDate,
  postcodeDistrict,
  rankOffers,
  type CandidateSite,
  type DistanceBasis,
  type ExclusionReason,
  type LatLon,
  type MatchingFacts,
  type RankedOffer,
} from '#domain';
import { SqlParams } from '#persistence';
import type { Tx } from './referral-transition.js';
import { firstOfferWeek, serviceStanding, type Rank } from './capacity-ledger.js';

export interface MatchInput {
  readonly originOds: string;
  readonly specialtyCode: string;
  readonly postcode: string;
  readonly travelRadiusMiles: number | null;
  /** The referral the offers are for: with it, short capacity goes to those ahead of it first (capacity-ledger.ts). */
  readonly referralId?: string;
  /** What the directory's services judge the patient on; without it, every service takes them. */
  readonly facts?: MatchingFacts;
  /** Trusts not to offer: those that stopped being a party to this referral (a re-offer, issue 18 RO). */
  readonly excludeOds?: readonly string[];
}

/** A service with free capacity that cannot take the patient, and why. */
export interface SiteExclusion {
  readonly serviceId: string;
  readonly siteOds: string;
  readonly receivingOds: string;
  readonly reasons: readonly ExclusionReason[];
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
  readonly serviceId: string;
  readonly distanceBasis: DistanceBasis;
}

/** Where the patient lives, as precisely as the postcode tables know it (null: not known). */
export async function homeOf(tx: Tx, postcode: string): Promise<(LatLon & { basis: DistanceBasis }) | null> {
  const { rows } = await tx.query<{ latitude: number; longitude: number; basis: DistanceBasis }>(
    `SELECT latitude, longitude, 'postcode' AS basis FROM postcode WHERE postcode = $1
     UNION ALL SELECT latitude, longitude, 'district' FROM postcode_district WHERE district = $2
     LIMIT 1`,
    [postcode.toUpperCase().replace(/\s+/g, ''), postcodeDistrict(postcode)],
  );
  return rows[0] ?? null;
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
   * Every site of another group member with a free slot for the specialty from next week on, in a
   * service that takes the patient, nearest first, within the patient's travel radius once they have
   * given one (when their home is known). A site offering two services that take them is offered once,
   * for the one with the earliest week. With a referral, a service whose free slots are all spoken for
   * by open offers to referrals ahead of it is left out.
   */
  async match(tx: Tx, input: MatchInput, today: Date): Promise<MatchedOffer[]> {
    return (await this.matchWithExclusions(tx, input, today)).offers;
  }

  /** As match, with the services that have room but cannot take the patient, and why. */
  async matchWithExclusions(tx: Tx, input: MatchInput, today: Date): Promise<{ offers: MatchedOffer[]; excluded: SiteExclusion[] }> {
    const from = firstOfferWeek(today);
    const { rows } = await tx.query<{
      service_id: string;
      trust_ods: string;
      site_ods: string;
      earliest: Date;
      latitude: number;
      longitude: number;
      procedures: string[];
      max_bmi: string | null;
      max_asa_grade: number | null;
      min_age_years: number | null;
      is_default: boolean;
    }>(
      `SELECT cw.service_id, cw.trust_ods, cw.site_ods, min(cw.week_start) AS earliest, s.latitude, s.longitude,
              sv.procedures, sv.max_bmi, sv.max_asa_grade, sv.min_age_years, sv.is_default
       FROM capacity_week cw JOIN site s ON s.ods = cw.site_ods JOIN service sv ON sv.id = cw.service_id
       WHERE ${FREE_CAPACITY} AND NOT (cw.trust_ods = ANY($4::text[]))
       GROUP BY cw.service_id, cw.trust_ods, cw.site_ods, s.latitude, s.longitude, sv.procedures, sv.max_bmi, sv.max_asa_grade, sv.min_age_years, sv.is_default
       ORDER BY cw.site_ods, min(cw.week_start), sv.is_default, cw.service_id`,
      [input.specialtyCode, input.originOds, isoDate(from), input.excludeOds ?? []],
    );
    const excluded: SiteExclusion[] = [];
    let open = rows.filter((r) => {
      if (!input.facts) return true;
      const reasons = exclusionReasons(input.facts, {
        procedures: r.procedures,
        maxBmi: r.max_bmi === null ? null : Number(r.max_bmi),
        maxAsaGrade: r.max_asa_grade,
        minAgeYears: r.min_age_years,
      });
      if (reasons.length > 0) excluded.push({ serviceId: r.service_id, siteOds: r.site_ods, receivingOds: r.trust_ods, reasons });
      return reasons.length === 0;
    });
    if (open.length > 0 && input.referralId) {
      const { rows: me } = await tx.query<{ rtt_clock_start: Date; priority: string }>('SELECT rtt_clock_start, priority FROM referral WHERE id = $1::uuid', [
        input.referralId,
      ]);
      if (me[0]) {
        const rank: Rank = { referralId: input.referralId, rttClockStart: me[0].rtt_clock_start, priority: me[0].priority };
        const standing = await serviceStanding(
          tx,
          open.map((r) => r.service_id),
          from,
          rank,
          today,
        );
        open = open.filter((r) => {
          const st = standing.get(r.service_id);
          return !st || st.free > st.ahead;
        });
      }
    }
    // One offer per site: rows come earliest week first, then a service of its own before the default.
    const perSite = new Map<string, (typeof open)[number]>();
    for (const r of open) if (!perSite.has(r.site_ods)) perSite.set(r.site_ods, r);
    if (perSite.size === 0) return { offers: [], excluded };
    const home = await homeOf(tx, input.postcode);
    const candidates: CandidateSite[] = [...perSite.values()].map((r) => ({
      trustOds: r.trust_ods,
      siteOds: r.site_ods,
      latitude: r.latitude,
      longitude: r.longitude,
    }));
    const offers = rankOffers(candidates, home, input.travelRadiusMiles).map((o) => {
      const r = perSite.get(o.siteOds)!;
      return { ...o, earliestWeek: r.earliest, serviceId: r.service_id, distanceBasis: home?.basis ?? ('unknown' as const) };
    });
    return { offers, excluded };
  }

  /** The trusts that stopped being a party to the referral before accepting it: never offered it again. */
  async formerReceivers(tx: Tx, referralId: string): Promise<string[]> {
    const { rows } = await tx.query<{ former_receivers: string[] }>('SELECT former_receivers FROM referral WHERE id = $1::uuid', [referralId]);
    return rows[0]?.former_receivers ?? [];
  }

  /** What the directory's services judge the referral's patient on (BMI and ASA grade from its clinical information, when recorded). */
  async factsOf(tx: Tx, referralId: string, today: Date): Promise<MatchingFacts | undefined> {
    const { rows } = await tx.query<{ procedure_code: string; bmi: string | null; asa_grade: number | null; date_of_birth: Date }>(
      'SELECT r.procedure_code, ci.bmi, ci.asa_grade, p.date_of_birth FROM referral r JOIN patient p ON p.id = r.patient_id LEFT JOIN clinical_information ci ON ci.referral_id = r.id WHERE r.id = $1::uuid',
      [referralId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { procedureCode: r.procedure_code, bmi: r.bmi === null ? null : Number(r.bmi), asaGrade: r.asa_grade, ageYears: ageInYears(r.date_of_birth, today) };
  }

  /**
   * The offers of a referral as of `today`, decided in this one place for every step that makes
   * them (screening, the clinician's review, the offer message): matched against the group's free
   * capacity and the patient's travel radius, and stored. When nothing matches nothing is stored,
   * so offers already made stand (the caller decides what no offer means).
   */
  async refresh(tx: Tx, ref: OfferSubject, today: Date): Promise<{ offers: MatchedOffer[]; excluded: SiteExclusion[] }> {
    const { offers: matched, excluded } = await this.matchWithExclusions(
      tx,
      {
        originOds: ref.originOds,
        specialtyCode: ref.specialtyCode,
        postcode: ref.patient.postcode,
        travelRadiusMiles: ref.travelRadiusMiles,
        referralId: ref.id,
        facts: await this.factsOf(tx, ref.id, today),
        excludeOds: await this.formerReceivers(tx, ref.id),
      },
      today,
    );
    if (matched.length > 0) await this.storeOffers(tx, ref.id, matched);
    // The sites not offered and why, as of this match (the clinician reads them on the referral).
    await tx.query('DELETE FROM site_exclusion WHERE referral_id = $1::uuid', [ref.id]);
    if (excluded.length > 0)
      await tx.query(
        `INSERT INTO site_exclusion (referral_id, service_id, site_ods, reasons)
         SELECT $1::uuid, x.service_id, x.site_ods, string_to_array(x.reasons, ',') FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(service_id, site_ods, reasons)`,
        [ref.id, excluded.map((e) => e.serviceId), excluded.map((e) => e.siteOds), excluded.map((e) => e.reasons.join(','))],
      );
    return { offers: matched, excluded };
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
        `(${q.add(randomUUID())}::uuid, ${r}::uuid, ${q.add(o.receivingOds)}, ${q.add(o.siteOds)}, ${q.add(o.distanceMiles)}::float8, ${q.add(o.distanceBasis)}, ${q.add(o.serviceId)}::uuid, ${q.add(isoDate(o.earliestWeek))}::date)`,
    );
    await tx.query(
      `INSERT INTO offer (id, referral_id, receiving_ods, site_ods, distance_miles, distance_basis, service_id, earliest_week) VALUES ${values.join(', ')}
       ON CONFLICT (referral_id, receiving_ods, site_ods) DO UPDATE SET distance_miles = EXCLUDED.distance_miles, distance_basis = EXCLUDED.distance_basis,
         service_id = EXCLUDED.service_id, earliest_week = EXCLUDED.earliest_week, status = 'OPEN'`,
      q.values,
    );
  }
}

/**
 * Weeks of the capacity of the origin's group's other members for the specialty with a free slot,
 * from a week on: $1 specialty, $2 origin trust, $3 the first week (YYYY-MM-DD), on capacity_week alias `cw`.
 * A trust in no group (not yet added by a group admin) is offered nothing and offers nothing.
 */
const FREE_CAPACITY = `cw.specialty_code = $1 AND cw.trust_ods <> $2 AND cw.week_start >= $3::date AND cw.used < cw.slots
  AND cw.trust_ods IN (SELECT m.trust_ods FROM group_membership m JOIN group_membership o ON o.group_id = m.group_id WHERE o.trust_ods = $2)`;
