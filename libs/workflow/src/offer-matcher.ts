// Matches a referral to group members declaring capacity for its specialty, nearest site first.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isoDate, postcodeDistrict, rankOffers, type CandidateSite, type RankedOffer } from '#domain';
import { SqlParams } from '#persistence';
import type { Tx } from './referral-transition.js';

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
    const { rows } = await tx.query<{ trust_ods: string }>(`SELECT DISTINCT c.trust_ods FROM capacity c WHERE ${ACTIVE_CAPACITY} ORDER BY c.trust_ods`, [
      specialtyCode,
      originOds,
      isoDate(today),
    ]);
    return rows.map((r) => r.trust_ods);
  }

  async match(tx: Tx, input: MatchInput, today: Date): Promise<MatchedOffer[]> {
    // Capacity in force with the site it is offered at (the trust's main site unless it names one),
    // and the patient's postcode district centroid: one statement.
    const district = postcodeDistrict(input.postcode);
    const { rows } = await tx.query<{ trust_ods: string; from_date: Date; site_ods: string | null; latitude: number | null; longitude: number | null; home_lat: number | null; home_lon: number | null }>(
      `SELECT c.trust_ods, c.from_date, s.ods AS site_ods, s.latitude, s.longitude, h.latitude AS home_lat, h.longitude AS home_lon
       FROM capacity c JOIN trust t ON t.ods = c.trust_ods
       LEFT JOIN site s ON s.ods = COALESCE(c.site_ods, t.main_site_ods)
       LEFT JOIN postcode_district h ON h.district = $4
       WHERE ${ACTIVE_CAPACITY}
       ORDER BY c.trust_ods`,
      [input.specialtyCode, input.originOds, isoDate(today), district],
    );
    if (rows.length === 0) return [];
    const candidates: CandidateSite[] = [];
    for (const r of rows) {
      if (r.site_ods && r.latitude !== null && r.longitude !== null) candidates.push({ trustOds: r.trust_ods, siteOds: r.site_ods, latitude: r.latitude, longitude: r.longitude });
    }
    const h = rows[0]!;
    const home = h.home_lat !== null && h.home_lon !== null ? { latitude: h.home_lat, longitude: h.home_lon } : null;
    const nextMonday = mondayAfter(today);
    const fromByTrust = new Map(rows.map((c) => [c.trust_ods, c.from_date]));
    return rankOffers(candidates, home, input.travelRadiusMiles).map((o) => {
      const from = fromByTrust.get(o.receivingOds)!;
      return { ...o, earliestWeek: from > nextMonday ? mondayAfter(from, true) : nextMonday };
    });
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
      (o) => `(${q.add(randomUUID())}::uuid, ${r}::uuid, ${q.add(o.receivingOds)}, ${q.add(o.siteOds)}, ${q.add(o.distanceMiles)}::float8, ${q.add(isoDate(o.earliestWeek))}::date)`,
    );
    await tx.query(
      `INSERT INTO offer (id, referral_id, receiving_ods, site_ods, distance_miles, earliest_week) VALUES ${values.join(', ')}
       ON CONFLICT (referral_id, receiving_ods, site_ods) DO UPDATE SET distance_miles = EXCLUDED.distance_miles, earliest_week = EXCLUDED.earliest_week, status = 'OPEN'`,
      q.values,
    );
  }
}

/**
 * Capacity other group members declare for the specialty, with slots, in force on the day:
 * $1 specialty, $2 origin trust, $3 the day (YYYY-MM-DD), on capacity alias `c`.
 */
const ACTIVE_CAPACITY = `c.specialty_code = $1 AND c.trust_ods <> $2 AND c.weekly_slots > 0 AND c.from_date <= $3::date AND c.to_date >= $3::date`;

/** The Monday after `d` (or `d` itself when it is a Monday and `inclusive`). */
function mondayAfter(d: Date, inclusive = false): Date {
  const day = new Date(isoDate(d) + 'T00:00:00Z');
  const dow = day.getUTCDay();
  let add = (8 - dow) % 7;
  if (add === 0 && !inclusive) add = 7;
  day.setUTCDate(day.getUTCDate() + add);
  return day;
}
