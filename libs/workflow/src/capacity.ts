// Capacity declared by each trust to the group, per site and specialty (treatment function code),
// held as slots per Monday-start week (capacity_week) that accepted offers use up (capacity-ledger.ts).
import { Injectable } from '@nestjs/common';
import { isoDate, parseIsoDate } from '#domain';
import { PrismaService } from '#persistence';
import { BusinessRuleError } from './workflow-errors.js';
import { mondayOf } from './capacity-ledger.js';

export interface CapacityDeclaration {
  readonly weeklySlots: number;
  readonly fromDate: Date;
  readonly toDate: Date;
  /** Defaults to the trust's main site. */
  readonly siteOds?: string | null;
  /** Weeks with a different number of slots (weekStart: a Monday within the dates). */
  readonly weeks?: ReadonlyArray<{ readonly weekStart: string; readonly slots: number }>;
}

/** A declaration covers at most about two years of weeks. */
const MAX_WEEKS = 106;
const WEEK_MS = 7 * 86_400_000;

interface DeclarationRow {
  trust_ods: string;
  specialty_code: string;
  site_ods: string;
  weekly_slots: number;
  from_date: Date;
  to_date: Date;
  updated_at: Date;
}
interface WeekRow {
  site_ods: string;
  specialty_code: string;
  week_start: Date;
  slots: number;
  used: number;
}

@Injectable()
export class CapacityService {
  constructor(private readonly prisma: PrismaService) {}

  async declare(trustOds: string, specialtyCode: string, d: CapacityDeclaration) {
    if (d.toDate < d.fromDate) throw new BusinessRuleError('toDate is before fromDate', { field: 'toDate' });
    const first = mondayOf(d.fromDate);
    const count = Math.floor((mondayOf(d.toDate).getTime() - first.getTime()) / WEEK_MS) + 1;
    if (count > MAX_WEEKS) throw new BusinessRuleError(`A declaration covers at most ${MAX_WEEKS} weeks; this one covers ${count}`, { field: 'toDate' });
    const weeks = Array.from({ length: count }, (_, i) => isoDate(new Date(first.getTime() + i * WEEK_MS)));
    const slots = weeks.map(() => d.weeklySlots);
    for (const [i, w] of (d.weeks ?? []).entries()) {
      const day = parseIsoDate(w.weekStart);
      if (!day || day.getUTCDay() !== 1) throw new BusinessRuleError(`weeks[${i}].weekStart must be a Monday`, { field: `weeks[${i}].weekStart` });
      const at = weeks.indexOf(w.weekStart);
      if (at < 0)
        throw new BusinessRuleError(`weeks[${i}].weekStart ${w.weekStart} is not a week between fromDate and toDate`, { field: `weeks[${i}].weekStart` });
      slots[at] = w.slots;
    }
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: sites } = await tx.query<{ ods: string }>(
        `SELECT s.ods FROM trust t JOIN site s ON s.ods = COALESCE($2, t.main_site_ods) AND s.trust_ods = t.ods WHERE t.ods = $1`,
        [trustOds, d.siteOds ?? null],
      );
      const siteOds = sites[0]?.ods;
      if (!siteOds) throw new BusinessRuleError(`Site ${d.siteOds} is not a site of ${trustOds}`, { field: 'siteOds' });
      const { rows } = await tx.query<DeclarationRow>(
        `INSERT INTO capacity (id, trust_ods, specialty_code, site_ods, weekly_slots, from_date, to_date, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::date, $6::date, now())
         ON CONFLICT (trust_ods, site_ods, specialty_code) DO UPDATE
           SET weekly_slots = EXCLUDED.weekly_slots, from_date = EXCLUDED.from_date, to_date = EXCLUDED.to_date, updated_at = now()
         RETURNING trust_ods, specialty_code, site_ods, weekly_slots, from_date, to_date, updated_at`,
        [trustOds, specialtyCode, siteOds, d.weeklySlots, isoDate(d.fromDate), isoDate(d.toDate)],
      );
      // Slots change; what is used stays (it may then exceed slots, and nothing more is taken).
      await tx.query(
        `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, week_start, slots)
         SELECT $1, $2, $3, w, n FROM unnest($4::date[], $5::int[]) AS x(w, n)
         ON CONFLICT (site_ods, specialty_code, week_start) DO UPDATE SET slots = EXCLUDED.slots, updated_at = now()`,
        [trustOds, siteOds, specialtyCode, weeks, slots],
      );
      // Weeks from now on that the new dates no longer cover offer nothing more.
      await tx.query(
        `UPDATE capacity_week SET slots = 0, updated_at = now()
         WHERE site_ods = $1 AND specialty_code = $2 AND week_start >= $3::date AND NOT (week_start = ANY($4::date[])) AND slots <> 0`,
        [siteOds, specialtyCode, isoDate(mondayOf(new Date())), weeks],
      );
      const { rows: weekRows } = await tx.query<WeekRow>(
        `SELECT site_ods, specialty_code, week_start, slots, used FROM capacity_week WHERE site_ods = $1 AND specialty_code = $2 AND week_start >= $3::date ORDER BY week_start`,
        [siteOds, specialtyCode, isoDate(mondayOf(new Date()))],
      );
      return view(rows[0], weekRows);
    });
  }

  /** The sites a trust declares capacity at, main site first. */
  async sites(trustOds: string): Promise<Array<{ ods: string; name: string }>> {
    const { rows } = await this.prisma.sql.query<{ ods: string; name: string }>(
      `SELECT s.ods, s.name FROM site s JOIN trust t ON t.ods = s.trust_ods WHERE s.trust_ods = $1 ORDER BY s.ods = t.main_site_ods DESC, s.name`,
      [trustOds],
    );
    return rows;
  }

  /** Declarations with their weeks from this week on: slots, used and free per site and week. */
  async list(specialtyCode?: string) {
    const thisWeek = isoDate(mondayOf(new Date()));
    const { rows } = await this.prisma.sql.query<DeclarationRow>(
      `SELECT trust_ods, specialty_code, site_ods, weekly_slots, from_date, to_date, updated_at FROM capacity
       WHERE ($1::text IS NULL OR specialty_code = $1) ORDER BY specialty_code, trust_ods, site_ods`,
      [specialtyCode ?? null],
    );
    const { rows: weekRows } = await this.prisma.sql.query<WeekRow>(
      `SELECT site_ods, specialty_code, week_start, slots, used FROM capacity_week
       WHERE ($1::text IS NULL OR specialty_code = $1) AND week_start >= $2::date ORDER BY site_ods, specialty_code, week_start`,
      [specialtyCode ?? null, thisWeek],
    );
    const bySiteSpecialty = new Map<string, WeekRow[]>();
    for (const w of weekRows) {
      const k = `${w.site_ods}/${w.specialty_code}`;
      bySiteSpecialty.set(k, [...(bySiteSpecialty.get(k) ?? []), w]);
    }
    return { items: rows.map((r) => view(r, bySiteSpecialty.get(`${r.site_ods}/${r.specialty_code}`) ?? [])), nextCursor: null };
  }
}

function view(r: DeclarationRow, weeks: readonly WeekRow[]) {
  const shown = weeks.map((w) => ({ weekStart: isoDate(w.week_start), slots: w.slots, used: w.used, free: Math.max(w.slots - w.used, 0) }));
  return {
    ods: r.trust_ods,
    specialtyCode: r.specialty_code,
    siteOds: r.site_ods,
    weeklySlots: r.weekly_slots,
    fromDate: isoDate(r.from_date),
    toDate: isoDate(r.to_date),
    updatedAt: r.updated_at.toISOString(),
    totals: { slots: shown.reduce((a, w) => a + w.slots, 0), used: shown.reduce((a, w) => a + w.used, 0), free: shown.reduce((a, w) => a + w.free, 0) },
    weeks: shown,
  };
}
