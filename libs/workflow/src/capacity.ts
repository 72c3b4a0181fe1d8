// Capacity declared by each trust to the group, per service of a site (service-directory.ts), held as
// slots per Monday-start week (capacity_week) that accepted offers use up (capacity-ledger.ts).
//
// A declaration names its service, or only a treatment function (PUT /v1/capacity/:ods/:specialty as
// before): then it is the site's default service for that treatment function, made on first use,
// which accepts every procedure and excludes no one until an admin gives it rules. We chose a
// default service over "the service that accepts the referral's procedure" because a declaration
// is made before any referral: it must name one set of slots, and a site with two services of the
// same treatment function (upper limb apart from hips and knees) declares each by its serviceId.
import { Injectable } from '@nestjs/common';
import { isoDate, parseIsoDate } from '#domain';
import { PrismaService } from '#persistence';
import { BusinessRuleError } from './workflow-errors.js';
import { mondayOf } from './capacity-ledger.js';
import type { Tx } from './referral-transition.js';

/** The site's default service for a treatment function (every procedure, no exclusions), made on first use. */
export async function defaultService(tx: Tx, trustOds: string, siteOds: string, treatmentFunction: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO service (trust_ods, site_ods, treatment_function, name, is_default, updated_by)
     VALUES ($1, $2, $3, 'Treatment function ' || $3, true, 'capacity declaration')
     ON CONFLICT (site_ods, treatment_function) WHERE is_default DO UPDATE SET treatment_function = EXCLUDED.treatment_function
     RETURNING id`,
    [trustOds, siteOds, treatmentFunction],
  );
  return rows[0].id;
}

export interface CapacityDeclaration {
  readonly weeklySlots: number;
  readonly fromDate: Date;
  readonly toDate: Date;
  /** Defaults to the trust's main site (or the service's site). */
  readonly siteOds?: string | null;
  /** The service of the trust the slots are for; without it, the site's default service for the treatment function. */
  readonly serviceId?: string | null;
  /** Weeks with a different number of slots (weekStart: a Monday within the dates). */
  readonly weeks?: ReadonlyArray<{ readonly weekStart: string; readonly slots: number }>;
}

/** A declaration covers at most about two years of weeks. */
const MAX_WEEKS = 106;
const WEEK_MS = 7 * 86_400_000;

interface DeclarationRow {
  service_id: string;
  service_name: string;
  service_default: boolean;
  trust_ods: string;
  specialty_code: string;
  site_ods: string;
  weekly_slots: number;
  from_date: Date;
  to_date: Date;
  updated_at: Date;
}
interface WeekRow {
  service_id: string;
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
      const { siteOds, serviceId } = await this.serviceFor(tx, trustOds, specialtyCode, d);
      const { rows } = await tx.query<DeclarationRow>(
        `WITH c AS (
           INSERT INTO capacity (id, trust_ods, specialty_code, site_ods, service_id, weekly_slots, from_date, to_date, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $7::uuid, $4, $5::date, $6::date, now())
           ON CONFLICT (service_id) DO UPDATE
             SET weekly_slots = EXCLUDED.weekly_slots, from_date = EXCLUDED.from_date, to_date = EXCLUDED.to_date, updated_at = now()
           RETURNING service_id, trust_ods, specialty_code, site_ods, weekly_slots, from_date, to_date, updated_at)
         SELECT c.*, sv.name AS service_name, sv.is_default AS service_default FROM c JOIN service sv ON sv.id = c.service_id`,
        [trustOds, specialtyCode, siteOds, d.weeklySlots, isoDate(d.fromDate), isoDate(d.toDate), serviceId],
      );
      // Slots change; what is used stays (it may then exceed slots, and nothing more is taken).
      await tx.query(
        `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, service_id, week_start, slots)
         SELECT $1, $2, $3, $6::uuid, w, n FROM unnest($4::date[], $5::int[]) AS x(w, n)
         ON CONFLICT (service_id, week_start) DO UPDATE SET slots = EXCLUDED.slots, updated_at = now()`,
        [trustOds, siteOds, specialtyCode, weeks, slots, serviceId],
      );
      // Weeks from now on that the new dates no longer cover offer nothing more.
      await tx.query(
        `UPDATE capacity_week SET slots = 0, updated_at = now()
         WHERE service_id = $1::uuid AND week_start >= $2::date AND NOT (week_start = ANY($3::date[])) AND slots <> 0`,
        [serviceId, isoDate(mondayOf(new Date())), weeks],
      );
      const { rows: weekRows } = await tx.query<WeekRow>(
        `SELECT service_id, site_ods, specialty_code, week_start, slots, used FROM capacity_week WHERE service_id = $1::uuid AND week_start >= $2::date ORDER BY week_start`,
        [serviceId, isoDate(mondayOf(new Date()))],
      );
      return view(rows[0], weekRows);
    });
  }

  /** The service a declaration is for: the one it names (of the trust, the treatment function, and the site if named), or the site's default service. */
  private async serviceFor(tx: Tx, trustOds: string, specialtyCode: string, d: CapacityDeclaration): Promise<{ siteOds: string; serviceId: string }> {
    if (d.serviceId) {
      const { rows } = await tx.query<{ id: string; site_ods: string; treatment_function: string }>(
        'SELECT id, site_ods, treatment_function FROM service WHERE id = $1::uuid AND trust_ods = $2',
        [d.serviceId, trustOds],
      );
      const sv = rows[0];
      if (!sv) throw new BusinessRuleError(`Service ${d.serviceId} is not a service of ${trustOds}`, { field: 'serviceId' });
      if (sv.treatment_function !== specialtyCode)
        throw new BusinessRuleError(`Service ${d.serviceId} is for treatment function ${sv.treatment_function}, not ${specialtyCode}`, { field: 'serviceId' });
      if (d.siteOds && d.siteOds !== sv.site_ods)
        throw new BusinessRuleError(`Service ${d.serviceId} is at ${sv.site_ods}, not ${d.siteOds}`, { field: 'siteOds' });
      return { siteOds: sv.site_ods, serviceId: sv.id };
    }
    const { rows: sites } = await tx.query<{ ods: string }>(
      `SELECT s.ods FROM trust t JOIN site s ON s.ods = COALESCE($2, t.main_site_ods) AND s.trust_ods = t.ods WHERE t.ods = $1`,
      [trustOds, d.siteOds ?? null],
    );
    const siteOds = sites[0]?.ods;
    if (!siteOds) throw new BusinessRuleError(`Site ${d.siteOds} is not a site of ${trustOds}`, { field: 'siteOds' });
    return { siteOds, serviceId: await defaultService(tx, trustOds, siteOds, specialtyCode) };
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
      `SELECT c.service_id, sv.name AS service_name, sv.is_default AS service_default, c.trust_ods, c.specialty_code, c.site_ods, c.weekly_slots, c.from_date, c.to_date, c.updated_at
       FROM capacity c JOIN service sv ON sv.id = c.service_id
       WHERE ($1::text IS NULL OR c.specialty_code = $1) ORDER BY c.specialty_code, c.trust_ods, c.site_ods, sv.is_default DESC, sv.name`,
      [specialtyCode ?? null],
    );
    const { rows: weekRows } = await this.prisma.sql.query<WeekRow>(
      `SELECT service_id, site_ods, specialty_code, week_start, slots, used FROM capacity_week
       WHERE ($1::text IS NULL OR specialty_code = $1) AND week_start >= $2::date ORDER BY service_id, week_start`,
      [specialtyCode ?? null, thisWeek],
    );
    const byService = new Map<string, WeekRow[]>();
    for (const w of weekRows) byService.set(w.service_id, [...(byService.get(w.service_id) ?? []), w]);
    return { items: rows.map((r) => view(r, byService.get(r.service_id) ?? [])), nextCursor: null };
  }
}

function view(r: DeclarationRow, weeks: readonly WeekRow[]) {
  const shown = weeks.map((w) => ({ weekStart: isoDate(w.week_start), slots: w.slots, used: w.used, free: Math.max(w.slots - w.used, 0) }));
  return {
    ods: r.trust_ods,
    specialtyCode: r.specialty_code,
    siteOds: r.site_ods,
    serviceId: r.service_id,
    serviceName: r.service_name,
    /** The site's default service for the treatment function (a declaration that named no service). */
    defaultService: r.service_default,
    weeklySlots: r.weekly_slots,
    fromDate: isoDate(r.from_date),
    toDate: isoDate(r.to_date),
    updatedAt: r.updated_at.toISOString(),
    totals: { slots: shown.reduce((a, w) => a + w.slots, 0), used: shown.reduce((a, w) => a + w.used, 0), free: shown.reduce((a, w) => a + w.free, 0) },
    weeks: shown,
  };
}
