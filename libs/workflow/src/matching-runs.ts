// Matching runs (POST /v1/matching/runs): a proposal of how the group's free capacity for a specialty
// could be used for its longest waiters, and how many patients over each cohort band that would clear.
// It only reads: no slot is taken, no referral opened. The proposal is stored (matching_run).
//
// Cohort: open waiting-list entries of every group trust for the specialty, not yet referred, that
// have waited at least minWeeks. Referrals already open are on the offer path and compete there
// (capacity-ledger.ts); slots they have taken are not free here, open offers are not deducted.
// Order: longest wait first (earliest RTT clock start), then clinical priority (P1 first), then id.
// Each patient gets the nearest site of another trust of the caller's group with a free slot, in a
// service that accepts their procedure and age (the directory's rules; BMI and ASA grade are not on
// a waiting list, and unknown values never exclude), within radiusMiles of their full postcode (or
// its district's centroid when the postcode is not loaded), in that service's earliest week with
// room. A patient whose postcode and district are both unknown is not placed (unknownLocation).
//
// Privacy: the group-wide totals (bands, byReceivingTrust, byOriginTrust, byDestination) are for
// every trust; who would go where (placements: entry id, weeks waited, priority) only for the
// caller's own trust's waiting list. A run is read back only by the trust that asked for it.
//
// Scale: free slots F bound the work. Band totals are one aggregate over the partial index
// waiting_list_entry_matching_idx; patients are read in index order, in batches, and reading stops
// once every slot is placed, the cohort ends, or 2F + 1000 patients have been read.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ageInYears, COHORT_BANDS, distanceMiles, exclusionReasons, isoDate, latestClockStartFor, ukDate, weeksWaited, type ServiceRules } from '#domain';
import { PrismaService } from '#persistence';
import type { Caller } from '#auth';
import { firstOfferWeek } from './capacity-ledger.js';
import { ReferralNotFoundError } from './workflow-errors.js';

export interface MatchingRunInput {
  readonly specialtyCode: string;
  readonly minWeeks: number;
  readonly radiusMiles?: number;
  readonly horizonWeeks?: number;
}

export const MATCHING_DEFAULTS = { radiusMiles: 60, horizonWeeks: 26 } as const;
const BATCH = 5000;
const WEEK_MS = 7 * 86_400_000;

interface CohortRow {
  id: string;
  origin_ods: string;
  rtt_clock_start: Date;
  start: string;
  priority: string;
  procedure_code: string;
  date_of_birth: Date;
  latitude: number | null;
  longitude: number | null;
}

interface SiteWeeks {
  readonly trustOds: string;
  readonly siteOds: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly serviceId: string;
  readonly rules: ServiceRules;
  /** Free slots per week, earliest first; decremented as patients are placed. */
  readonly weeks: Array<{ weekStart: string; free: number }>;
  free: number;
}

@Injectable()
export class MatchingRuns {
  constructor(private readonly prisma: PrismaService) {}

  async run(caller: Caller, input: MatchingRunInput, now = new Date()) {
    // Weeks waited and the cohort's cut-off dates count UK days, as the capacity weeks do.
    const today = ukDate(now);
    const started = process.hrtime.bigint();
    const radiusMiles = input.radiusMiles ?? MATCHING_DEFAULTS.radiusMiles;
    const horizonWeeks = input.horizonWeeks ?? MATCHING_DEFAULTS.horizonWeeks;
    const from = firstOfferWeek(now);
    const until = new Date(from.getTime() + horizonWeeks * WEEK_MS);
    const cut = latestClockStartFor(input.minWeeks, today);
    const result = await this.prisma.sqlTransaction(async (tx) => {
      // One consistent, read-only snapshot: the proposal cannot change anything.
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { rows: cap } = await tx.query<{
        service_id: string;
        trust_ods: string;
        site_ods: string;
        week_start: Date;
        free: number;
        latitude: number;
        longitude: number;
        procedures: string[];
        min_age_years: number | null;
      }>(
        `SELECT cw.service_id, cw.trust_ods, cw.site_ods, cw.week_start, (cw.slots - cw.used)::int AS free, s.latitude, s.longitude, sv.procedures, sv.min_age_years
         FROM capacity_week cw JOIN site s ON s.ods = cw.site_ods JOIN service sv ON sv.id = cw.service_id
         WHERE cw.specialty_code = $1 AND cw.week_start >= $2::date AND cw.week_start < $3::date AND cw.used < cw.slots
           AND cw.trust_ods IN (SELECT m.trust_ods FROM group_membership m JOIN group_membership c ON c.group_id = m.group_id WHERE c.trust_ods = $4)
         ORDER BY cw.site_ods, cw.service_id, cw.week_start`,
        [input.specialtyCode, isoDate(from), isoDate(until), caller.ods ?? ''],
      );
      // Per service of a site (a site may offer upper limb apart from hips and knees).
      const sites = new Map<string, SiteWeeks>();
      for (const r of cap) {
        let site = sites.get(r.service_id);
        if (!site)
          sites.set(
            r.service_id,
            (site = {
              trustOds: r.trust_ods,
              siteOds: r.site_ods,
              latitude: r.latitude,
              longitude: r.longitude,
              serviceId: r.service_id,
              rules: { procedures: r.procedures, minAgeYears: r.min_age_years },
              weeks: [],
              free: 0,
            }),
          );
        site.weeks.push({ weekStart: isoDate(r.week_start), free: r.free });
        site.free += r.free;
      }
      const freeSlots = [...sites.values()].reduce((a, s) => a + s.free, 0);

      // Band totals of the cohort: one aggregate over the index.
      const bandCuts = COHORT_BANDS.map((b) => isoDate(latestClockStartFor(Math.max(b, input.minWeeks), today)));
      const { rows: agg } = await tx.query<Record<string, number>>(
        `SELECT count(*)::int AS total, ${COHORT_BANDS.map((b, i) => `count(*) FILTER (WHERE rtt_clock_start <= $${i + 3}::date)::int AS b${b}`).join(', ')}
         FROM waiting_list_entry WHERE status = 'open' AND referral_id IS NULL AND specialty_code = $1 AND rtt_clock_start <= $2::date
           AND origin_ods IN (SELECT m.trust_ods FROM group_membership m JOIN group_membership c ON c.group_id = m.group_id WHERE c.trust_ods = $${COHORT_BANDS.length + 3})`,
        [input.specialtyCode, isoDate(cut), ...bandCuts, caller.ods ?? ''],
      );
      const totals = agg[0];

      // Longest waiters first, as many as the slots can take (and a margin for those out of reach).
      const scanLimit = freeSlots === 0 ? 0 : 2 * freeSlots + 1000;
      const placedWeeks: number[] = [];
      /**
       * Who would go where, for the caller's own trust's entries only (other trusts' waiting lists are
       * theirs): waiting-list entry ids (no names), for its booking team to open referrals from.
       */
      const placements: Array<{
        entryId: string;
        originOds: string;
        weeksWaited: number;
        priority: string;
        receivingOds: string;
        siteOds: string;
        weekStart: string;
        distanceMiles: number;
      }> = [];
      const byDestination = new Map<string, { receivingOds: string; siteOds: string; weekStart: string; patients: number }>();
      const byOrigin = new Map<string, number>();
      let scanned = 0;
      let unknownLocation = 0;
      let noSiteInReach = 0;
      let remaining = freeSlots;
      let key: { start: string; priority: string; id: string } | null = null;
      while (remaining > 0 && scanned < scanLimit) {
        const limit = Math.min(BATCH, scanLimit - scanned);
        const { rows }: { rows: CohortRow[] } = await tx.query<CohortRow>(
          `SELECT e.id, e.origin_ods, e.rtt_clock_start, e.rtt_clock_start::text AS start, e.priority, e.procedure_code, e.date_of_birth,
                  COALESCE(pc.latitude, d.latitude) AS latitude, COALESCE(pc.longitude, d.longitude) AS longitude
           FROM (SELECT id, origin_ods, rtt_clock_start, priority, postcode, procedure_code, date_of_birth FROM waiting_list_entry
                 WHERE status = 'open' AND referral_id IS NULL AND specialty_code = $1 AND rtt_clock_start <= $2::date
                   AND ($3::date IS NULL OR (rtt_clock_start, priority, id) > ($3::date, $4::text, $5::uuid))
                   AND origin_ods IN (SELECT m.trust_ods FROM group_membership m JOIN group_membership c ON c.group_id = m.group_id WHERE c.trust_ods = $7)
                 ORDER BY rtt_clock_start, priority, id LIMIT $6) e
           LEFT JOIN postcode pc ON pc.postcode = upper(replace(e.postcode, ' ', ''))
           LEFT JOIN postcode_district d ON d.district = left(upper(replace(e.postcode, ' ', '')), length(replace(e.postcode, ' ', '')) - 3)
           ORDER BY e.rtt_clock_start, e.priority, e.id`,
          [input.specialtyCode, isoDate(cut), key?.start ?? null, key?.priority ?? null, key?.id ?? null, limit, caller.ods ?? ''],
        );
        if (rows.length === 0) break;
        for (const e of rows) {
          if (remaining === 0) break;
          scanned++;
          if (e.latitude === null || e.longitude === null) {
            unknownLocation++;
            continue;
          }
          let best: SiteWeeks | null = null;
          let bestMiles = Infinity;
          for (const s of sites.values()) {
            if (s.free === 0 || s.trustOds === e.origin_ods) continue;
            if (exclusionReasons({ procedureCode: e.procedure_code, ageYears: ageInYears(e.date_of_birth, today) }, s.rules).length > 0) continue;
            const miles = distanceMiles({ latitude: e.latitude, longitude: e.longitude }, s);
            if (miles > radiusMiles) continue;
            if (miles < bestMiles || (miles === bestMiles && best && s.siteOds < best.siteOds)) [best, bestMiles] = [s, miles];
          }
          if (!best) {
            noSiteInReach++;
            continue;
          }
          const week = best.weeks.find((w) => w.free > 0)!;
          week.free--;
          best.free--;
          remaining--;
          const weeks = weeksWaited(e.rtt_clock_start, today);
          placedWeeks.push(weeks);
          if (e.origin_ods === caller.ods)
            placements.push({
              entryId: e.id,
              originOds: e.origin_ods,
              weeksWaited: weeks,
              priority: e.priority,
              receivingOds: best.trustOds,
              siteOds: best.siteOds,
              weekStart: week.weekStart,
              distanceMiles: bestMiles,
            });
          const k = `${best.siteOds}/${week.weekStart}`;
          const dest = byDestination.get(k) ?? { receivingOds: best.trustOds, siteOds: best.siteOds, weekStart: week.weekStart, patients: 0 };
          dest.patients++;
          byDestination.set(k, dest);
          byOrigin.set(e.origin_ods, (byOrigin.get(e.origin_ods) ?? 0) + 1);
        }
        const last: CohortRow = rows[rows.length - 1];
        key = { start: last.start, priority: last.priority, id: last.id };
        if (rows.length < limit) break;
      }

      const bands = COHORT_BANDS.map((b) => {
        const waiting = totals[`b${b}`];
        const cleared = placedWeeks.filter((w) => w >= b).length;
        return { band: b, waiting, cleared, remaining: waiting - cleared };
      });
      const perTrust = new Map<string, number>();
      for (const d of byDestination.values()) perTrust.set(d.receivingOds, (perTrust.get(d.receivingOds) ?? 0) + d.patients);
      return {
        asOf: isoDate(today),
        specialtyCode: input.specialtyCode,
        minWeeks: input.minWeeks,
        radiusMiles,
        horizon: { fromWeek: isoDate(from), toWeek: isoDate(new Date(until.getTime() - WEEK_MS)), weeks: horizonWeeks },
        freeSlots,
        cohortSize: totals['total'],
        proposed: placedWeeks.length,
        slotsLeft: remaining,
        scanned,
        notPlaced: { unknownLocation, noSiteWithinRadius: noSiteInReach },
        bands,
        byReceivingTrust: [...perTrust]
          .map(([receivingOds, patients]) => ({ receivingOds, patients }))
          .sort((a, b) => a.receivingOds.localeCompare(b.receivingOds)),
        byOriginTrust: [...byOrigin].map(([originOds, patients]) => ({ originOds, patients })).sort((a, b) => a.originOds.localeCompare(b.originOds)),
        byDestination: [...byDestination.values()].sort((a, b) => a.siteOds.localeCompare(b.siteOds) || a.weekStart.localeCompare(b.weekStart)),
        placements,
      };
    });
    const durationMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const id = randomUUID();
    const params = { specialtyCode: input.specialtyCode, minWeeks: input.minWeeks, radiusMiles, horizonWeeks };
    const { rows } = await this.prisma.sql.query<{ created_at: Date }>(
      `INSERT INTO matching_run (id, specialty_code, min_weeks, params, result, created_by, created_by_ods, duration_ms)
       VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8) RETURNING created_at`,
      [id, input.specialtyCode, input.minWeeks, JSON.stringify(params), JSON.stringify(result), caller.sub, caller.ods ?? null, durationMs],
    );
    return { id, createdAt: rows[0].created_at.toISOString(), createdBy: caller.sub, durationMs, params, result };
  }

  /** A run, for the trust that asked for it only: another trust's run is not found (404). */
  async get(caller: Caller, id: string) {
    const { rows } = await this.prisma.sql.query<{ id: string; params: unknown; result: unknown; created_by: string; duration_ms: number; created_at: Date }>(
      'SELECT id, params, result, created_by, duration_ms, created_at FROM matching_run WHERE id = $1::uuid AND created_by_ods IS NOT DISTINCT FROM $2',
      [id, caller.ods ?? null],
    );
    const r = rows[0];
    if (!r) throw new ReferralNotFoundError('Matching run');
    return {
      id: r.id,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
      durationMs: r.duration_ms,
      params: r.params,
      result: ownPlacements(r.result, caller.ods),
    };
  }
}

/** A stored result with placements of the trust's own entries only (runs stored before this rule kept every trust's). */
function ownPlacements(result: unknown, ods: string | null): unknown {
  const r = result as { placements?: Array<{ originOds: string }> } | null;
  if (!r || !Array.isArray(r.placements)) return result;
  return { ...r, placements: r.placements.filter((p) => p.originOds === ods) };
}
