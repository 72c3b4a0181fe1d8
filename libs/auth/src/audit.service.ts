// The audit trail: records who read or changed which referral, and reads it back for admins.
import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { GroupWriter, PrismaService, SqlParams } from '#persistence';
import type { Caller } from './caller.js';

export interface AuditEntry {
  readonly caller: Pick<Caller, 'sub' | 'role' | 'ods'>;
  readonly action: string;
  readonly referralId: string | null;
  readonly requestId: string | null;
  readonly outcome: number;
}

export interface AuditQuery {
  readonly referralId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly cursor?: string;
  readonly limit?: number;
}

@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  /**
   * Audit rows of requests answered at the same time go in one INSERT (group commit); each
   * request still waits for its own row before it answers.
   */
  private readonly writer = new GroupWriter<AuditEntry>((entries) =>
    this.prisma.sql
      .query(
        `INSERT INTO audit_event (actor_sub, actor_role, actor_ods, action, referral_id, request_id, outcome)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::int[])`,
        [
          entries.map((e) => e.caller.sub),
          entries.map((e) => e.caller.role),
          entries.map((e) => e.caller.ods),
          entries.map((e) => e.action),
          entries.map((e) => e.referralId),
          entries.map((e) => e.requestId),
          entries.map((e) => e.outcome),
        ],
      )
      .then(() => undefined),
  );

  constructor(private readonly prisma: PrismaService) {}

  /** Audit rows still being written go in before the pool closes (PrismaService ends it last). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.idle();
  }

  /** One row per audited request, written before the request answers. */
  async record(e: AuditEntry): Promise<void> {
    await this.writer.add(e);
  }

  /** Events on referrals the admin's trust is origin or receiver of, newest first. */
  async list(ods: string, q: AuditQuery) {
    const limit = q.limit ?? 100;
    const before = q.cursor && /^\d+$/.test(q.cursor) ? BigInt(q.cursor) : null;
    // Plain SQL, conditions added only when asked for (so each shape is planned for what it filters).
    const p = new SqlParams();
    const odsParam = p.add(ods);
    const where = [`(r.origin_ods = ${odsParam} OR r.receiving_ods = ${odsParam})`];
    if (q.referralId) where.push(`a.referral_id = ${p.add(q.referralId)}::uuid`);
    if (q.from) where.push(`a.at >= ${p.add(q.from)}::timestamptz`);
    if (q.to) where.push(`a.at < ${p.add(q.to)}::timestamptz`);
    if (before !== null) where.push(`a.id < ${p.add(String(before))}::bigint`);
    const { rows } = await this.prisma.sql.query<{
      id: string;
      at: Date;
      actor_sub: string;
      actor_role: string;
      actor_ods: string | null;
      action: string;
      referral_id: string | null;
      request_id: string | null;
      outcome: number;
    }>(
      `SELECT a.id::text AS id, a.at, a.actor_sub, a.actor_role, a.actor_ods, a.action, a.referral_id::text AS referral_id, a.request_id, a.outcome
       FROM audit_event a JOIN referral r ON r.id = a.referral_id
       WHERE ${where.join(' AND ')}
       ORDER BY a.id DESC LIMIT ${p.add(limit + 1)}`,
      p.values,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: { sub: r.actor_sub, role: r.actor_role, ods: r.actor_ods },
        action: r.action,
        referralId: r.referral_id,
        requestId: r.request_id,
        outcome: r.outcome,
      })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
