// Delivery status of patient notifications (from the send, Notify's callbacks and the poll): each
// status once with its time; a permanent failure sends a letter instead (once) and raises a task.
import { randomUUID } from 'node:crypto';
import type { DeliveryStatus } from '#notifications';
import { outboxJob } from '#queue';
import { raiseTask } from './tasks.js';
import { writeOutbox, type Tx } from './referral-transition.js';

export interface StatusUpdate {
  /** Our notification id (Notify's `reference`) or Notify's own id: either finds the row. */
  readonly notificationId?: string | null;
  readonly providerId?: string | null;
  readonly status: DeliveryStatus;
  /** When the provider says it happened (completed_at or sent_at), if it says. */
  readonly providerAt?: Date | null;
  readonly source: 'send' | 'callback' | 'poll';
  /** Why it failed, as a code (e.g. Notify's error type), never message content. */
  readonly reason?: string | null;
}

export interface StatusOutcome {
  /** The notification the update is about; null: none matches. */
  readonly notificationId: string | null;
  /** False when the notification had already reached a final status (or this one). */
  readonly applied: boolean;
  readonly fallbackLetterId: string | null;
  readonly taskRaised: boolean;
}

/** Statuses a notification moves on from; every other one is final. */
const OPEN_STATUSES = ['created', 'sending'];
/** Once with the receiving trust, its booking team looks after the patient. */
const WITH_RECEIVER = ['AWAITING_BOOKING', 'BOOKED', 'TREATED', 'DISCHARGED'];

interface Row {
  id: string;
  previous: string;
  channel: string;
  event: string;
  key: string;
  detail: unknown;
  referral_id: string;
  origin_ods: string;
  receiving_ods: string | null;
  referral_status: string;
  applied: boolean;
}

/**
 * Moves a notification to `status` if it is still created or sending (a late or repeated callback
 * changes nothing), records the status in its history, and on a permanent failure writes a
 * letter in its place (keyed, so once) with its send job and raises a booking-team task.
 */
export async function recordNotificationStatus(tx: Tx, u: StatusUpdate): Promise<StatusOutcome> {
  if (!u.notificationId && !u.providerId) return { notificationId: null, applied: false, fallbackLetterId: null, taskRaised: false };
  const byId = u.notificationId ? 'n.id = $1::uuid' : 'n.provider_id = $2';
  const { rows } = await tx.query<Row>(
    `WITH n AS (SELECT n.* FROM notification n WHERE ${byId} FOR UPDATE),
     u AS (UPDATE notification SET status = $3, provider_id = COALESCE(notification.provider_id, $2),
                  sent_at = COALESCE(notification.sent_at, now()), updated_at = now()
           FROM n WHERE notification.id = n.id AND n.status = ANY($6::text[]) AND n.status <> $3 RETURNING notification.id),
     h AS (INSERT INTO notification_status (notification_id, status, provider_at, source) SELECT id, $3, $4::timestamptz, $5 FROM u
           ON CONFLICT (notification_id, status) DO NOTHING)
     SELECT n.id, n.status AS previous, n.channel, n.event, n.key, n.detail, n.referral_id, r.origin_ods, r.receiving_ods, r.status::text AS referral_status,
            EXISTS (SELECT 1 FROM u) AS applied
     FROM n JOIN referral r ON r.id = n.referral_id`,
    [u.notificationId ?? null, u.providerId ?? null, u.status, u.providerAt ?? null, u.source, OPEN_STATUSES],
  );
  const n = rows[0];
  if (!n) return { notificationId: null, applied: false, fallbackLetterId: null, taskRaised: false };
  if (!n.applied || u.status !== 'permanent-failure') return { notificationId: n.id, applied: n.applied, fallbackLetterId: null, taskRaised: false };

  let fallbackLetterId: string | null = null;
  if (n.channel !== 'letter') {
    const id = randomUUID();
    const ins = await tx.query<{ id: string }>(
      `INSERT INTO notification (id, referral_id, event, key, channel, status, detail, fallback_of, updated_at)
       VALUES ($1::uuid, $2::uuid, $3, $4, 'letter', 'created', $5::jsonb, $6::uuid, now())
       ON CONFLICT (key) DO NOTHING RETURNING id::text AS id`,
      [id, n.referral_id, n.event, `${n.key}.letter`, n.detail === null ? null : JSON.stringify(n.detail), n.id],
    );
    if (ins.rows[0]) {
      fallbackLetterId = id;
      await writeOutbox(tx, n.referral_id, [outboxJob('notification.send', { referralId: n.referral_id, notificationId: id }, id)]);
    }
  }
  const taskRaised = await raiseTask(tx, {
    trustOds: WITH_RECEIVER.includes(n.referral_status) && n.receiving_ods ? n.receiving_ods : n.origin_ods,
    team: 'booking',
    kind: 'notification_failed',
    referralId: n.referral_id,
    key: `notification_failed.${n.id}`,
    detail: { notificationId: n.id, event: n.event, channel: n.channel, reason: u.reason ?? null, fallbackLetterId },
  });
  return { notificationId: n.id, applied: true, fallbackLetterId, taskRaised };
}

/** Notifications still sending after `olderThanMs` without a final status, oldest first, for the poll. */
export async function notificationsAwaitingStatus(tx: Tx, olderThanMs: number, limit: number): Promise<Array<{ id: string; providerId: string }>> {
  const { rows } = await tx.query<{ id: string; provider_id: string }>(
    `SELECT id::text, provider_id FROM notification
     WHERE status = 'sending' AND provider_id IS NOT NULL AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
     ORDER BY updated_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map((r) => ({ id: r.id, providerId: r.provider_id }));
}
