// Tasks for a team's worklist (booking team or clinicians of a trust): raised once per cause.
import { randomUUID } from 'node:crypto';
import { RECEIVER_OWNS, type ReferralStatus } from '#domain';
import type { SqlRunner } from '#persistence';
import { statusLiterals } from './status-sql.js';

export const TASK_TEAMS = ['booking', 'clinical'] as const;
export type TaskTeam = (typeof TASK_TEAMS)[number];

export interface RaiseTask {
  readonly trustOds: string;
  readonly team: TaskTeam;
  /** What the person is asked to do, e.g. `offer_unanswered`, `notification_failed`. */
  readonly kind: string;
  readonly referralId: string | null;
  /** One task per cause: raising the same key again does nothing. */
  readonly key: string;
  /** Ids and codes only, never patient data: the task is read with the referral it points at. */
  readonly detail?: Record<string, unknown>;
}

/**
 * The trust that holds the referral now, whose team a task about it goes to: the receiving trust
 * once it owns the transfer of care (RECEIVER_OWNS), else the origin. The one rule for every task
 * and worklist item that asks "who looks after this patient now".
 */
export function taskTrustFor(status: string, originOds: string, receivingOds: string | null): string {
  return RECEIVER_OWNS.has(status as ReferralStatus) && receivingOds ? receivingOds : originOds;
}

/**
 * taskTrustFor as a SQL expression over a referral row aliased `r` (same rule, for set-based
 * queries). Literals, as it takes no parameters: it is a part of a statement that has its own.
 */
export function taskTrustSql(r: string): string {
  return `CASE WHEN ${r}.status IN (${statusLiterals(RECEIVER_OWNS)}) AND ${r}.receiving_ods IS NOT NULL THEN ${r}.receiving_ods ELSE ${r}.origin_ods END`;
}

/** Raises a task in the caller's transaction (or on the pool); true when this call created it. */
export async function raiseTask(tx: SqlRunner, t: RaiseTask): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO task (id, trust_ods, team, kind, referral_id, key, detail) VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6, $7::jsonb)
     ON CONFLICT (key) DO NOTHING`,
    [randomUUID(), t.trustOds, t.team, t.kind, t.referralId, t.key, t.detail ? JSON.stringify(t.detail) : null],
  );
  return rowCount === 1;
}
