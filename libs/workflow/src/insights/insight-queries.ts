// The figures behind the insights pages and the weekly report (docs/insights.md): the referral
// funnel, weeks waited on the origin list against those transferred, capacity per site and week, the
// equity of offers and acceptances, and the matching what-if. Raw counts only: suppression of small
// counts is the caller's (libs/domain equity.ts), done before anything is shown or downloaded.
// A scope is one trust's referrals (those it referred) or the whole group's. Each figure is one
// aggregate statement; no patient row leaves the database.
import { Injectable } from '@nestjs/common';
import { AGE_BANDS, COHORT_BANDS, DISTANCE_BANDS, FINAL_STATUSES, RECEIVER_OWNS, isoDate, ukDate, type ReferralStatus } from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import { firstOfferWeek, mondayOf } from '../capacity-ledger.js';
import { decileSql, postcodeDirectoryPresent } from './deprivation.js';

/** null: the whole group; otherwise the ODS code of the referring trust. */
export type InsightScope = string | null;

export interface FunnelStage {
  readonly stage: string;
  readonly referrals: number;
}

export interface WaitBandCount {
  readonly band: string;
  readonly originList: number;
  readonly transferred: number;
}

export interface CapacityCell {
  readonly siteOds: string;
  readonly siteName: string;
  readonly weekStart: string;
  readonly slots: number;
  readonly used: number;
}

export type EquityDimension = 'age' | 'sex' | 'ethnicity' | 'deprivation' | 'distance';

export interface EquityRow {
  readonly dimension: EquityDimension;
  /** The group's value (an age band, a sex code, an IMD decile...); null: not recorded. */
  readonly group: string | null;
  readonly eligible: number;
  readonly offered: number;
  readonly accepted: number;
  readonly declined: number;
  readonly waiting: number;
  /** Median weeks waited when the patient accepted (the transfer), of those who accepted. */
  readonly weeksBefore: number | null;
  /** Median weeks from accepting to treatment (or to today, not yet treated), of those who accepted. */
  readonly weeksAfter: number | null;
}

export interface WhatIfWeek {
  readonly weekStart: string;
  readonly freeSlots: number;
  /** Patients still waiting at least each band's weeks at the end of that week (by band). */
  readonly over: Record<number, number>;
}

export interface WhatIf {
  readonly specialtyCode: string;
  readonly cohort: number;
  readonly weeks: WhatIfWeek[];
  /** The first week with no one waiting over 65 (then 52) weeks; null: not within the horizon. */
  readonly clearedBy: Record<number, string | null>;
}

/** Wait bands of the distribution (the cohort bands and below them). */
export const WAIT_BANDS = [
  { label: 'under 18 weeks', from: 0 },
  ...COHORT_BANDS.map((b, i) => ({ label: i + 1 < COHORT_BANDS.length ? `${b} to ${COHORT_BANDS[i + 1] - 1} weeks` : `${b} weeks or more`, from: b })),
] as const;

/** The milestones the what-if is read against: no one over 65 weeks, then no one over 52. */
export const WHAT_IF_MILESTONES = [65, 52] as const;
/** The bands the what-if draws, longest first. */
export const WHAT_IF_BANDS = [104, 78, 65, 52] as const;
export const WHAT_IF_HORIZON_WEEKS = 26;

const WEEK_MS = 7 * 86_400_000;
const OFFERED_STATUSES: readonly ReferralStatus[] = ['AWAITING_PATIENT_CONSENT', 'DECLINED'];
const WAITING_STATUSES: readonly ReferralStatus[] = ['AWAITING_CLINICAL_REVIEW', 'AWAITING_PATIENT_CONSENT'];
const FUNNEL: ReadonlyArray<{ stage: string; column: string }> = [
  { stage: 'Opened', column: 'opened' },
  { stage: 'Passed screening', column: 'eligible' },
  { stage: 'Offered a transfer', column: 'offered' },
  { stage: 'Accepted an offer', column: 'accepted' },
  { stage: 'Transfer of care accepted', column: 'transferred' },
  { stage: 'Booked', column: 'booked' },
  { stage: 'Treated', column: 'treated' },
  { stage: 'Discharged', column: 'discharged' },
];

const bandCase = (expr: string, bands: ReadonlyArray<{ label: string; from: number }>) =>
  `CASE ${[...bands]
    .reverse()
    .map((b) => `WHEN ${expr} >= ${b.from} THEN '${b.label}'`)
    .join(' ')} END`;

@Injectable()
export class InsightQueries {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Per referral: passed screening (an offer was made at screening: screening passes only with one),
   * offered (the clinician found it suitable and the patient was asked), accepted an offer, the
   * transfer of care accepted, booked, treated, discharged. From the status and the parties, not
   * the timeline, so it stays one pass over the referrals.
   */
  private facts(p: SqlParams, scope: InsightScope, today: Date, extra = ''): string {
    const scopeSql = scope ? `AND r.origin_ods = ${p.add(scope)}` : '';
    const final = p.add([...FINAL_STATUSES]);
    return `SELECT r.id, r.status::text AS status, r.rtt_clock_start, r.rtt_clock_stop,
        nearest.miles AS nearest_miles,
        nearest.miles IS NOT NULL AS eligible,
        (r.receiving_ods IS NOT NULL OR r.former_receiving_ods IS NOT NULL) AS accepted,
        (r.receiving_ods IS NOT NULL OR r.former_receiving_ods IS NOT NULL OR r.status::text = ANY(${p.add(OFFERED_STATUSES)})) AS offered,
        r.status::text = 'DECLINED' AS declined,
        nearest.miles IS NOT NULL AND r.status::text = ANY(${p.add(WAITING_STATUSES)}) AS waiting,
        r.status::text = ANY(${p.add([...RECEIVER_OWNS])}) AS transferred,
        r.status::text = ANY(${p.add(['BOOKED', 'TREATED', 'DISCHARGED'])}) AS booked,
        r.status::text = ANY(${p.add(['TREATED', 'DISCHARGED'])}) AS treated,
        r.status::text = 'DISCHARGED' AS discharged,
        r.status::text = ANY(${final}) AS final${extra}
      FROM referral r
      LEFT JOIN LATERAL (SELECT min(o.distance_miles) AS miles FROM offer o WHERE o.referral_id = r.id) nearest ON true
      WHERE true ${scopeSql}`;
  }

  async funnel(scope: InsightScope, now = new Date()): Promise<FunnelStage[]> {
    const p = new SqlParams();
    const sql = `SELECT count(*)::int AS opened, ${FUNNEL.slice(1)
      .map((f) => `count(*) FILTER (WHERE ${f.column})::int AS ${f.column}`)
      .join(', ')} FROM (${this.facts(p, scope, ukDate(now))}) f`;
    const { rows } = await this.prisma.sql.query<Record<string, number>>(sql, p.values);
    return FUNNEL.map((f) => ({ stage: f.stage, referrals: rows[0][f.column] }));
  }

  /**
   * Weeks waited (to today, or to the clock stop) in bands: the origin list (open waiting-list entries
   * not yet referred, and referrals still with the referring trust) against those transferred (a
   * receiving trust accepted: their wait as it is now, across the transfer).
   */
  async waits(scope: InsightScope, now = new Date()): Promise<WaitBandCount[]> {
    const p = new SqlParams();
    const today = p.add(isoDate(ukDate(now)));
    const ods = scope ? p.add(scope) : null;
    const weeks = (start: string, stop: string | null) => `((COALESCE(${stop ?? 'NULL'}, ${today}::date) - ${start}) / 7)`;
    const sql = `SELECT band, count(*) FILTER (WHERE NOT transferred)::int AS origin, count(*) FILTER (WHERE transferred)::int AS transferred FROM (
        SELECT ${bandCase(weeks('w.rtt_clock_start', null), WAIT_BANDS)} AS band, false AS transferred
          FROM waiting_list_entry w WHERE w.status = 'open' AND w.referral_id IS NULL ${ods ? `AND w.origin_ods = ${ods}` : ''}
        UNION ALL
        SELECT ${bandCase(weeks('r.rtt_clock_start', 'r.rtt_clock_stop'), WAIT_BANDS)}, r.status::text = ANY(${p.add([...RECEIVER_OWNS])})
          FROM referral r
          WHERE (r.status::text = ANY(${p.add([...RECEIVER_OWNS])}) OR NOT (r.status::text = ANY(${p.add([...FINAL_STATUSES])})))
            ${ods ? `AND r.origin_ods = ${ods}` : ''}
      ) x GROUP BY band`;
    const { rows } = await this.prisma.sql.query<{ band: string; origin: number; transferred: number }>(sql, p.values);
    return WAIT_BANDS.map((b) => {
      const r = rows.find((x) => x.band === b.label);
      return { band: b.label, originList: r?.origin ?? 0, transferred: r?.transferred ?? 0 };
    });
  }

  /** Slots and slots taken per site and week, every specialty together, for `weeks` weeks from this week. */
  async capacity(scope: InsightScope, weeks = 12, now = new Date()): Promise<CapacityCell[]> {
    const p = new SqlParams();
    const from = mondayOf(ukDate(now));
    const sql = `SELECT cw.site_ods, s.name AS site_name, to_char(cw.week_start, 'YYYY-MM-DD') AS week_start, sum(cw.slots)::int AS slots, sum(cw.used)::int AS used
      FROM capacity_week cw JOIN site s ON s.ods = cw.site_ods
      WHERE cw.week_start >= ${p.add(isoDate(from))}::date AND cw.week_start < ${p.add(isoDate(new Date(from.getTime() + weeks * WEEK_MS)))}::date
        ${scope ? `AND cw.trust_ods = ${p.add(scope)}` : ''}
      GROUP BY cw.site_ods, s.name, cw.week_start ORDER BY s.name, cw.week_start`;
    const { rows } = await this.prisma.sql.query<{ site_ods: string; site_name: string; week_start: string; slots: number; used: number }>(sql, p.values);
    return rows.map((r) => ({ siteOds: r.site_ods, siteName: r.site_name, weekStart: r.week_start, slots: r.slots, used: r.used }));
  }

  /**
   * Of those eligible (passed screening), who was offered, accepted, declined or is still waiting for
   * a review or an answer, by age band, sex, ethnic category, IMD decile and distance to the nearest
   * site offered; and the median weeks waited before and after the transfer. One pass, grouping sets.
   */
  async equity(scope: InsightScope, now = new Date()): Promise<{ rows: EquityRow[]; deprivationKnown: boolean }> {
    const p = new SqlParams();
    const today = ukDate(now);
    const present = await postcodeDirectoryPresent(this.prisma.sql);
    const dep = decileSql(present, 'pt');
    const todayP = p.add(isoDate(today));
    const facts = this.facts(
      p,
      scope,
      today,
      `, date_part('year', age(${todayP}::date, pt.date_of_birth))::int AS age_years, pt.sex, pt.ethnic_category, ${dep.decile} AS decile,
         ((c.claimed_at AT TIME ZONE 'Europe/London')::date - r.rtt_clock_start) / 7.0 AS weeks_before,
         CASE WHEN c.claimed_at IS NOT NULL THEN (COALESCE(r.rtt_clock_stop, ${todayP}::date) - (c.claimed_at AT TIME ZONE 'Europe/London')::date) / 7.0 END AS weeks_after`,
    ).replace(
      'FROM referral r',
      `FROM referral r JOIN patient pt ON pt.id = r.patient_id ${dep.joins}
       LEFT JOIN capacity_claim c ON c.referral_id = r.id`,
    );
    const ageBand = bandCase('age_years', AGE_BANDS);
    const distanceBand = bandCase('nearest_miles', DISTANCE_BANDS);
    const sql = `SELECT
        CASE WHEN GROUPING(age_band) = 0 THEN 'age' WHEN GROUPING(sex) = 0 THEN 'sex' WHEN GROUPING(ethnic_category) = 0 THEN 'ethnicity'
             WHEN GROUPING(decile) = 0 THEN 'deprivation' ELSE 'distance' END AS dimension,
        COALESCE(age_band, sex, ethnic_category, decile::text, distance_band) AS grp,
        count(*)::int AS eligible, count(*) FILTER (WHERE offered)::int AS offered, count(*) FILTER (WHERE accepted)::int AS accepted,
        count(*) FILTER (WHERE declined)::int AS declined, count(*) FILTER (WHERE waiting)::int AS waiting,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY weeks_before) FILTER (WHERE accepted AND weeks_before IS NOT NULL) AS weeks_before,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY weeks_after) FILTER (WHERE accepted AND weeks_after IS NOT NULL) AS weeks_after
      FROM (SELECT f.*, ${ageBand} AS age_band, ${distanceBand} AS distance_band FROM (${facts}) f WHERE f.eligible) e
      GROUP BY GROUPING SETS ((age_band), (sex), (ethnic_category), (decile), (distance_band))`;
    const { rows } = await this.prisma.sql.query<{
      dimension: EquityDimension;
      grp: string | null;
      eligible: number;
      offered: number;
      accepted: number;
      declined: number;
      waiting: number;
      weeks_before: number | null;
      weeks_after: number | null;
    }>(sql, p.values);
    return {
      deprivationKnown: present,
      rows: rows.map((r) => ({
        dimension: r.dimension,
        group: r.grp,
        eligible: r.eligible,
        offered: r.offered,
        accepted: r.accepted,
        declined: r.declined,
        waiting: r.waiting,
        weeksBefore: r.weeks_before === null ? null : Math.round(Number(r.weeks_before) * 10) / 10,
        weeksAfter: r.weeks_after === null ? null : Math.round(Number(r.weeks_after) * 10) / 10,
      })),
    };
  }

  /** The specialty with the most open waiting-list entries not yet referred (the what-if's default). */
  async busiestSpecialty(): Promise<string | null> {
    const { rows } = await this.prisma.sql.query<{ specialty_code: string }>(
      `SELECT specialty_code FROM waiting_list_entry WHERE status = 'open' AND referral_id IS NULL GROUP BY specialty_code ORDER BY count(*) DESC, specialty_code LIMIT 1`,
    );
    return rows[0]?.specialty_code ?? null;
  }

  /**
   * The matching what-if, week by week: the group's open waiting list for a specialty (entries not yet
   * referred, as a matching run's cohort) served longest waiter first by the group's free slots of
   * each week (slots declared less slots taken), every patient a week older each week. Distance and
   * site are left out (a matching run places each patient; this asks only whether the slots suffice),
   * so it is the best the declared capacity could do.
   */
  async whatIf(specialtyCode: string, now = new Date()): Promise<WhatIf> {
    const today = ukDate(now);
    const first = firstOfferWeek(now);
    const until = new Date(first.getTime() + WHAT_IF_HORIZON_WEEKS * WEEK_MS);
    const [{ rows: cohort }, { rows: cap }] = await Promise.all([
      this.prisma.sql.query<{ weeks: number; n: number }>(
        `SELECT GREATEST(0, ($2::date - rtt_clock_start) / 7)::int AS weeks, count(*)::int AS n
         FROM waiting_list_entry WHERE status = 'open' AND referral_id IS NULL AND specialty_code = $1 GROUP BY 1`,
        [specialtyCode, isoDate(today)],
      ),
      this.prisma.sql.query<{ week_start: string; free: number }>(
        `SELECT to_char(week_start, 'YYYY-MM-DD') AS week_start, sum(GREATEST(slots - used, 0))::int AS free FROM capacity_week
         WHERE specialty_code = $1 AND week_start >= $2::date AND week_start < $3::date GROUP BY week_start`,
        [specialtyCode, isoDate(first), isoDate(until)],
      ),
    ]);
    const freeByWeek = new Map(cap.map((c) => [c.week_start, c.free]));
    // Patients by weeks waited today, longest first; each served week takes from the front.
    const list = cohort.map((c) => ({ weeks: c.weeks, n: c.n })).sort((a, b) => b.weeks - a.weeks);
    const weeks: WhatIfWeek[] = [];
    const clearedBy: Record<number, string | null> = Object.fromEntries(WHAT_IF_MILESTONES.map((m) => [m, null]));
    const offset = Math.round((first.getTime() - mondayOf(today).getTime()) / WEEK_MS);
    for (let w = 0; w < WHAT_IF_HORIZON_WEEKS; w++) {
      const weekStart = isoDate(new Date(first.getTime() + w * WEEK_MS));
      const freeSlots = freeByWeek.get(weekStart) ?? 0;
      let free = freeSlots;
      for (const g of list) {
        if (free === 0) break;
        const take = Math.min(free, g.n);
        g.n -= take;
        free -= take;
      }
      // At the end of that week, each patient has waited (today's weeks + weeks gone by + 1).
      const age = offset + w + 1;
      const over = Object.fromEntries(WHAT_IF_BANDS.map((b) => [b, list.reduce((a, g) => a + (g.weeks + age >= b ? g.n : 0), 0)]));
      weeks.push({ weekStart, freeSlots, over });
      for (const m of WHAT_IF_MILESTONES) if (clearedBy[m] === null && over[m] === 0) clearedBy[m] = weekStart;
    }
    return { specialtyCode, cohort: cohort.reduce((a, c) => a + c.n, 0), weeks, clearedBy };
  }
}
