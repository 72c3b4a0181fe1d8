// Reads: one referral, the worklists (keyset-paginated), notifications, a patient's own referrals.
import { Injectable } from '@nestjs/common';
import { CLINICAL_TEXT_ROLES, type Caller } from '#auth';
import { PrismaService, SqlParams } from '#persistence';
import type { Prisma } from '#prisma-client';
import type { ReferralStatus } from '#domain';
import { visibleTo, visibleToSql } from './referral-scope.js';
import { ReferralNotFoundError, BusinessRuleError } from './workflow-errors.js';
import { bookingView, notificationView, offerView, referralFromJson, referralSummary, REFERRAL_VIEW_SQL, timelineView, type ReferralJson } from './referral-views.js';

export interface WorklistQuery {
  readonly status?: readonly ReferralStatus[];
  readonly specialty?: string;
  readonly minWeeksWaited?: number;
  readonly side?: 'origin' | 'receiving';
  readonly needsAttention?: boolean;
  readonly sort?: 'weeksWaited' | 'priority';
  readonly cursor?: string;
  readonly limit?: number;
}

const DAY_MS = 86_400_000;

@Injectable()
export class ReferralQueries {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One referral as the caller may see it: one statement (referral, patient, offers, bookings,
   * timeline and, for clinicians, clinical notes, as JSON), since every command answers with it.
   */
  async get(caller: Caller, id: string, now = new Date()) {
    const p = new SqlParams();
    const idParam = p.add(id);
    const withNotes = p.add(CLINICAL_TEXT_ROLES.has(caller.role));
    const { rows } = await this.prisma.sql.query<{ v: ReferralJson }>(
      `${REFERRAL_VIEW_SQL.replace('$NOTES', withNotes)} WHERE r.id = ${idParam}::uuid AND ${visibleToSql(caller, p)}`,
      p.values,
    );
    const json = rows[0]?.v;
    if (!json) throw new ReferralNotFoundError();
    const r = referralFromJson(json);
    const view = {
      ...referralSummary(r, now, caller),
      offers: r.offers.filter((o) => caller.role !== 'patient' || o.status !== 'WITHDRAWN').map(offerView),
      bookings: r.bookings.map(bookingView),
      timeline: r.events.map((e) => timelineView(e, caller)),
    };
    if (json.notes) {
      return { ...view, clinicalNotes: json.notes.map((n) => ({ id: n.id, kind: n.kind, text: n.text, authorSub: n.authorSub, createdAt: new Date(n.createdAt).toISOString() })) };
    }
    return view;
  }

  async list(caller: Caller, q: WorklistQuery, now = new Date()) {
    const limit = q.limit ?? 50;
    const ods = caller.ods!;
    const sideWhere: Prisma.ReferralWhereInput =
      q.side === 'origin' ? { originOds: ods } : q.side === 'receiving' ? { receivingOds: ods } : visibleTo(caller);
    const where: Prisma.ReferralWhereInput[] = [sideWhere];
    if (q.status?.length) where.push({ status: { in: [...q.status] } });
    if (q.specialty) where.push({ specialtyCode: q.specialty });
    if (q.needsAttention !== undefined) where.push({ needsAttention: q.needsAttention });
    if (q.minWeeksWaited !== undefined) {
      const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
      where.push({ rttClockStart: { lte: new Date(today - q.minWeeksWaited * 7 * DAY_MS) } });
    }
    const sort = q.sort ?? 'weeksWaited';
    if (q.cursor) where.push(this.afterCursor(sort, q.cursor));
    const orderBy: Prisma.ReferralOrderByWithRelationInput[] =
      sort === 'priority' ? [{ priority: 'asc' }, { rttClockStart: 'asc' }, { id: 'asc' }] : [{ rttClockStart: 'asc' }, { id: 'asc' }];
    const rows = await this.prisma.referral.findMany({
      where: { AND: where },
      orderBy,
      take: limit + 1,
      include: { patient: { select: { nhsNumber: true, familyName: true, givenName: true, dateOfBirth: true } } },
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor(sort === 'priority' ? [last.priority, last.rttClockStart.toISOString(), last.id] : [last.rttClockStart.toISOString(), last.id])
        : null;
    return { items: page.map((r) => referralSummary(r, now, caller)), nextCursor };
  }

  private afterCursor(sort: 'weeksWaited' | 'priority', cursor: string): Prisma.ReferralWhereInput {
    const parts = decodeCursor(cursor);
    if (sort === 'priority') {
      if (parts.length !== 3) throw new BusinessRuleError('The cursor does not belong to this sort order', { field: 'cursor' });
      const [p, s, id] = parts as [string, string, string];
      const start = new Date(s);
      return { OR: [{ priority: { gt: p } }, { priority: p, rttClockStart: { gt: start } }, { priority: p, rttClockStart: start, id: { gt: id } }] };
    }
    if (parts.length !== 2) throw new BusinessRuleError('The cursor does not belong to this sort order', { field: 'cursor' });
    const [s, id] = parts as [string, string];
    const start = new Date(s);
    return { OR: [{ rttClockStart: { gt: start } }, { rttClockStart: start, id: { gt: id } }] };
  }

  async notifications(caller: Caller, id: string) {
    const r = await this.prisma.referral.findFirst({ where: { AND: [{ id }, visibleTo(caller)] }, select: { id: true } });
    if (!r) throw new ReferralNotFoundError();
    const rows = await this.prisma.notification.findMany({ where: { referralId: id }, orderBy: { createdAt: 'asc' } });
    return { items: rows.map(notificationView), nextCursor: null };
  }

  async patientReferrals(caller: Caller, now = new Date()) {
    const rows = await this.prisma.referral.findMany({
      where: visibleTo(caller),
      orderBy: { createdAt: 'desc' },
      include: { patient: { select: { nhsNumber: true, familyName: true, givenName: true, dateOfBirth: true } }, offers: { where: { status: { not: 'WITHDRAWN' } }, orderBy: { distanceMiles: 'asc' } } },
    });
    return { items: rows.map((r) => ({ ...referralSummary(r, now, caller), offers: r.offers.map(offerView) })), nextCursor: null };
  }
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor is [..., ISO date-time, referral id]; anything else is refused, not passed to SQL. */
function decodeCursor(cursor: string): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length >= 2 && parts.every((p) => typeof p === 'string')) {
      const id = parts[parts.length - 1];
      const at = parts[parts.length - 2];
      if (UUID.test(id) && !Number.isNaN(Date.parse(at)) && /^\d{4}-\d{2}-\d{2}T/.test(at)) return parts;
    }
  } catch {}
  throw new BusinessRuleError('The cursor is not valid: use nextCursor from the previous page', { field: 'cursor' });
}
