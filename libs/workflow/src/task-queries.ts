// The tasks worklist of a trust's teams (GET /v1/tasks, POST /v1/tasks/:id/complete) and where each
// team is emailed about new work (team_contact, managed by the trust's admin).
import { Injectable } from '@nestjs/common';
import { isRealDateTime, isUuid } from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import type { TaskTeam } from './tasks.js';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError } from './workflow-errors.js';

export const TASK_STATUSES = ['OPEN', 'DONE'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskQuery {
  readonly team?: TaskTeam;
  readonly kind?: string;
  /** Default OPEN. */
  readonly status?: TaskStatus;
  readonly cursor?: string;
  readonly limit?: number;
}

export interface TaskView {
  readonly id: string;
  readonly trustOds: string;
  readonly team: string;
  readonly kind: string;
  readonly referralId: string | null;
  readonly detail: unknown;
  readonly status: string;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly completedBy: string | null;
}

interface TaskRow {
  id: string;
  trust_ods: string;
  team: string;
  kind: string;
  referral_id: string | null;
  detail: unknown;
  status: string;
  created_at: Date;
  completed_at: Date | null;
  completed_by: string | null;
}

const COLUMNS = `id::text AS id, trust_ods, team, kind, referral_id::text AS referral_id, detail, status, created_at, completed_at, completed_by`;

@Injectable()
export class TaskQueries {
  constructor(private readonly prisma: PrismaService) {}

  /** A trust's tasks, oldest first, one page; `nextCursor` continues after the last. */
  async list(ods: string, q: TaskQuery): Promise<{ items: TaskView[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    const p = new SqlParams();
    const where = [`trust_ods = ${p.add(ods)}`, `status = ${p.add(q.status ?? 'OPEN')}`];
    if (q.team) where.push(`team = ${p.add(q.team)}`);
    if (q.kind) where.push(`kind = ${p.add(q.kind)}`);
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      if (!c) throw new BusinessRuleError('cursor is not one this API gave out', { field: 'cursor' });
      where.push(`(created_at, id) > (${p.add(c.at)}::timestamptz, ${p.add(c.id)}::uuid)`);
    }
    const { rows } = await this.prisma.sql.query<TaskRow>(
      `SELECT ${COLUMNS} FROM task WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ${p.add(limit + 1)}`,
      p.values,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** How many open tasks a trust has (for one team, or all). */
  async count(ods: string, team?: TaskTeam): Promise<number> {
    const { rows } = await this.prisma.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM task WHERE trust_ods = $1 AND status = 'OPEN'${team ? ' AND team = $2' : ''}`,
      team ? [ods, team] : [ods],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Marks a task of the caller's trust done: 404 when it is not theirs (or not there), 409 when already done. */
  async complete(ods: string, sub: string, id: string): Promise<TaskView> {
    if (!isUuid(id)) throw new ReferralNotFoundError('Task');
    const { rows } = await this.prisma.sql.query<TaskRow>(
      `UPDATE task SET status = 'DONE', completed_at = now(), completed_by = $3
       WHERE id = $1::uuid AND trust_ods = $2 AND status = 'OPEN' RETURNING ${COLUMNS}`,
      [id, ods, sub],
    );
    if (rows[0]) return view(rows[0]);
    const { rows: now } = await this.prisma.sql.query<{ status: string }>('SELECT status FROM task WHERE id = $1::uuid AND trust_ods = $2', [id, ods]);
    if (!now[0]) throw new ReferralNotFoundError('Task');
    throw new DuplicateError(`This task is already ${now[0].status.toLowerCase()}`, { currentStatus: now[0].status });
  }
}

export interface TeamContactView {
  readonly trustOds: string;
  readonly team: string;
  readonly email: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** Where each team of a trust is emailed when work lands on its worklist. */
@Injectable()
export class TeamContacts {
  constructor(private readonly prisma: PrismaService) {}

  async list(ods: string): Promise<{ items: TeamContactView[] }> {
    const { rows } = await this.prisma.sql.query<{ trust_ods: string; team: string; email: string; updated_at: Date; updated_by: string }>(
      'SELECT trust_ods, team, email, updated_at, updated_by FROM team_contact WHERE trust_ods = $1 ORDER BY team',
      [ods],
    );
    return {
      items: rows.map((r) => ({ trustOds: r.trust_ods, team: r.team, email: r.email, updatedAt: r.updated_at.toISOString(), updatedBy: r.updated_by })),
    };
  }

  async put(ods: string, team: TaskTeam, email: string, by: string): Promise<TeamContactView> {
    const { rows } = await this.prisma.sql.query<{ updated_at: Date }>(
      `INSERT INTO team_contact (trust_ods, team, email, updated_at, updated_by) VALUES ($1, $2, $3, now(), $4)
       ON CONFLICT (trust_ods, team) DO UPDATE SET email = EXCLUDED.email, updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING updated_at`,
      [ods, team, email, by],
    );
    return { trustOds: ods, team, email, updatedAt: rows[0].updated_at.toISOString(), updatedBy: by };
  }
}

function view(r: TaskRow): TaskView {
  return {
    id: r.id,
    trustOds: r.trust_ods,
    team: r.team,
    kind: r.kind,
    referralId: r.referral_id,
    detail: r.detail,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at?.toISOString() ?? null,
    completedBy: r.completed_by,
  };
}

/** Opaque keyset cursor: the last row's creation time (milliseconds, as stored) and id. */
function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

/** Only what encodeCursor writes: an ISO date-time Postgres reads as JavaScript did (not `Tue Feb 03 2026 ...`, not 2026-02-31) and an id. */
function decodeCursor(c: string): { at: string; id: string } | null {
  const parts = Buffer.from(c, 'base64url').toString().split('|');
  const [at, id] = parts;
  if (parts.length !== 2 || !at || !id || !isUuid(id) || !isRealDateTime(at)) return null;
  return { at, id };
}
