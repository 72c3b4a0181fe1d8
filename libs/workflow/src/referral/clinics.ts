// Clinic sessions and their slots, declared by a trust's booking team at one of its sites, and the
// trust's did-not-attend policy kept by its admin: what booking picks from and what a missed appointment leads to.
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService, SqlParams, type SqlRunner } from '#persistence';
import type { Caller } from '#auth';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError, WrongSideError } from '../workflow-errors.js';

export const CLINIC_KINDS = ['pre_op_assessment', 'procedure', 'follow_up'] as const;
export type ClinicKind = (typeof CLINIC_KINDS)[number];
export const DNA_ACTIONS = ['rebook', 'return_to_referrer'] as const;
export type DnaAction = (typeof DNA_ACTIONS)[number];

/** How far ahead a session may be declared: as far as an appointment may be booked (bookings.ts). */
const MAX_DAYS_AHEAD = 2 * 365;

export interface NewClinicSession {
  /** Default: the trust's main site. */
  readonly siteOds?: string;
  readonly clinicianName: string;
  readonly kind: ClinicKind;
  /** The day and the first slot's time, as the clinic's timetable says them (UK time). */
  readonly date: string;
  readonly startTime: string;
  readonly slotMinutes: number;
  /** How many slots; or the time the session ends (the last slot ends by then). */
  readonly slotCount?: number;
  readonly endTime?: string;
}

export interface ClinicSlotView {
  readonly id: string;
  readonly startsAt: string;
  /** The booking holding the slot; null when free. */
  readonly bookingId: string | null;
}

export interface ClinicSessionView {
  readonly id: string;
  readonly trustOds: string;
  readonly siteOds: string;
  readonly clinicianName: string;
  readonly kind: ClinicKind;
  readonly startsAt: string;
  readonly slotMinutes: number;
  readonly slotCount: number;
  readonly createdBy: string;
  readonly slots: ClinicSlotView[];
}

export interface BookingPolicyView {
  readonly trustOds: string;
  readonly dnaAction: DnaAction;
  /** With return_to_referrer: the referral goes back to the referrer at this many missed appointments. */
  readonly returnAfterDnas: number;
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
}

interface SessionRow {
  id: string;
  trust_ods: string;
  site_ods: string;
  clinician_name: string;
  kind: ClinicKind;
  starts_at: Date;
  slot_minutes: number;
  slot_count: number;
  created_by: string;
  slots: Array<{ id: string; startsAt: string; bookingId: string | null }>;
}

const SESSION_SELECT = `SELECT s.id::text AS id, s.trust_ods, s.site_ods, s.clinician_name, s.kind, s.starts_at, s.slot_minutes, s.slot_count, s.created_by,
  (SELECT json_agg(json_build_object('id', sl.id, 'startsAt', sl.starts_at, 'bookingId', sl.booking_id) ORDER BY sl.starts_at) FROM clinic_slot sl WHERE sl.session_id = s.id) AS slots
  FROM clinic_session s`;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

@Injectable()
export class ClinicSessions {
  constructor(private readonly prisma: PrismaService) {}

  /** Declares a session and its slots at a site of the caller's trust. */
  async declare(caller: Caller, input: NewClinicSession): Promise<ClinicSessionView> {
    const ods = staffTrust(caller);
    const start = TIME.exec(input.startTime);
    if (!start) throw new BusinessRuleError('startTime must be a time of day as HH:MM (24-hour clock)', { field: 'startTime' });
    const startMinutes = Number(start[1]) * 60 + Number(start[2]);
    let count = input.slotCount;
    if (input.endTime !== undefined) {
      const end = TIME.exec(input.endTime);
      if (!end) throw new BusinessRuleError('endTime must be a time of day as HH:MM (24-hour clock)', { field: 'endTime' });
      const minutes = Number(end[1]) * 60 + Number(end[2]) - startMinutes;
      if (minutes < input.slotMinutes) throw new BusinessRuleError('endTime must leave room for at least one slot after startTime', { field: 'endTime' });
      const fits = Math.floor(minutes / input.slotMinutes);
      if (count !== undefined && count !== fits)
        throw new BusinessRuleError(`slotCount (${count}) does not match the ${fits} slots between startTime and endTime`, { field: 'slotCount' });
      count = fits;
    }
    if (count === undefined) throw new BusinessRuleError('Give either slotCount or endTime', { field: 'slotCount' });
    if (count < 1 || count > 96) throw new BusinessRuleError('slotCount must be from 1 to 96', { field: 'slotCount' });
    if (startMinutes + count * input.slotMinutes > 24 * 60) throw new BusinessRuleError('The session must end on the day it starts', { field: 'slotCount' });

    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: main } = await tx.query<{ main_site_ods: string }>('SELECT main_site_ods FROM trust WHERE ods = $1', [ods]);
      const siteOds = input.siteOds ?? main[0]?.main_site_ods;
      const { rows: site } = await tx.query<{ trust_ods: string }>('SELECT trust_ods FROM site WHERE ods = $1', [siteOds]);
      if (!site[0]) throw new BusinessRuleError(`Site ${siteOds} is not in the directory`, { field: 'siteOds' });
      if (site[0].trust_ods !== ods) throw new BusinessRuleError(`Site ${siteOds} is not a site of your trust (${ods})`, { field: 'siteOds' });
      const id = randomUUID();
      // The day and time are the clinic's, in UK time (summer time included), stored as instants.
      const { rows } = await tx.query<{ starts_at: Date; ok: boolean; soon: boolean }>(
        `SELECT t AS starts_at, t > now() AS ok, t <= now() + make_interval(days => $3) AS soon
           FROM (SELECT ($1::date + $2::time) AT TIME ZONE 'Europe/London' AS t) x`,
        [input.date, input.startTime, MAX_DAYS_AHEAD],
      );
      if (!rows[0].ok) throw new BusinessRuleError('A clinic session cannot start in the past', { field: 'date' });
      if (!rows[0].soon) throw new BusinessRuleError('A clinic session cannot be declared more than two years ahead', { field: 'date' });
      await tx.query(
        `WITH s AS (INSERT INTO clinic_session (id, trust_ods, site_ods, clinician_name, kind, starts_at, slot_minutes, slot_count, created_by)
                    VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, starts_at)
         INSERT INTO clinic_slot (id, session_id, starts_at)
         SELECT gen_random_uuid(), s.id, s.starts_at + make_interval(mins => i * $7) FROM s, generate_series(0, $8 - 1) AS i`,
        [id, ods, siteOds, input.clinicianName, input.kind, rows[0].starts_at, input.slotMinutes, count, caller.sub],
      );
      return (await this.sessions(tx, 's.id = $1::uuid', [id]))[0];
    });
  }

  /** The caller's trust's sessions from `from` (default now) for `days`, earliest first; `freeOnly` keeps sessions with a free slot. */
  async list(caller: Caller, q: { from?: Date; days?: number; kind?: ClinicKind; siteOds?: string; freeOnly?: boolean } = {}): Promise<ClinicSessionView[]> {
    const ods = staffTrust(caller);
    const p = new SqlParams();
    const from = q.from ?? new Date();
    const where = [
      `s.trust_ods = ${p.add(ods)}`,
      `s.starts_at >= ${p.add(new Date(from.getTime() - 86_400_000))}::timestamptz`,
      `s.starts_at < ${p.add(new Date(from.getTime() + (q.days ?? 56) * 86_400_000))}::timestamptz`,
    ];
    if (q.kind) where.push(`s.kind = ${p.add(q.kind)}`);
    if (q.siteOds) where.push(`s.site_ods = ${p.add(q.siteOds)}`);
    if (q.freeOnly) where.push(`EXISTS (SELECT 1 FROM clinic_slot f WHERE f.session_id = s.id AND f.booking_id IS NULL AND f.starts_at > now())`);
    return this.sessions(this.prisma.sql, where.join(' AND '), p.values);
  }

  /** The did-not-attend policy of a trust (no row: rebook). */
  async policy(ods: string): Promise<BookingPolicyView> {
    return readPolicy(this.prisma.sql, ods);
  }

  async setPolicy(caller: Caller, input: { dnaAction: DnaAction; returnAfterDnas?: number }): Promise<BookingPolicyView> {
    const ods = staffTrust(caller);
    const after = input.returnAfterDnas ?? 1;
    if (!Number.isInteger(after) || after < 1 || after > 5)
      throw new BusinessRuleError('returnAfterDnas must be a whole number from 1 to 5', { field: 'returnAfterDnas' });
    await this.prisma.sql.query(
      `INSERT INTO booking_policy (trust_ods, dna_action, return_after_dnas, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (trust_ods) DO UPDATE SET dna_action = EXCLUDED.dna_action, return_after_dnas = EXCLUDED.return_after_dnas, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [ods, input.dnaAction, after, caller.sub],
    );
    return readPolicy(this.prisma.sql, ods);
  }

  private async sessions(db: SqlRunner, where: string, values: unknown[]): Promise<ClinicSessionView[]> {
    const { rows } = await db.query<SessionRow>(`${SESSION_SELECT} WHERE ${where} ORDER BY s.starts_at, s.id LIMIT 500`, values);
    return rows.map((r) => ({
      id: r.id,
      trustOds: r.trust_ods,
      siteOds: r.site_ods,
      clinicianName: r.clinician_name,
      kind: r.kind,
      startsAt: r.starts_at.toISOString(),
      slotMinutes: r.slot_minutes,
      slotCount: r.slot_count,
      createdBy: r.created_by,
      slots: (r.slots ?? []).map((s) => ({ id: s.id, startsAt: new Date(s.startsAt).toISOString(), bookingId: s.bookingId })),
    }));
  }
}

export async function readPolicy(db: SqlRunner, ods: string): Promise<BookingPolicyView> {
  const { rows } = await db.query<{ dna_action: DnaAction; return_after_dnas: number; updated_by: string; updated_at: Date }>(
    'SELECT dna_action, return_after_dnas, updated_by, updated_at FROM booking_policy WHERE trust_ods = $1',
    [ods],
  );
  const r = rows[0];
  return r
    ? { trustOds: ods, dnaAction: r.dna_action, returnAfterDnas: r.return_after_dnas, updatedBy: r.updated_by, updatedAt: r.updated_at.toISOString() }
    : { trustOds: ods, dnaAction: 'rebook', returnAfterDnas: 1, updatedBy: null, updatedAt: null };
}

export interface TakenSlot {
  readonly siteOds: string;
  readonly startsAt: Date;
}

/**
 * Takes slot `slotId` for booking `bookingId` (already inserted, in this transaction; slotFor checked
 * it first). The conditional UPDATE is what stops two
 * clerks taking one slot: the second waits for the first's row lock, then finds it taken (409).
 */
export async function takeSlot(tx: SqlRunner, slotId: string, bookingId: string): Promise<void> {
  const { rowCount } = await tx.query('UPDATE clinic_slot SET booking_id = $2::uuid WHERE id = $1::uuid AND booking_id IS NULL', [slotId, bookingId]);
  if (rowCount === 1) return;
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM clinic_slot WHERE id = $1::uuid', [slotId]);
  if (!rows[0]) throw new ReferralNotFoundError('Slot');
  throw new DuplicateError('This slot has just been taken by another booking; choose another slot', { field: 'slotId' });
}

/** The slot's site and time, checked against what the booking needs, before the booking row is written. */
export async function slotFor(tx: SqlRunner, slotId: string, want: { trustOds: string; kind: string }): Promise<TakenSlot> {
  const { rows } = await tx.query<{ trust_ods: string; site_ods: string; kind: string; starts_at: Date; booking_id: string | null; future: boolean }>(
    `SELECT s.trust_ods, s.site_ods, s.kind, sl.starts_at, sl.booking_id, sl.starts_at > now() AS future
       FROM clinic_slot sl JOIN clinic_session s ON s.id = sl.session_id WHERE sl.id = $1::uuid`,
    [slotId],
  );
  const slot = rows[0];
  if (!slot || slot.trust_ods !== want.trustOds)
    throw new BusinessRuleError(`Slot ${slotId} is not a slot of the receiving trust (${want.trustOds})`, { field: 'slotId' });
  if (slot.kind !== want.kind)
    throw new BusinessRuleError(`Slot ${slotId} is in a ${slot.kind.replaceAll('_', ' ')} clinic, not ${want.kind.replaceAll('_', ' ')}`, { field: 'slotId' });
  if (!slot.future) throw new BusinessRuleError('That slot has already started', { field: 'slotId' });
  if (slot.booking_id) throw new DuplicateError('This slot is already booked; choose another slot', { field: 'slotId' });
  return { siteOds: slot.site_ods, startsAt: slot.starts_at };
}

/** Frees the slots held by a referral's live bookings (they are being cancelled with the referral). */
export async function releaseClinicSlots(tx: SqlRunner, referralId: string): Promise<void> {
  await tx.query(`UPDATE clinic_slot SET booking_id = NULL WHERE booking_id IN (SELECT id FROM booking WHERE referral_id = $1::uuid AND status = 'BOOKED')`, [
    referralId,
  ]);
}

function staffTrust(caller: Caller): string {
  if (!caller.ods) throw new WrongSideError('Only staff of a trust keep its clinics');
  return caller.ods;
}
