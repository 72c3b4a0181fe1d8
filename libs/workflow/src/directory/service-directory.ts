// The group's service directory: each trust's sites (address, postcode, booking team's phone) and the
// services each site offers to the group (treatment function, OPCS-4 procedures accepted, exclusions,
// booking guidance), kept by the trust's admins; and the group's membership, kept by group admins.
// Matching (offer-matcher.ts) reads services through capacity_week; the seed writes through the same tables.
import { Injectable } from '@nestjs/common';
import { postcodeDistrict, procedurePatternProblem } from '#domain';
import { PrismaService, type SqlRunner } from '#persistence';
import type { Caller } from '#auth';
import type { Readable } from 'node:stream';
import { homeOf } from '../offer-matcher.js';
import { SiteNames } from '../site-names.js';
import { loadPostcodes, type PostcodeLoadOptions, type PostcodeLoadResult } from '../postcodes/postcode-loader.js';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError, WrongSideError } from '../workflow-errors.js';

export interface SiteInput {
  readonly name: string;
  readonly address: string;
  readonly postcode: string;
  /** The site's booking team when it is not the trust's (null: the trust's number). */
  readonly bookingPhone?: string | null;
}

export interface ServiceInput {
  readonly treatmentFunction: string;
  readonly name: string;
  /** OPCS-4 codes, prefixes or ranges; empty: every procedure of the treatment function. */
  readonly procedures: readonly string[];
  readonly maxBmi?: number | null;
  readonly maxAsaGrade?: number | null;
  readonly minAgeYears?: number | null;
  readonly bookingGuidance?: string | null;
}

export interface NewTrustInput {
  readonly ods: string;
  readonly name: string;
  readonly bookingPhone?: string | null;
  readonly bookingPhoneHours?: string | null;
  readonly mainSite: SiteInput & { readonly ods: string };
}

interface SiteRow {
  ods: string;
  trust_ods: string;
  name: string;
  address: string | null;
  postcode: string;
  booking_phone: string | null;
  trust_booking_phone: string | null;
  is_main: boolean;
  updated_at: Date;
}
interface ServiceRow {
  id: string;
  trust_ods: string;
  site_ods: string;
  treatment_function: string;
  name: string;
  procedures: string[];
  max_bmi: string | null;
  max_asa_grade: number | null;
  min_age_years: number | null;
  booking_guidance: string | null;
  is_default: boolean;
  updated_by: string;
  updated_at: Date;
}

const SERVICE_COLUMNS =
  'id, trust_ods, site_ods, treatment_function, name, procedures, max_bmi, max_asa_grade, min_age_years, booking_guidance, is_default, updated_by, updated_at';

@Injectable()
export class ServiceDirectory {
  constructor(
    private readonly prisma: PrismaService,
    private readonly names: SiteNames,
  ) {}

  /** The sites of the caller's group (or of one trust of it), each with its services. */
  async sites(caller: Caller, trustOds?: string) {
    const { rows: sites } = await this.prisma.sql.query<SiteRow>(
      `SELECT s.ods, s.trust_ods, s.name, s.address, s.postcode, s.booking_phone, t.booking_phone AS trust_booking_phone, s.ods = t.main_site_ods AS is_main, s.updated_at
       FROM site s JOIN trust t ON t.ods = s.trust_ods
       WHERE s.trust_ods IN (SELECT m.trust_ods FROM group_membership m JOIN group_membership c ON c.group_id = m.group_id WHERE c.trust_ods = $1)
         AND ($2::text IS NULL OR s.trust_ods = $2)
       ORDER BY s.trust_ods, s.ods = t.main_site_ods DESC, s.name`,
      [caller.ods ?? '', trustOds ?? null],
    );
    const { rows: services } = await this.prisma.sql.query<ServiceRow>(
      `SELECT ${SERVICE_COLUMNS} FROM service WHERE site_ods = ANY($1::text[]) ORDER BY site_ods, treatment_function, is_default, name`,
      [sites.map((s) => s.ods)],
    );
    return {
      items: sites.map((s) =>
        siteView(
          s,
          services.filter((v) => v.site_ods === s.ods),
        ),
      ),
    };
  }

  /** Adds or changes a site of the caller's trust; its position comes from the postcode tables. */
  async putSite(caller: Caller, siteOds: string, input: SiteInput) {
    const ods = requireTrust(caller);
    return this.prisma
      .sqlTransaction(async (tx) => {
        const { rows: existing } = await tx.query<{ trust_ods: string }>('SELECT trust_ods FROM site WHERE ods = $1 FOR UPDATE', [siteOds]);
        if (existing[0] && existing[0].trust_ods !== ods) throw new WrongSideError(`Only an admin of ${existing[0].trust_ods} may change its site ${siteOds}`);
        const at = await locate(tx, input.postcode, 'postcode');
        await tx.query(
          `INSERT INTO site (ods, trust_ods, name, address, postcode, booking_phone, latitude, longitude, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (ods) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, postcode = EXCLUDED.postcode,
           booking_phone = EXCLUDED.booking_phone, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, updated_at = now()`,
          [siteOds, ods, input.name, input.address, at.postcode, input.bookingPhone ?? null, at.latitude, at.longitude],
        );
        return this.site(tx, siteOds);
      })
      .finally(() => this.names.forget());
  }

  /** A new service at a site of the caller's trust. */
  async addService(caller: Caller, siteOds: string, input: ServiceInput) {
    const ods = requireTrust(caller);
    checkService(input);
    return this.prisma.sqlTransaction(async (tx) => {
      await this.ownSite(tx, ods, siteOds);
      const { rows } = await tx.query<ServiceRow>(
        `INSERT INTO service (trust_ods, site_ods, treatment_function, name, procedures, max_bmi, max_asa_grade, min_age_years, booking_guidance, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (site_ods, name) DO NOTHING RETURNING ${SERVICE_COLUMNS}`,
        [ods, siteOds, ...serviceValues(input), caller.sub],
      );
      if (!rows[0]) throw new DuplicateError(`${siteOds} already has a service named ${JSON.stringify(input.name)}`, { field: 'name' });
      return serviceView(rows[0]);
    });
  }

  /** Changes a service of the caller's trust (its treatment function stays: capacity declared for it is for that one). */
  async putService(caller: Caller, id: string, input: ServiceInput) {
    const ods = requireTrust(caller);
    checkService(input);
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: found } = await tx.query<ServiceRow>(`SELECT ${SERVICE_COLUMNS} FROM service WHERE id = $1::uuid FOR UPDATE`, [id]);
      const sv = found[0];
      if (!sv) throw new ReferralNotFoundError('Service');
      if (sv.trust_ods !== ods) throw new WrongSideError(`Only an admin of ${sv.trust_ods} may change its services`);
      if (sv.treatment_function !== input.treatmentFunction)
        throw new BusinessRuleError(`The service is for treatment function ${sv.treatment_function}: add a new service for ${input.treatmentFunction}`, {
          field: 'treatmentFunction',
        });
      const clash = await tx.query('SELECT 1 FROM service WHERE site_ods = $1 AND name = $2 AND id <> $3::uuid', [sv.site_ods, input.name, id]);
      if (clash.rowCount) throw new DuplicateError(`${sv.site_ods} already has a service named ${JSON.stringify(input.name)}`, { field: 'name' });
      const { rows } = await tx.query<ServiceRow>(
        `UPDATE service SET treatment_function = $2, name = $3, procedures = $4, max_bmi = $5, max_asa_grade = $6, min_age_years = $7,
           booking_guidance = $8, updated_by = $9, updated_at = now()
         WHERE id = $1::uuid RETURNING ${SERVICE_COLUMNS}`,
        [id, ...serviceValues(input), caller.sub],
      );
      return serviceView(rows[0]);
    });
  }

  /** Loads an ONS Postcode Directory CSV in one transaction (a refused file changes nothing). */
  loadPostcodes(body: Readable, options: PostcodeLoadOptions): Promise<PostcodeLoadResult> {
    return this.prisma.sqlTransaction((tx) => loadPostcodes(tx, body, options));
  }

  /** The caller's group and its members. */
  async group(caller: Caller) {
    const { rows } = await this.prisma.sql.query<{ id: string; name: string; ods: string; trust_name: string; added_by: string; added_at: Date }>(
      `SELECT g.id, g.name, t.ods, t.name AS trust_name, m.added_by, m.added_at
       FROM group_membership c JOIN trust_group g ON g.id = c.group_id JOIN group_membership m ON m.group_id = g.id JOIN trust t ON t.ods = m.trust_ods
       WHERE c.trust_ods = $1 ORDER BY t.ods`,
      [caller.ods ?? ''],
    );
    if (!rows[0]) throw new ReferralNotFoundError('Group');
    return {
      id: rows[0].id,
      name: rows[0].name,
      members: rows.map((r) => ({ ods: r.ods, name: r.trust_name, addedBy: r.added_by, addedAt: r.added_at.toISOString() })),
    };
  }

  /**
   * A group admin adds a trust to their group: the trust (new, or one already known but in no group)
   * with its main site. Its admins then keep its sites, services and capacity; its referrals match
   * the group's capacity and its capacity is offered to the group's referrals.
   */
  async addTrust(caller: Caller, input: NewTrustInput) {
    const adminOds = requireTrust(caller);
    return this.prisma
      .sqlTransaction(async (tx) => {
        const { rows: groups } = await tx.query<{ group_id: string }>('SELECT group_id FROM group_membership WHERE trust_ods = $1', [adminOds]);
        const groupId = groups[0]?.group_id;
        if (!groupId) throw new WrongSideError(`Your trust (${adminOds}) is in no group, so you cannot add a trust to one`);
        const { rows: member } = await tx.query<{ group_id: string }>('SELECT group_id FROM group_membership WHERE trust_ods = $1', [input.ods]);
        if (member[0]) throw new DuplicateError(`${input.ods} is already a member of a group`, { field: 'ods' });
        const { rows: site } = await tx.query<{ trust_ods: string }>('SELECT trust_ods FROM site WHERE ods = $1', [input.mainSite.ods]);
        if (site[0] && site[0].trust_ods !== input.ods)
          throw new DuplicateError(`Site ${input.mainSite.ods} is a site of ${site[0].trust_ods}`, { field: 'mainSite.ods' });
        const at = await locate(tx, input.mainSite.postcode, 'mainSite.postcode');
        await tx.query(
          `INSERT INTO trust (ods, name, main_site_ods, booking_phone, booking_phone_hours) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ods) DO UPDATE SET name = EXCLUDED.name, main_site_ods = EXCLUDED.main_site_ods,
           booking_phone = COALESCE(EXCLUDED.booking_phone, trust.booking_phone), booking_phone_hours = COALESCE(EXCLUDED.booking_phone_hours, trust.booking_phone_hours)`,
          [input.ods, input.name, input.mainSite.ods, input.bookingPhone ?? null, input.bookingPhoneHours ?? null],
        );
        await tx.query(
          `INSERT INTO site (ods, trust_ods, name, address, postcode, booking_phone, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (ods) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, postcode = EXCLUDED.postcode,
           latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, updated_at = now()`,
          [
            input.mainSite.ods,
            input.ods,
            input.mainSite.name,
            input.mainSite.address,
            at.postcode,
            input.mainSite.bookingPhone ?? null,
            at.latitude,
            at.longitude,
          ],
        );
        await tx.query('INSERT INTO group_membership (trust_ods, group_id, added_by) VALUES ($1, $2, $3)', [input.ods, groupId, caller.sub]);
        return { ods: input.ods, name: input.name, groupId, mainSiteOds: input.mainSite.ods };
      })
      .finally(() => this.names.forget());
  }

  private async ownSite(tx: SqlRunner, ods: string, siteOds: string): Promise<void> {
    const { rows } = await tx.query<{ trust_ods: string }>('SELECT trust_ods FROM site WHERE ods = $1', [siteOds]);
    if (!rows[0]) throw new ReferralNotFoundError('Site');
    if (rows[0].trust_ods !== ods) throw new WrongSideError(`Only an admin of ${rows[0].trust_ods} may add services to its site ${siteOds}`);
  }

  private async site(tx: SqlRunner, siteOds: string) {
    const { rows } = await tx.query<SiteRow>(
      `SELECT s.ods, s.trust_ods, s.name, s.address, s.postcode, s.booking_phone, t.booking_phone AS trust_booking_phone, s.ods = t.main_site_ods AS is_main, s.updated_at
       FROM site s JOIN trust t ON t.ods = s.trust_ods WHERE s.ods = $1`,
      [siteOds],
    );
    const { rows: services } = await tx.query<ServiceRow>(
      `SELECT ${SERVICE_COLUMNS} FROM service WHERE site_ods = $1 ORDER BY treatment_function, is_default, name`,
      [siteOds],
    );
    return siteView(rows[0], services);
  }
}

function requireTrust(caller: Caller): string {
  if (!caller.ods) throw new WrongSideError('Only staff of a trust change the directory');
  return caller.ods;
}

/** A site's postcode, as written, and where it is: from the postcode tables (a site cannot be placed by guesswork). */
async function locate(tx: SqlRunner, postcode: string, field: string): Promise<{ postcode: string; latitude: number; longitude: number }> {
  const district = postcodeDistrict(postcode);
  if (!district) throw new BusinessRuleError(`${field} is not a UK postcode`, { field });
  const home = await homeOf(tx, postcode);
  if (!home)
    throw new BusinessRuleError(
      `${field} ${postcode} is not in the postcode tables: load the ONS Postcode Directory for its area first (POST /v1/postcodes/loads)`,
      {
        field,
      },
    );
  const compact = postcode.toUpperCase().replace(/\s+/g, '');
  return { postcode: `${compact.slice(0, -3)} ${compact.slice(-3)}`, latitude: home.latitude, longitude: home.longitude };
}

function checkService(input: ServiceInput): void {
  for (const [i, p] of input.procedures.entries()) {
    const problem = procedurePatternProblem(p);
    if (problem) throw new BusinessRuleError(`procedures[${i}]: ${problem}`, { field: `procedures[${i}]` });
  }
  if (input.name.toLowerCase().startsWith('treatment function '))
    throw new BusinessRuleError('Names starting "Treatment function" are kept for the default service of a capacity declaration without one', {
      field: 'name',
    });
}

function serviceValues(input: ServiceInput) {
  return [
    input.treatmentFunction,
    input.name,
    [...input.procedures],
    input.maxBmi ?? null,
    input.maxAsaGrade ?? null,
    input.minAgeYears ?? null,
    input.bookingGuidance ?? null,
  ] as const;
}

function serviceView(r: ServiceRow) {
  return {
    id: r.id,
    trustOds: r.trust_ods,
    siteOds: r.site_ods,
    treatmentFunction: r.treatment_function,
    name: r.name,
    procedures: r.procedures,
    exclusions: { maxBmi: r.max_bmi === null ? null : Number(r.max_bmi), maxAsaGrade: r.max_asa_grade, minAgeYears: r.min_age_years },
    bookingGuidance: r.booking_guidance,
    /** Made by a capacity declaration that named no service: every procedure, no exclusions until changed. */
    isDefault: r.is_default,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at.toISOString(),
  };
}

function siteView(s: SiteRow, services: readonly ServiceRow[]) {
  return {
    ods: s.ods,
    trustOds: s.trust_ods,
    name: s.name,
    address: s.address,
    postcode: s.postcode,
    /** The site's own booking line, else the trust's. */
    bookingPhone: s.booking_phone ?? s.trust_booking_phone,
    mainSite: s.is_main,
    updatedAt: s.updated_at.toISOString(),
    services: services.map(serviceView),
  };
}

export type SiteView = ReturnType<typeof siteView>;
export type ServiceView = ReturnType<typeof serviceView>;
