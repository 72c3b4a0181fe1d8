// Every statement on the outbox table, in one place. A row is written in the transaction of the
// change that starts a job (enqueue). The relay claims it with a lease, enqueues it and marks it
// dispatched (or releases the claim); with OUTBOX_DIRECT_ENQUEUE on (off by default), the process
// that commits (the api or the worker: outbox-direct.ts) writes it already dispatched and enqueues
// it in BullMQ itself straight after the commit. The job's end marks it completed (grouped); a
// person's retry supersedes it with a new row; the reconciler finds rows dispatched but never
// finished, re-drives those whose job is gone, and prunes rows finished long ago.
//
// The loops around these statements (LISTEN, the lease timer, the advisory lock) stay in the worker.
// Each row carries the W3C trace context of the change that wrote it (null with tracing off), which
// the relay hands to the job (docs/traces.md).
import { Injectable } from '@nestjs/common';
import { afterCommit, GroupWriter, hasCommitHooks, PrismaService, SqlParams, type SqlRunner } from '#persistence';
import { JOBS, type JobName, type OutboxJob } from '#queue';
import { outboxTraceContext } from '#telemetry';

/** A row as the relay enqueues it. */
export interface OutboxRow {
  readonly id: bigint;
  readonly queue: string;
  readonly job_name: string;
  readonly job_id: string;
  readonly payload: unknown;
  readonly delay_ms: number;
  /** The W3C trace context the row was written in; null when it was written untraced. */
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

/** A row dispatched but not finished, as the reconciler checks it. */
export interface UnfinishedRow {
  readonly id: bigint;
  readonly referral_id: string | null;
  readonly queue: string;
  readonly job_name: string;
  readonly job_id: string;
}

// ---------- enqueue (in the transaction of the change) ----------

/**
 * Stands for the id of a timeline event not yet written, in a job's id (or payload): a stage change
 * writes its event and the outbox rows keyed by it in one statement (referral-transition.ts), and
 * Postgres puts the event's id in place of this as it writes the rows.
 */
export const EVENT_ID = '{{event}}';

/** The columns of an OutboxRow, as a statement returns them (the id as text). */
const ROW_COLUMNS = 'id::text AS id, queue, job_name, job_id, payload, delay_ms, traceparent, tracestate';

/**
 * The INSERT of outbox rows for `jobs`, on `p`'s placeholders, each with the trace context of the
 * active span (the request's or the job's). A replay of a step writes the same job id: the first row is kept.
 * With `event`, the rows are keyed by the event that CTE (a relation with an `id` column) writes in the
 * same statement: EVENT_ID in a job's id or payload becomes that event's id; no event (the version
 * check failed), no rows. `direct`: the rows are written dispatched and returned (ROW_COLUMNS), for
 * the committing process to enqueue (enqueueAfterCommit); a replay's row, not written, is not returned.
 */
export function outboxInsertSql(p: SqlParams, referralId: string | null, jobs: readonly OutboxJob[], event?: string, direct = false): string {
  const rows = jobs.map((j) => {
    const queue = JOBS[j.name].queue;
    // An id completed by the statement is not known here: the job's own span carries it.
    const trace = outboxTraceContext({ name: j.name, queue, jobId: j.jobId.includes(EVENT_ID) ? null : j.jobId });
    return `(${p.add(referralId)}::uuid, ${p.add(queue)}, ${p.add(j.name)}, ${p.add(j.jobId)}, ${p.add(JSON.stringify(j.payload))}, ${p.add(j.delayMs ?? 0)}::int, ${p.add(trace?.traceparent ?? null)}::text, ${p.add(trace?.tracestate ?? null)}::text)`;
  });
  const complete = (column: string) => (event ? `replace(${column}, '${EVENT_ID}', ${event}.id::text)` : column);
  return `INSERT INTO outbox_message (referral_id, queue, job_name, job_id, payload, delay_ms, traceparent, tracestate${direct ? ', dispatched_at' : ''})
    SELECT v.referral_id, v.queue, v.job_name, ${complete('v.job_id')}, ${complete('v.payload')}::jsonb, v.delay_ms, v.traceparent, v.tracestate${direct ? ', now()' : ''}
    FROM ${event ? `${event} CROSS JOIN ` : ''}(VALUES ${rows.join(', ')}) AS v(referral_id, queue, job_name, job_id, payload, delay_ms, traceparent, tracestate)
    ON CONFLICT (job_id) DO NOTHING${direct ? ` RETURNING ${ROW_COLUMNS}` : ''}`;
}

/** Outbox rows for `jobs`, in the caller's transaction. */
export async function writeOutbox(tx: SqlRunner, referralId: string | null, jobs: readonly OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const p = new SqlParams();
  const direct = canEnqueueAfterCommit(tx);
  const { rows } = await tx.query<OutboxRowText>(outboxInsertSql(p, referralId, jobs, undefined, direct), p.values);
  if (direct) enqueueAfterCommit(tx, rows);
}

// ---------- straight after the commit ----------

/** An OutboxRow as a statement returns it: the id as text. */
export type OutboxRowText = Omit<OutboxRow, 'id'> & { id: string };

/** Enqueues committed rows in BullMQ, and hands back to the relay those it could not (outbox-direct.ts). */
export type DirectEnqueue = (rows: readonly OutboxRow[]) => Promise<void>;

let directEnqueue: DirectEnqueue | null = null;

/**
 * This process enqueues the rows its own transactions write, straight after each commit, from now
 * on (the api's and the worker's OutboxDirect at boot). Returns what stops it again.
 */
export function enqueueDirectly(enqueue: DirectEnqueue): () => void {
  directEnqueue = enqueue;
  return () => {
    if (directEnqueue === enqueue) directEnqueue = null;
  };
}

/** True when rows written on `tx` are to be written dispatched and enqueued after its commit. */
export function canEnqueueAfterCommit(tx: SqlRunner): boolean {
  return directEnqueue !== null && hasCommitHooks(tx);
}

/** After `tx` commits, enqueues `rows` (written dispatched by outboxInsertSql with `direct`). */
export function enqueueAfterCommit(tx: SqlRunner, rows: readonly OutboxRowText[] | null): void {
  const enqueue = directEnqueue;
  if (!rows?.length || !enqueue) return;
  const parsed = rows.map((r) => ({ ...r, id: BigInt(r.id) }));
  afterCommit(tx, () => enqueue(parsed));
}

// ---------- the relay ----------

/** Claims up to `batch` committed rows not yet dispatched (nor claimed by a live lease) for `leaseSeconds`. */
export async function claimOutbox(db: SqlRunner, leaseSeconds: number, batch: number): Promise<OutboxRow[]> {
  const { rows } = await db.query<Omit<OutboxRow, 'id'> & { id: string }>(
    `UPDATE outbox_message SET claimed_until = now() + make_interval(secs => $1)
     WHERE id IN (
       SELECT id FROM outbox_message
       WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING id::text AS id, queue, job_name, job_id, payload, delay_ms, traceparent, tracestate`,
    [leaseSeconds, batch],
  );
  return rows.map((r) => ({ ...r, id: BigInt(r.id) })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Rows enqueued in BullMQ: dispatched, the claim let go. */
export async function markDispatched(db: SqlRunner, ids: readonly bigint[]): Promise<void> {
  if (ids.length) await db.query('UPDATE outbox_message SET dispatched_at = now(), claimed_until = NULL WHERE id = ANY($1::bigint[])', [ids.map(String)]);
}

/** Rows that could not be enqueued: the claim let go, for the next batch to try again. */
export async function releaseClaims(db: SqlRunner, ids: readonly bigint[]): Promise<void> {
  if (ids.length) await db.query('UPDATE outbox_message SET claimed_until = NULL WHERE id = ANY($1::bigint[])', [ids.map(String)]);
}

// ---------- a job's end ----------

/** Marks finished jobs' rows completed: those finishing at the same moment in one UPDATE (group commit). */
@Injectable()
export class OutboxCompletions {
  private readonly writer = new GroupWriter<string>((jobIds) =>
    this.prisma.sql
      .query('UPDATE outbox_message SET completed_at = now() WHERE job_id = ANY($1::text[]) AND completed_at IS NULL', [jobIds])
      .then(() => undefined),
  );

  constructor(private readonly prisma: PrismaService) {}

  /** The step has run (or had nothing to do): the reconciler need not look for it again. */
  async markCompleted(jobId: string): Promise<void> {
    await this.writer.add(jobId);
  }
}

/** One job's row completed in the caller's transaction (a job failed for good: finished, though not well). */
export async function markCompletedIn(tx: SqlRunner, jobId: string): Promise<void> {
  await tx.query('UPDATE outbox_message SET completed_at = now() WHERE job_id = $1 AND completed_at IS NULL', [jobId]);
}

// ---------- a person's retry ----------

/** The referral's rows whose jobs failed for good (a needs_attention event names them) and that no retry has replaced yet. */
export async function failedSteps(
  tx: SqlRunner,
  referralId: string,
): Promise<Array<{ id: string; queue: string; jobName: JobName; jobId: string; payload: unknown }>> {
  const { rows } = await tx.query<{ id: string; queue: string; jobName: JobName; jobId: string; payload: unknown }>(
    `SELECT o.id::text AS id, o.queue, o.job_name AS "jobName", o.job_id AS "jobId", o.payload FROM outbox_message o
     WHERE o.referral_id = $1::uuid AND o.superseded_by IS NULL
       AND o.job_id IN (SELECT e.detail->>'jobId' FROM timeline_event e WHERE e.referral_id = $1::uuid AND e.type = 'needs_attention')
     ORDER BY o.id`,
    [referralId],
  );
  return rows;
}

/** Records that the row `id` was replaced by the retry job `byJobId`. */
export async function supersede(tx: SqlRunner, id: string, byJobId: string): Promise<void> {
  await tx.query('UPDATE outbox_message SET superseded_by = $2 WHERE id = $1::bigint', [id, byJobId]);
}

// ---------- the reconciler ----------

/** Rows dispatched longer ago than their delay plus `graceMs` and not finished, after `afterId`, in id order. */
export async function unfinishedSteps(db: SqlRunner, afterId: bigint, graceMs: number, batch: number): Promise<UnfinishedRow[]> {
  const { rows } = await db.query<Omit<UnfinishedRow, 'id'> & { id: string }>(
    `SELECT id::text AS id, referral_id::text AS referral_id, queue, job_name, job_id FROM outbox_message
     WHERE completed_at IS NULL AND dispatched_at IS NOT NULL AND id > $1::bigint
       AND dispatched_at + make_interval(secs => (delay_ms + $2) / 1000.0) < now()
     ORDER BY id LIMIT $3`,
    [String(afterId), graceMs, batch],
  );
  return rows.map((r) => ({ ...r, id: BigInt(r.id) }));
}

/** A row whose job is gone (lost with Redis, or removed): back to the relay, unless it finished meanwhile. */
export async function redrive(db: SqlRunner, id: bigint): Promise<void> {
  await db.query('UPDATE outbox_message SET dispatched_at = NULL, claimed_until = NULL WHERE id = $1::bigint AND completed_at IS NULL', [String(id)]);
}

/** Rows finished more than seven days ago go. */
export async function pruneFinished(db: SqlRunner): Promise<void> {
  await db.query(`DELETE FROM outbox_message WHERE completed_at < now() - interval '7 days'`);
}

// ---------- what operators watch ----------

/** Rows committed but not yet enqueued, and the age in seconds of the oldest of them (0 when none): the relay's lag. */
export async function outboxLag(db: SqlRunner): Promise<{ count: number; age: number }> {
  const { rows } = await db.query<{ n: number; age: number | null }>(
    `SELECT (SELECT count(*) FROM outbox_message WHERE dispatched_at IS NULL)::int AS n,
            (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM outbox_message WHERE dispatched_at IS NULL ORDER BY id LIMIT 1)::float8 AS age`,
  );
  return { count: Number(rows[0]?.n ?? 0), age: Math.max(0, Number(rows[0]?.age ?? 0)) };
}
