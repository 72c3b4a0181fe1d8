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
import { firstOfferWeek, serviceStandingColumns, type Rank } from './capacity-ledger.js';

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

/** A patient's home and what it was found from, the full postcode or its district (null: not known). */
export type Home = (LatLon & { basis: DistanceBasis }) | null;

/** The home's row for a postcode: the full postcode where it is loaded, else its district (at most one row). */
function homeSql(p: SqlParams, postcode: string): string {
  return `SELECT latitude, longitude, 'postcode' AS basis FROM postcode WHERE postcode = ${p.add(postcode.toUpperCase().replace(/\s+/g, ''))}
     UNION ALL SELECT latitude, longitude, 'district' FROM postcode_district WHERE district = ${p.add(postcodeDistrict(postcode))}
     LIMIT 1`;
}

/** Where the patient lives, as precisely as the postcode tables know it (null: not known). */
export async function homeOf(tx: Tx, postcode: string): Promise<Home> {
  const p = new SqlParams();
  const { rows } = await tx.query<{ latitude: number; longitude: number; basis: DistanceBasis }>(homeSql(p, postcode), p.values);
  return rows[0] ?? null;
}

/** What the match knows of its subject beforehand (refresh reads it all in one statement: subjectOf). */
interface Known {
  readonly facts?: MatchingFacts;
  readonly excludeOds: readonly string[];
  readonly rank: Rank | null;
  /** Undefined: not read (the match looks it up); null: not known. */
  readonly home: Home | undefined;
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
    let rank: Rank | null = null;
    if (input.referralId) {
      const { rows: me } = await tx.query<{ rtt_clock_start: Date; priority: string }>('SELECT rtt_clock_start, priority FROM referral WHERE id = $1::uuid', [
        input.referralId,
      ]);
      if (me[0]) rank = { referralId: input.referralId, rttClockStart: me[0].rtt_clock_start, priority: me[0].priority };
    }
    return this.matchKnown(tx, input, today, { facts: input.facts, excludeOds: input.excludeOds ?? [], rank, home: undefined });
  }

  /**
   * The match itself, with what is known of the subject: one statement finds the candidate services
   * and, with a rank, each one's standing (capacity-ledger.ts), and the home is read only when not
   * known and something is to be ranked by distance.
   */
  private async matchKnown(tx: Tx, input: MatchInput, today: Date, known: Known): Promise<{ offers: MatchedOffer[]; excluded: SiteExclusion[] }> {
    const from = firstOfferWeek(today);
    // FREE_CAPACITY's $1-$3 first.
    const p = new SqlParams();
    p.add(input.specialtyCode);
    p.add(input.originOds);
    p.add(isoDate(from));
    const exclude = p.add([...known.excludeOds]);
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
      free: number;
      ahead: number;
    }>(
      // The weeks are grouped by service first and only then joined to their site and service: a
      // join before the grouping looked up the site and the service once per week with room (about
      // fifty a service) and sorted those wide rows to group them (docs/benchmarks.md, 2026-12-04).
      `WITH w AS (
         SELECT cw.service_id, cw.trust_ods, cw.site_ods, min(cw.week_start) AS earliest FROM capacity_week cw
         WHERE ${FREE_CAPACITY} AND NOT (cw.trust_ods = ANY(${exclude}::text[]))
         GROUP BY cw.service_id, cw.trust_ods, cw.site_ods)
       SELECT w.service_id, w.trust_ods, w.site_ods, w.earliest, s.latitude, s.longitude,
              sv.procedures, sv.max_bmi, sv.max_asa_grade, sv.min_age_years, sv.is_default,
              ${serviceStandingColumns(p, 'w.service_id', from, known.rank, today)}
       FROM w JOIN site s ON s.ods = w.site_ods JOIN service sv ON sv.id = w.service_id
       ORDER BY w.site_ods, w.earliest, sv.is_default, w.service_id`,
      p.values,
    );
    const excluded: SiteExclusion[] = [];
    const open = rows.filter((r) => {
      if (!known.facts) return true;
      const reasons = exclusionReasons(known.facts, {
        procedures: r.procedures,
        maxBmi: r.max_bmi === null ? null : Number(r.max_bmi),
        maxAsaGrade: r.max_asa_grade,
        minAgeYears: r.min_age_years,
      });
      if (reasons.length > 0) excluded.push({ serviceId: r.service_id, siteOds: r.site_ods, receivingOds: r.trust_ods, reasons });
      return reasons.length === 0;
    });
    // Short capacity goes to those ahead first: a service whose free slots they hold is not offered.
    const standing = known.rank ? open.filter((r) => r.free > r.ahead) : open;
    // One offer per site: rows come earliest week first, then a service of its own before the default.
    const perSite = new Map<string, (typeof open)[number]>();
    for (const r of standing) if (!perSite.has(r.site_ods)) perSite.set(r.site_ods, r);
    if (perSite.size === 0) return { offers: [], excluded };
    const home = known.home === undefined ? await homeOf(tx, input.postcode) : known.home;
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

  /**
   * What refresh reads of its subject, in one statement: what the directory's services judge the
   * patient on (procedure, BMI and ASA grade from the clinical information when recorded, age), the
   * trusts that stopped being a party to it before accepting it (never offered it again), its rank for
   * short capacity, and the patient's home. Undefined when the referral is not there.
   */
  private async subjectOf(tx: Tx, ref: OfferSubject, today: Date): Promise<Known | undefined> {
    const p = new SqlParams();
    const id = p.add(ref.id);
    const { rows } = await tx.query<{
      procedure_code: string;
      bmi: string | null;
      asa_grade: number | null;
      date_of_birth: Date;
      former_receivers: string[];
      rtt_clock_start: Date;
      priority: string;
      latitude: number | null;
      longitude: number | null;
      basis: DistanceBasis | null;
    }>(
      `SELECT r.procedure_code, ci.bmi, ci.asa_grade, p.date_of_birth, r.former_receivers, r.rtt_clock_start, r.priority, h.latitude, h.longitude, h.basis
       FROM referral r JOIN patient p ON p.id = r.patient_id LEFT JOIN clinical_information ci ON ci.referral_id = r.id
         LEFT JOIN LATERAL (${homeSql(p, ref.patient.postcode)}) h ON true
       WHERE r.id = ${id}::uuid`,
      p.values,
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      facts: {
        procedureCode: r.procedure_code,
        bmi: r.bmi === null ? null : Number(r.bmi),
        asaGrade: r.asa_grade,
        ageYears: ageInYears(r.date_of_birth, today),
      },
      excludeOds: r.former_receivers,
      rank: { referralId: ref.id, rttClockStart: r.rtt_clock_start, priority: r.priority },
      home: r.basis === null || r.latitude === null || r.longitude === null ? null : { latitude: r.latitude, longitude: r.longitude, basis: r.basis },
    };
  }

  /**
   * The offers of a referral as of `today`, decided in this one place for every step that makes
   * them (screening, the clinician's review, the offer message): matched against the group's free
   * capacity and the patient's travel radius, and stored. When nothing matches nothing is stored,
   * so offers already made stand (the caller decides what no offer means). Three statements in all
   * (issue 20): the subject, the candidates with their standing, and the write. `alsoExclude`: trusts
   * that stop being a party in the same transaction, not yet among the referral's former receivers.
   */
  async refresh(tx: Tx, ref: OfferSubject, today: Date, alsoExclude: readonly string[] = []): Promise<{ offers: MatchedOffer[]; excluded: SiteExclusion[] }> {
    const input: MatchInput = {
      originOds: ref.originOds,
      specialtyCode: ref.specialtyCode,
      postcode: ref.patient.postcode,
      travelRadiusMiles: ref.travelRadiusMiles,
      referralId: ref.id,
    };
    const subject = (await this.subjectOf(tx, ref, today)) ?? { excludeOds: [], rank: null, home: undefined };
    const known = { ...subject, excludeOds: [...subject.excludeOds, ...alsoExclude] };
    const { offers, excluded } = await this.matchKnown(tx, input, today, known);
    await this.store(tx, ref.id, offers, excluded);
    return { offers, excluded };
  }

  /**
   * Stores a match in one statement: the matched offers as OPEN (open offers no longer matched are
   * withdrawn; with none matched, the offers already made stand), and the sites not offered and why,
   * as of this match (the clinician reads them on the referral), in place of the last match's.
   * All parts see the same snapshot and run in no set order, so no two touch the same row: the
   * withdrawal takes the offers not matched and the upsert the matched; the exclusions not kept are
   * deleted and the kept upserted (a delete and an insert of one key in one statement would collide).
   */
  private async store(tx: Tx, referralId: string, offers: readonly MatchedOffer[], excluded: readonly SiteExclusion[]): Promise<void> {
    await tx.query(
      `WITH matched AS (
         SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::uuid[], $8::date[])
           AS m(id, receiving_ods, site_ods, distance_miles, distance_basis, service_id, earliest_week)),
       withdrawn AS (
         UPDATE offer o SET status = 'WITHDRAWN'
         WHERE o.referral_id = $1::uuid AND o.status = 'OPEN' AND EXISTS (SELECT 1 FROM matched)
           AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.receiving_ods = o.receiving_ods AND m.site_ods = o.site_ods)),
       stored AS (
         INSERT INTO offer (id, referral_id, receiving_ods, site_ods, distance_miles, distance_basis, service_id, earliest_week)
         SELECT m.id, $1::uuid, m.receiving_ods, m.site_ods, m.distance_miles, m.distance_basis, m.service_id, m.earliest_week FROM matched m
         ON CONFLICT (referral_id, receiving_ods, site_ods) DO UPDATE SET distance_miles = EXCLUDED.distance_miles, distance_basis = EXCLUDED.distance_basis,
           service_id = EXCLUDED.service_id, earliest_week = EXCLUDED.earliest_week, status = 'OPEN'),
       excluded AS (
         SELECT * FROM unnest($9::uuid[], $10::text[], $11::text[]) AS x(service_id, site_ods, reasons)),
       dropped AS (
         DELETE FROM site_exclusion se WHERE se.referral_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM excluded x WHERE x.service_id = se.service_id))
       INSERT INTO site_exclusion (referral_id, service_id, site_ods, reasons)
       SELECT $1::uuid, x.service_id, x.site_ods, string_to_array(x.reasons, ',') FROM excluded x
       ON CONFLICT (referral_id, service_id) DO UPDATE SET site_ods = EXCLUDED.site_ods, reasons = EXCLUDED.reasons, at = now()`,
      [
        referralId,
        offers.map(() => randomUUID()),
        offers.map((o) => o.receivingOds),
        offers.map((o) => o.siteOds),
        offers.map((o) => o.distanceMiles),
        offers.map((o) => o.distanceBasis),
        offers.map((o) => o.serviceId),
        offers.map((o) => isoDate(o.earliestWeek)),
        excluded.map((e) => e.serviceId),
        excluded.map((e) => e.siteOds),
        excluded.map((e) => e.reasons.join(',')),
      ],
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
