// Reads: one referral, the worklists (keyset-paginated), notifications, a patient's own referrals.
import { Injectable } from '@nestjs/common';
import { CLINICAL_TEXT_ROLES, type Caller } from '#auth';
import { PrismaService, SqlParams } from '#persistence';
import {
  isoDate,
  isRealDateTime,
  isUuid,
  latestClockStartFor,
  NO_REQUIREMENTS,
  PRIORITIES,
  requirementsSummary,
  REFERRAL_STATUSES,
  weeksWaited,
  WORKLIST_NAMES,
  WORKLIST_STATUSES,
  type ReferralStatus,
  type WorklistName,
} from '#domain';
import { visibleToSql } from './referral-scope.js';
import { statusMatch } from './status-sql.js';
import type { TaskTeam } from './tasks.js';
import { ReferralNotFoundError, BusinessRuleError } from './workflow-errors.js';
import { SiteNames } from './site-names.js';
import {
  bookingView,
  dispatchStateView,
  exclusionView,
  notificationView,
  offerView,
  referralSummary,
  requirementsView,
  timelineView,
  type NotificationHistoryRow,
  type StoredRequirements,
} from './referral-views.js';
import { storedRequirementsSql } from './referral/additional-requirements.js';
import { clinicalInformationJson, clinicalInformationView, type ClinicalInformationRow } from './referral/clinical-package.js';
import { informationRequestsSql, informationRequestView, type InformationRequestRow } from './referral/information-requests.js';
import { attachmentsSql, attachmentView, type AttachmentRow } from './attachments/attachments.js';
import { dispatchesOf } from './mesh/dispatches.js';
import {
  bookingsFromJson,
  exclusionsSql,
  type ExclusionRow,
  bookingsSql,
  eventsFromJson,
  eventsSql,
  notesFromJson,
  notesSql,
  offersFromJson,
  offersSql,
  PATIENT_CONTACT,
  PATIENT_IDENTITY,
  PATIENT_RECORD,
  patientColumnNames,
  patientColumns,
  referralColumns,
  referralFromJson,
  referralJsonFields,
  withPatient,
  type ReferralJson,
  type AsJson,
  type BookingRow,
  type EventRow,
  type NoteRow,
  type OfferRow,
  type PatientRow,
  type ReferralRow,
} from './referral-row.js';

export interface WorklistQuery {
  readonly worklist?: WorklistName;
  readonly status?: readonly ReferralStatus[];
  readonly specialty?: string;
  readonly minWeeksWaited?: number;
  readonly side?: 'origin' | 'receiving';
  readonly needsAttention?: boolean;
  readonly sort?: 'weeksWaited' | 'priority';
  readonly cursor?: string;
  readonly limit?: number;
}

/**
 * The named worklists as SQL: the side of the caller's trust each is read from (none: either side),
 * the team that works it (emailed when a referral lands on it: reminders/reminder-sweep.ts), and
 * any test beyond the statuses it shows (WORKLIST_STATUSES in libs/domain, the one place those are
 * named). Keep README "Worklists" in step.
 *
 * - clinical-review: origin.
 * - to-book: receiving; no booking of any kind currently BOOKED.
 * - booking-changed: receiving; its statuses read as one ordered range each of the partial
 *   booking_changed indexes, merged; and `booking_changed`, which the booking commands keep: some
 *   booking of the referral is CANCELLED or DID_NOT_ATTEND with no booking of the same kind created at or after its
 *   cancelled_at (not rebooked since). A rebooking takes the referral off the list; cancelling that
 *   one puts it back. Bookings cancelled because the referral closed are not listed (the referral's
 *   status is then final).
 * - receiver-acceptance: receiving.
 * - handback-acceptance: origin (the follow-up handed back after treatment, for the referring clinician).
 * - needs-attention: either side; needs_attention.
 *
 * The booking tests end in `OFFSET 0` so Postgres keeps them as per-row index probes of the
 * referrals walked in order (stopping at the page size) rather than turning them into a hash
 * (anti-)join that reads the whole booking table.
 */
export const WORKLISTS: Readonly<
  Record<WorklistName, { readonly side: 'origin' | 'receiving' | undefined; readonly team: TaskTeam; readonly where: readonly string[] }>
> = {
  'clinical-review': { side: 'origin', team: 'clinical', where: [] },
  'to-book': {
    side: 'receiving',
    team: 'booking',
    where: [`NOT EXISTS (SELECT 1 FROM booking b WHERE b.referral_id = r.id AND b.status = 'BOOKED' OFFSET 0)`],
  },
  'booking-changed': { side: 'receiving', team: 'booking', where: ['r.booking_changed'] },
  'receiver-acceptance': { side: 'receiving', team: 'clinical', where: [] },
  'handback-acceptance': { side: 'origin', team: 'clinical', where: [] },
  'needs-attention': { side: undefined, team: 'booking', where: ['r.needs_attention'] },
};

/** What the referral view's statement reads: the referral and its patient, and what it has. */
type ViewJson = ReferralJson<(typeof PATIENT_RECORD)[number]> & {
  readonly demographicsMismatch: boolean;
  readonly offers: Array<AsJson<OfferRow>>;
  readonly bookings: Array<AsJson<BookingRow>>;
  readonly events: Array<AsJson<EventRow>>;
  readonly notes: Array<AsJson<NoteRow>> | null;
  readonly requirements: StoredRequirements | null;
  /** The clinical package and the attachments' descriptions: for clinicians only (null otherwise, and when none). */
  readonly clinicalInformation: ClinicalInformationRow | null;
  readonly attachments: AttachmentRow[] | null;
  /** Requests for information: staff only (null for a patient). */
  readonly informationRequests: InformationRequestRow[] | null;
  readonly exclusions: ExclusionRow[] | null;
  readonly bmi: number | null;
  readonly asaGrade: number | null;
};

/**
 * The referral view's one statement: the referral, its patient, an open demographics_mismatch
 * task, and what it has (offers, bookings, timeline and, when `withNotes`, clinical notes), as one
 * JSON value: one column for pg to read and dates as ISO text, where two dozen typed columns cost
 * the api about a tenth more CPU a view (npm run bench:request-cost, docs/benchmarks.md). Callers
 * append `WHERE r.id = ... AND <scope>`.
 */
function referralViewSql(withNotes: string, staff = 'true'): string {
  return `SELECT json_build_object(${referralJsonFields(PATIENT_RECORD)},
  'demographicsMismatch', EXISTS (SELECT 1 FROM task t WHERE t.referral_id = r.id AND t.kind = 'demographics_mismatch' AND t.status = 'OPEN'),
  'offers', ${offersSql()}, 'bookings', ${bookingsSql()}, 'events', ${eventsSql()},
  'notes', CASE WHEN ${withNotes} THEN ${notesSql()} END, 'requirements', ${storedRequirementsSql()},
  'clinicalInformation', CASE WHEN ${withNotes} THEN (SELECT ${clinicalInformationJson()} FROM clinical_information ci WHERE ci.referral_id = r.id) END,
  'attachments', CASE WHEN ${withNotes} THEN ${attachmentsSql()} END,
  'informationRequests', CASE WHEN ${staff} THEN ${informationRequestsSql()} END,
  'exclusions', CASE WHEN ${withNotes} THEN ${exclusionsSql()} END, 'bmi', CASE WHEN ${withNotes} THEN (SELECT ci.bmi FROM clinical_information ci WHERE ci.referral_id = r.id) END,
  'asaGrade', CASE WHEN ${withNotes} THEN (SELECT ci.asa_grade FROM clinical_information ci WHERE ci.referral_id = r.id) END) AS v
FROM referral r JOIN patient p ON p.id = r.patient_id`;
}

@Injectable()
export class ReferralQueries {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sites: SiteNames,
  ) {}

  /**
   * One referral as the caller may see it: one statement (referral, patient, offers, bookings,
   * timeline and, for clinicians, clinical notes, as JSON), since every command answers with it.
   */
  async get(caller: Caller, id: string, now = new Date()) {
    const p = new SqlParams();
    const idParam = p.add(id);
    const withNotes = p.add(CLINICAL_TEXT_ROLES.has(caller.role));
    const staff = p.add(caller.role !== 'patient');
    const { rows } = await this.prisma.sql.query<{ v: ViewJson }>(
      `${referralViewSql(withNotes, staff)} WHERE r.id = ${idParam}::uuid AND ${visibleToSql(caller, p)}`,
      p.values,
    );
    const row = rows[0]?.v;
    if (!row) throw new ReferralNotFoundError();
    const sites = await this.sites.all();
    const view = {
      ...referralSummary({ ...referralFromJson(row, PATIENT_RECORD), demographicsMismatch: row.demographicsMismatch }, now, caller),
      offers: offersFromJson(row.offers)
        .filter((o) => caller.role !== 'patient' || o.status !== 'WITHDRAWN')
        .map((o) => offerView(o, sites.get(o.siteOds)?.name ?? null)),
      bookings: bookingsFromJson(row.bookings).map(bookingView),
      timeline: eventsFromJson(row.events).map((e) => timelineView(e, caller)),
      // Staff of either party; the patient told us these and reads them on no page of ours.
      ...(caller.role === 'patient' ? {} : { additionalRequirements: requirementsView(row.requirements) }),
      ...(row.informationRequests ? informationRequestFields(row.informationRequests) : {}),
    };
    // The travel radius could not be applied: the clerk follows the patient's postcode up.
    const distanceUnknown =
      caller.role === 'patient' ? {} : { distanceUnknown: row.offers.some((o) => o.status !== 'WITHDRAWN' && o.distanceBasis === 'unknown') };
    if (row.notes) {
      const facts = {
        procedureCode: row.procedureCode,
        dateOfBirth: new Date(row.patient.dateOfBirth),
        bmi: row.bmi === null ? null : Number(row.bmi),
        asaGrade: row.asaGrade,
      };
      return {
        ...view,
        /** The clinical package (null: none recorded yet) and the attachments' descriptions: clinicians only. */
        clinicalInformation: row.clinicalInformation ? clinicalInformationView(row.clinicalInformation) : null,
        attachments: (row.attachments ?? []).map(attachmentView),
        ...distanceUnknown,
        excludedSites: (row.exclusions ?? []).map((x) => exclusionView(x, facts, sites.get(x.siteOds)?.name ?? null, now)),
        clinicalNotes: notesFromJson(row.notes).map((n) => ({
          id: n.id,
          kind: n.kind,
          text: n.text,
          authorSub: n.authorSub,
          createdAt: n.createdAt.toISOString(),
        })),
      };
    }
    return { ...view, ...distanceUnknown };
  }

  /**
   * A worklist page, as plain SQL (see WORKLISTS for the named ones). Without a side the caller's
   * two sides are read as two branches (origin; receiving and not also origin); with several
   * statuses, one branch per status too. Each branch is an ordered index range of
   * (ods, status, ...) cut at the page size, and the branches are merged: no sort of the whole
   * trust's list, however many referrals match.
   */
  async list(caller: Caller, q: WorklistQuery, now = new Date()) {
    const limit = q.limit ?? 50;
    const sort = q.sort ?? 'weeksWaited';
    const p = new SqlParams();
    // The statuses asked for, or the named list's; several are read one branch each, each an ordered range.
    const statuses = q.status?.length ? q.status : q.worklist ? WORKLIST_STATUSES[q.worklist] : null;
    const filters = this.filters(q, p, now);
    if (q.cursor) filters.push(afterCursorSql(sort, q.cursor, p));
    const statusBranches = statuses ? [...new Set(statuses)].map((st) => statusMatch('r.status', [st], p)) : [null];
    const orderR = sort === 'priority' ? 'r.priority, r.rtt_clock_start, r.id' : 'r.rtt_clock_start, r.id';
    const orderW = sort === 'priority' ? 'w.priority, w."rttClockStart", w.id' : 'w."rttClockStart", w.id';
    const take = p.add(limit + 1);
    const ods = p.add(caller.ods ?? '');
    const branch = (side: 'origin' | 'receiving', notOrigin: boolean, status: string | null) =>
      `SELECT ${referralColumns()}, r.patient_id AS id_patient FROM referral r WHERE r.${side}_ods = ${ods}${notOrigin ? ` AND r.origin_ods <> ${ods}` : ''}` +
      [...(status ? [status] : []), ...filters].map((f) => ` AND ${f}`).join('') +
      ` ORDER BY ${orderR} LIMIT ${take}`;
    const side = q.side ?? (q.worklist ? WORKLISTS[q.worklist].side : undefined);
    const branches = (
      side
        ? [[side, false] as const]
        : ([
            ['origin', false],
            ['receiving', true],
          ] as const)
    ).flatMap(([sd, notOrigin]) => statusBranches.map((st) => branch(sd, notOrigin, st)));
    const inner =
      branches.length === 1 ? branches[0] : `SELECT w.* FROM (${branches.map((b) => `(${b})`).join(' UNION ALL ')}) w ORDER BY ${orderW} LIMIT ${take}`;
    // The patient of each row of the page, one primary-key probe each (OFFSET 0 keeps the LATERAL
    // from being flattened into a join the planner may hash over the whole patient table).
    // The additional requirements of each row, a primary-key probe each, for the worklist's summary.
    const { rows } = await this.prisma.sql.query<
      ReferralRow & Pick<PatientRow, (typeof PATIENT_IDENTITY)[number]> & { requirements: StoredRequirements['value'] | null }
    >(
      `SELECT w.*, ${patientColumns(PATIENT_IDENTITY)},
              (SELECT a.requirements FROM additional_requirement a WHERE a.referral_id = w.id) AS requirements
       FROM (${inner}) w CROSS JOIN LATERAL (SELECT ${patientColumnNames(PATIENT_IDENTITY)} FROM patient p WHERE p.id = w.id_patient OFFSET 0) p ORDER BY ${orderW}`,
      p.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor(sort === 'priority' ? [last.priority, last.rttClockStart.toISOString(), last.id] : [last.rttClockStart.toISOString(), last.id])
        : null;
    return {
      items: page.map((r) => ({
        ...referralSummary(withPatient(r, PATIENT_IDENTITY), now, caller),
        /** The short summary of the patient's additional requirements (empty: none recorded). */
        additionalRequirements: r.requirements ? requirementsSummary({ ...NO_REQUIREMENTS, ...r.requirements }) : [],
      })),
      nextCursor,
    };
  }

  /**
   * Who each of the referrals `ids` is about, as a staff worklist names them (the patient's name and
   * NHS number, weeks waited), for those the caller may see: for lists of other things that name a
   * referral (the tasks worklist). One statement, a primary-key probe per id.
   */
  async summaries(caller: Caller, ids: readonly string[], now = new Date()) {
    const p = new SqlParams();
    const { rows } = await this.prisma.sql.query<ReferralRow & Pick<PatientRow, (typeof PATIENT_IDENTITY)[number]>>(
      `SELECT ${referralColumns()}, ${patientColumns(PATIENT_IDENTITY)} FROM referral r JOIN patient p ON p.id = r.patient_id
       WHERE r.id = ANY(${p.add([...new Set(ids)])}::uuid[]) AND ${visibleToSql(caller, p)}`,
      p.values,
    );
    return new Map(
      rows.map((r) => [
        r.id,
        { familyName: r.familyName, givenName: r.givenName, nhsNumber: r.nhsNumber, weeksWaited: weeksWaited(r.rttClockStart, now, r.rttClockStop) },
      ]),
    );
  }

  /** The WHERE conditions (on alias r) of a worklist query, apart from the trust side, the statuses and the cursor. */
  private filters(q: WorklistQuery, p: SqlParams, now: Date): string[] {
    const out: string[] = [];
    if (q.worklist) out.push(...WORKLISTS[q.worklist].where);
    if (q.specialty) out.push(`r.specialty_code = ${p.add(q.specialty)}`);
    if (q.needsAttention !== undefined && q.worklist !== 'needs-attention') out.push(`r.needs_attention = ${p.add(q.needsAttention)}`);
    if (q.minWeeksWaited !== undefined) out.push(`r.rtt_clock_start <= ${p.add(isoDate(latestClockStartFor(q.minWeeksWaited, now)))}::date`);
    return out;
  }

  /**
   * Counts for the caller's trust: referrals per status on each side, each named worklist, and
   * those needing attention. One statement; each count is an index range of the worklist indexes.
   */
  async summary(caller: Caller) {
    const p = new SqlParams();
    const ods = p.add(caller.ods ?? '');
    const names = WORKLIST_NAMES;
    const { rows } = await this.prisma.sql.query<{ side: 'origin' | 'receiving' | 'worklist'; key: string; n: string }>(
      `SELECT 'origin' AS side, r.status::text AS key, count(*) AS n FROM referral r WHERE r.origin_ods = ${ods} GROUP BY r.status
       UNION ALL SELECT 'receiving', r.status::text, count(*) FROM referral r WHERE r.receiving_ods = ${ods} GROUP BY r.status
       UNION ALL SELECT 'worklist', w.key, w.n FROM (VALUES ${names.map((n) => `(${p.add(n)}, ${worklistCountSql(n, ods, p, null)})`).join(', ')}) AS w(key, n)`,
      p.values,
    );
    const zero = () => Object.fromEntries(REFERRAL_STATUSES.map((st) => [st, 0])) as Record<ReferralStatus, number>;
    const byStatus = { origin: zero(), receiving: zero() };
    const worklists = Object.fromEntries(names.map((n) => [n, 0])) as Record<WorklistName, number>;
    for (const r of rows) {
      if (r.side === 'worklist') worklists[r.key as WorklistName] = Number(r.n);
      else byStatus[r.side][r.key as ReferralStatus] = Number(r.n);
    }
    const total = (side: Record<ReferralStatus, number>) => Object.values(side).reduce((a, b) => a + b, 0);
    return {
      ods: caller.ods,
      byStatus,
      totals: { origin: total(byStatus.origin), receiving: total(byStatus.receiving) },
      worklists,
      needsAttention: worklists['needs-attention'],
    };
  }

  /**
   * The named worklists' counts for a person's home page, each counted no further than `cap`: a count is
   * an index range, and at a group's size one trust's "to book" range alone is some 23,000 referrals,
   * each probed for a live booking (380 ms at 1,000,000 referrals; the exact counts and the per-status
   * ones stay in summary(), for the API). Above the cap a count reads as "more than cap".
   */
  async worklistCounts(caller: Caller, cap: number): Promise<Record<WorklistName, { count: number; more: boolean }>> {
    const p = new SqlParams();
    const ods = p.add(caller.ods ?? '');
    const names = WORKLIST_NAMES;
    const { rows } = await this.prisma.sql.query<{ key: WorklistName; n: string }>(
      `SELECT w.key, w.n FROM (VALUES ${names.map((n) => `(${p.add(n)}, ${worklistCountSql(n, ods, p, cap + 1)})`).join(', ')}) AS w(key, n)`,
      p.values,
    );
    const out = Object.fromEntries(names.map((n) => [n, { count: 0, more: false }])) as Record<WorklistName, { count: number; more: boolean }>;
    for (const r of rows) out[r.key] = { count: Math.min(Number(r.n), cap), more: Number(r.n) > cap };
    return out;
  }

  /** The referral's id, status and version as the caller may see it: a command's minimal answer when the command itself did not say. */
  async state(caller: Caller, id: string): Promise<{ id: string; status: ReferralStatus; version: number }> {
    const p = new SqlParams();
    const { rows } = await this.prisma.sql.query<{ id: string; status: ReferralStatus; version: number }>(
      `SELECT r.id, r.status, r.version FROM referral r WHERE r.id = ${p.add(id)}::uuid AND ${visibleToSql(caller, p)}`,
      p.values,
    );
    if (!rows[0]) throw new ReferralNotFoundError();
    return rows[0];
  }

  /**
   * The view with, for staff, each message sent to another organisation and its state (GET
   * /v1/referrals/:id and the console's referral page; commands answer the plain view).
   */
  async getWithDispatches(caller: Caller, id: string, now = new Date()) {
    const view = await this.get(caller, id, now);
    if (caller.role === 'patient') return view;
    return { ...view, dispatches: (await dispatchesOf(this.prisma.sql, id)).map(dispatchStateView) };
  }

  async notifications(caller: Caller, id: string) {
    const p = new SqlParams();
    const { rows: visible } = await this.prisma.sql.query(`SELECT 1 FROM referral r WHERE r.id = ${p.add(id)}::uuid AND ${visibleToSql(caller, p)}`, p.values);
    if (visible.length === 0) throw new ReferralNotFoundError();
    const { rows } = await this.prisma.sql.query<
      Omit<NotificationHistoryRow, 'statuses'> & { statuses: Array<AsJson<NotificationHistoryRow['statuses'][number]>> }
    >(
      `SELECT n.id, n.event, n.channel, n.status, n.created_at AS "createdAt", n.updated_at AS "updatedAt", n.sent_at AS "sentAt", n.fallback_of AS "fallbackOf",
              COALESCE((SELECT json_agg(json_build_object('status', s.status, 'at', s.at, 'providerAt', s.provider_at) ORDER BY s.id)
                        FROM notification_status s WHERE s.notification_id = n.id), '[]') AS statuses
       FROM notification n WHERE n.referral_id = $1::uuid ORDER BY n.created_at, n.id`,
      [id],
    );
    const stamp = (v: string | null) => (v ? new Date(v) : null);
    return {
      items: rows.map((n) =>
        notificationView({ ...n, statuses: n.statuses.map((x) => ({ status: x.status, at: new Date(x.at), providerAt: stamp(x.providerAt) })) }),
      ),
      nextCursor: null,
    };
  }

  /** The caller's own referrals, newest first, each with the patient as its trust recorded them and its offers still open to them. */
  async patientReferrals(caller: Caller, now = new Date()) {
    const p = new SqlParams();
    const { rows } = await this.prisma.sql.query<ReferralRow & Pick<PatientRow, (typeof PATIENT_CONTACT)[number]> & { offers: Array<AsJson<OfferRow>> }>(
      `SELECT ${referralColumns()}, ${patientColumns(PATIENT_CONTACT)}, ${offersSql(`x.status <> 'WITHDRAWN'`)} AS offers
       FROM referral r JOIN patient p ON p.id = r.patient_id
       WHERE ${visibleToSql(caller, p)} ORDER BY r.created_at DESC, r.id`,
      p.values,
    );
    const sites = await this.sites.all();
    return {
      items: rows.map((r) => ({
        ...referralSummary(withPatient(r, PATIENT_CONTACT), now, caller),
        offers: offersFromJson(r.offers).map((o) => offerView(o, sites.get(o.siteOds)?.name ?? null)),
      })),
      nextCursor: null,
    };
  }
}

/**
 * A named worklist's count for the trust at parameter `ods`, as a scalar subquery: an index range per side
 * (a list with no side counts the origin side, then the receiving side where not also origin). With a
 * `limit`, each side stops counting there.
 */
function worklistCountSql(name: WorklistName, ods: string, p: SqlParams, limit: number | null): string {
  const w = WORKLISTS[name];
  const statuses = WORKLIST_STATUSES[name];
  const conds = [...(statuses ? [statusMatch('r.status', statuses, p)] : []), ...w.where].map((c) => ` AND ${c}`).join('');
  const side = (where: string) =>
    limit === null
      ? `(SELECT count(*) FROM referral r WHERE ${where}${conds})`
      : `(SELECT count(*) FROM (SELECT 1 FROM referral r WHERE ${where}${conds} LIMIT ${p.add(limit)}) x)`;
  return w.side ? side(`r.${w.side}_ods = ${ods}`) : `(${side(`r.origin_ods = ${ods}`)} + ${side(`r.receiving_ods = ${ods} AND r.origin_ods <> ${ods}`)})`;
}

/**
 * The requests for information, oldest first, and the latest as `informationRequest`: while it is
 * OPEN the referral waits on the referrer's answer (a sub-state of AWAITING_RECEIVER_ACCEPTANCE).
 */
function informationRequestFields(rows: InformationRequestRow[]) {
  const all = rows.map(informationRequestView);
  return { informationRequest: all[all.length - 1] ?? null, informationRequests: all };
}

/** The keyset condition after a cursor, as a row comparison the worklist indexes can range over. */
function afterCursorSql(sort: 'weeksWaited' | 'priority', cursor: string, p: SqlParams): string {
  const parts = decodeCursor(cursor);
  const day = (s: string) => isoDate(new Date(s));
  if (sort === 'priority') {
    if (parts.length !== 3) throw new BusinessRuleError('The cursor does not belong to this sort order', { field: 'cursor' });
    const [pr, s, id] = parts as [string, string, string];
    return `(r.priority, r.rtt_clock_start, r.id) > (${p.add(pr)}, ${p.add(day(s))}::date, ${p.add(id)}::uuid)`;
  }
  if (parts.length !== 2) throw new BusinessRuleError('The cursor does not belong to this sort order', { field: 'cursor' });
  const [s, id] = parts as [string, string];
  return `(r.rtt_clock_start, r.id) > (${p.add(day(s))}::date, ${p.add(id)}::uuid)`;
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * A cursor is [priority?, ISO date-time, referral id], as encodeCursor wrote it; anything else is
 * refused, not passed to SQL (where 2026-02-31 or year 0 would fail as a 500).
 */
function decodeCursor(cursor: string): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && (parts.length === 2 || parts.length === 3) && parts.every((p) => typeof p === 'string')) {
      const id = parts[parts.length - 1];
      const at = parts[parts.length - 2];
      const priorityOk = parts.length === 2 || (PRIORITIES as readonly string[]).includes(parts[0]);
      if (priorityOk && isUuid(id) && isRealDateTime(at)) return parts;
    }
  } catch {}
  throw new BusinessRuleError('The cursor is not valid: use nextCursor from the previous page', { field: 'cursor' });
}
