// Every statement on the dispatch table: a message to another organisation, queued in the
// transaction of the step that decided it, then sent, delivered, acknowledged (or failed) by the
// worker's MESH loops (mesh-exchange.ts).
import { randomUUID } from 'node:crypto';
import { SqlParams, type SqlRunner } from '#persistence';
import type { DispatchKind } from './documents.js';

export const DISPATCH_STATUSES = ['QUEUED', 'SENT', 'DELIVERED', 'ACKNOWLEDGED', 'FAILED'] as const;
export type DispatchStatus = (typeof DISPATCH_STATUSES)[number];

export interface QueueDispatch {
  readonly referralId: string;
  readonly kind: DispatchKind;
  /** The trust it goes for: its team is told when it fails or is not acknowledged. */
  readonly senderOds: string;
  readonly recipientOds: string;
  /** What it says (patient data: it stays in Postgres, never in a job or a log). */
  readonly payload: Record<string, unknown>;
}

/** Queues a dispatch, due at once; one of each kind per referral and parties (true when this call queued it). */
export async function queueDispatch(tx: SqlRunner, d: QueueDispatch): Promise<boolean> {
  return queueDispatchWith(tx, d, []);
}

/**
 * Queues `first` as queueDispatch does and, only when this call queued it, `more` with it, in one
 * statement (a step that sends two messages for one decision); true when `first` was queued here.
 */
export async function queueDispatchWith(tx: SqlRunner, first: QueueDispatch, more: readonly QueueDispatch[]): Promise<boolean> {
  const p = new SqlParams();
  // Each a VALUES list of the six columns a dispatch is queued with; due at once.
  const values = (ds: readonly QueueDispatch[]) =>
    ds
      .map(
        (d) =>
          `(${p.add(randomUUID())}::uuid, ${p.add(d.referralId)}::uuid, ${p.add(d.kind)}, ${p.add(d.senderOds)}, ${p.add(d.recipientOds)}, ${p.add(JSON.stringify(d.payload))}::jsonb)`,
      )
      .join(', ');
  const insert = (ds: readonly QueueDispatch[], when: string) =>
    `INSERT INTO dispatch (id, referral_id, kind, sender_ods, recipient_ods, payload, status, next_attempt_at)
     SELECT v.id, v.referral_id, v.kind, v.sender_ods, v.recipient_ods, v.payload, 'QUEUED', now()
     FROM (VALUES ${values(ds)}) AS v(id, referral_id, kind, sender_ods, recipient_ods, payload) ${when}
     ON CONFLICT (referral_id, kind, sender_ods, recipient_ods) DO NOTHING`;
  const sql = more.length
    ? `WITH first AS (${insert([first], '')} RETURNING kind), more AS (${insert(more, 'WHERE EXISTS (SELECT 1 FROM first)')}) SELECT kind FROM first`
    : `${insert([first], '')} RETURNING kind`;
  const { rows } = await tx.query<{ kind: DispatchKind }>(sql, p.values);
  return rows.length === 1;
}

export interface DueDispatch {
  id: string;
  referralId: string;
  kind: DispatchKind;
  senderOds: string | null;
  recipientOds: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Claims up to `batch` queued dispatches whose next attempt is due, for `leaseMs`: a worker that
 * dies mid-send lets its claim lapse and another sends the message (MESH may then hold it twice;
 * the recipient tells them apart by `mex-localid`, the dispatch's id).
 */
export async function claimDueDispatches(db: SqlRunner, batch: number, leaseMs: number): Promise<DueDispatch[]> {
  // Oldest due first (RETURNING keeps no order of its own): a referral's messages go in that order.
  const { rows } = await db.query<DueDispatch>(
    `WITH c AS (
       UPDATE dispatch SET claimed_until = now() + make_interval(secs => $2 / 1000.0)
        WHERE id IN (SELECT id FROM dispatch
                      WHERE status = 'QUEUED' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, referral_id, kind, sender_ods, recipient_ods, payload, attempts, next_attempt_at, created_at)
     SELECT id, referral_id AS "referralId", kind, sender_ods AS "senderOds", recipient_ods AS "recipientOds", payload, attempts
       FROM c ORDER BY next_attempt_at, created_at, id`,
    [batch, leaseMs],
  );
  return rows;
}

/** The mailbox an organisation receives this kind of message at, or null when none is recorded. */
export async function mailboxFor(db: SqlRunner, odsCode: string, service: 'PAS' | 'GP'): Promise<string | null> {
  const { rows } = await db.query<{ mailboxId: string }>('SELECT mailbox_id AS "mailboxId" FROM mesh_mailbox WHERE ods_code = $1 AND service = $2', [
    odsCode,
    service,
  ]);
  return rows[0]?.mailboxId ?? null;
}

export interface WaitingDispatch {
  id: string;
  referralId: string;
  kind: DispatchKind;
  status: DispatchStatus;
  messageId: string;
  senderOds: string | null;
  recipientOds: string;
}

const WAITING_COLUMNS = `id, referral_id AS "referralId", kind, status, message_id AS "messageId", sender_ods AS "senderOds", recipient_ods AS "recipientOds"`;

/** Sent and not yet known delivered: the ones to ask MESH's tracking about. */
export async function sentNotDelivered(db: SqlRunner, batch: number): Promise<WaitingDispatch[]> {
  const { rows } = await db.query<WaitingDispatch>(
    `SELECT ${WAITING_COLUMNS} FROM dispatch WHERE status = 'SENT' AND message_id IS NOT NULL ORDER BY sent_at LIMIT $1`,
    [batch],
  );
  return rows;
}

/** Sent longer ago than `ackTimeoutMs` with no business acknowledgement. */
export async function unacknowledged(db: SqlRunner, ackTimeoutMs: number, batch: number): Promise<WaitingDispatch[]> {
  const { rows } = await db.query<WaitingDispatch>(
    `SELECT ${WAITING_COLUMNS} FROM dispatch
      WHERE status IN ('SENT', 'DELIVERED') AND sent_at < now() - make_interval(secs => $1 / 1000.0)
        AND NOT EXISTS (SELECT 1 FROM task t WHERE t.key = 'dispatch-unacknowledged.' || dispatch.id::text)
      ORDER BY sent_at LIMIT $2`,
    [ackTimeoutMs, batch],
  );
  return rows;
}

/** The dispatch an acknowledgement or a report names, locked; by MESH's id or our local id. */
export async function findDispatch(db: SqlRunner, by: { messageId?: string | null; localId?: string | null }): Promise<WaitingDispatch | null> {
  const local = by.localId && /^[0-9a-f-]{36}$/i.test(by.localId) ? by.localId : null;
  const { rows } = await db.query<WaitingDispatch>(
    `SELECT ${WAITING_COLUMNS} FROM dispatch WHERE ($1::text IS NOT NULL AND message_id = $1) OR ($2::uuid IS NOT NULL AND id = $2::uuid) LIMIT 1 FOR UPDATE`,
    [by.messageId ?? null, local],
  );
  return rows[0] ?? null;
}

/** A referral's dispatches for its view, oldest first (no payload: what was sent is read where it went). */
export interface DispatchView {
  kind: string;
  status: DispatchStatus;
  recipientOds: string;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  acknowledgedAt: Date | null;
  failedAt: Date | null;
  nextAttemptAt: Date | null;
}

export async function dispatchesOf(db: SqlRunner, referralId: string): Promise<DispatchView[]> {
  const { rows } = await db.query<DispatchView>(
    `SELECT kind, status, recipient_ods AS "recipientOds", attempts, created_at AS "createdAt", sent_at AS "sentAt", delivered_at AS "deliveredAt",
            acknowledged_at AS "acknowledgedAt", failed_at AS "failedAt", CASE WHEN status = 'QUEUED' THEN next_attempt_at END AS "nextAttemptAt"
       FROM dispatch WHERE referral_id = $1::uuid ORDER BY created_at, kind`,
    [referralId],
  );
  return rows;
}
