// Delivery status of patient notifications (from the send, Notify's callbacks and the poll): each
// status once with its time; a permanent failure sends a letter instead (once) and raises a task,
// and so does (the task only) a temporary or technical failure.
import { randomUUID } from 'node:crypto';
import type { DeliveryStatus } from '#notifications';
import { outboxJob } from '#queue';
import { raiseTask, taskTrustFor, TASK_TEAMS, type TaskTeam } from '../tasks.js';
import type { Tx } from '../referral-transition.js';
import { writeOutbox } from '../outbox/outbox.js';

export interface StatusUpdate {
  /** Our notification id (Notify's `reference`) or Notify's own id: either finds the row. */
  readonly notificationId?: string | null;
  readonly providerId?: string | null;
  readonly status: DeliveryStatus;
  /** When the provider says it happened (completed_at or sent_at), if it says. */
  readonly providerAt?: Date | null;
  /** `stale`: the worker found the message no longer true when its turn came, and did not send it. */
  readonly source: 'send' | 'callback' | 'poll' | 'stale';
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
/**
 * Final statuses that leave the patient untold: each raises a booking-team task. Only a permanent
 * failure also sends a letter in its place: Notify has already retried a temporary failure (phone
 * off, inbox full) for 72 hours and a technical failure is its own fault, so the contact details
 * may well be right; the booking team decides whether to phone, write or send again.
 */
const FAILED_STATUSES: readonly DeliveryStatus[] = ['permanent-failure', 'temporary-failure', 'technical-failure'];

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
  // $1 appears in both forms: a parameter the text never names has no type, and Postgres refuses the
  // statement ("could not determine data type of parameter $1") when a receipt has no reference of ours.
  const byId = u.notificationId ? 'n.id = $1::uuid' : 'n.provider_id = $2 AND $1::uuid IS NULL';
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
  if (!n) return recordStaffNotificationStatus(tx, u);
  if (!n.applied || !FAILED_STATUSES.includes(u.status)) return { notificationId: n.id, applied: n.applied, fallbackLetterId: null, taskRaised: false };

  let fallbackLetterId: string | null = null;
  if (u.status === 'permanent-failure' && n.channel !== 'letter') {
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
    trustOds: taskTrustFor(n.referral_status, n.origin_ods, n.receiving_ods),
    team: 'booking',
    kind: 'notification_failed',
    referralId: n.referral_id,
    key: `notification_failed.${n.id}`,
    detail: { notificationId: n.id, event: n.event, channel: n.channel, status: u.status, reason: u.reason ?? null, fallbackLetterId },
  });
  return { notificationId: n.id, applied: true, fallbackLetterId, taskRaised };
}

/**
 * A staff worklist email's status (table staff_notification: no referral and no fallback letter).
 * A failure raises a task for the team itself: its worklist email address does not work, and a
 * trust admin should put a working one (PUT /v1/team-contacts/:team).
 */
async function recordStaffNotificationStatus(tx: Tx, u: StatusUpdate): Promise<StatusOutcome> {
  const byId = u.notificationId ? 'id = $1::uuid' : 'provider_id = $2 AND $1::uuid IS NULL';
  const { rows } = await tx.query<{ id: string; trust_ods: string; team: string; applied: boolean }>(
    `WITH s AS (SELECT id, status, trust_ods, team FROM staff_notification WHERE ${byId} FOR UPDATE),
     u AS (UPDATE staff_notification SET status = $3, provider_id = COALESCE(staff_notification.provider_id, $2), updated_at = now()
           FROM s WHERE staff_notification.id = s.id AND s.status = ANY($4::text[]) AND s.status <> $3 RETURNING staff_notification.id)
     SELECT s.id::text AS id, s.trust_ods, s.team, EXISTS (SELECT 1 FROM u) AS applied FROM s`,
    [u.notificationId ?? null, u.providerId ?? null, u.status, OPEN_STATUSES],
  );
  const row = rows[0];
  if (!row) return recordInvitationStatus(tx, u);
  let taskRaised = false;
  if (row.applied && FAILED_STATUSES.includes(u.status) && (TASK_TEAMS as readonly string[]).includes(row.team)) {
    taskRaised = await raiseTask(tx, {
      trustOds: row.trust_ods,
      team: row.team as TaskTeam,
      kind: 'staff_email_failed',
      referralId: null,
      key: `staff_email_failed.${row.id}`,
      detail: { staffNotificationId: row.id, status: u.status, reason: u.reason ?? null },
    });
  }
  return { notificationId: row.id, applied: row.applied, fallbackLetterId: null, taskRaised };
}

/**
 * A patient-initiated mutual aid invitation's status (table pidmas_invitation: no referral, so no
 * fallback letter or task; the cohort's page counts the failures for the booking team).
 */
async function recordInvitationStatus(tx: Tx, u: StatusUpdate): Promise<StatusOutcome> {
  const byId = u.notificationId ? 'id = $1::uuid' : 'provider_id = $2 AND $1::uuid IS NULL';
  const { rows } = await tx.query<{ id: string; applied: boolean }>(
    `WITH s AS (SELECT id, status FROM pidmas_invitation WHERE ${byId} FOR UPDATE),
     u AS (UPDATE pidmas_invitation SET status = $3, provider_id = COALESCE(pidmas_invitation.provider_id, $2), updated_at = now()
           FROM s WHERE pidmas_invitation.id = s.id AND s.status = ANY($4::text[]) AND s.status <> $3 RETURNING pidmas_invitation.id)
     SELECT s.id::text AS id, EXISTS (SELECT 1 FROM u) AS applied FROM s`,
    [u.notificationId ?? null, u.providerId ?? null, u.status, OPEN_STATUSES],
  );
  const row = rows[0];
  return { notificationId: row?.id ?? null, applied: row?.applied ?? false, fallbackLetterId: null, taskRaised: false };
}

/**
 * Notifications still sending after `olderThanMs` without a final status, for the poll: the ones
 * asked about longest ago (or never) first, and each claimed by stamping `polled_at`, so a row
 * Notify keeps calling `sending` (a letter, for days) goes to the back of the line instead of
 * filling every batch, and two workers polling at once take different rows.
 */
export async function notificationsAwaitingStatus(tx: Tx, olderThanMs: number, limit: number): Promise<Array<{ id: string; providerId: string }>> {
  const out: Array<{ id: string; providerId: string }> = [];
  // Patient notifications, then staff worklist emails and PIDMAS invitations in the same way (their
  // own tables; recordNotificationStatus finds any of them by id).
  for (const table of ['notification', 'staff_notification', 'pidmas_invitation'] as const) {
    const { rows } = await tx.query<{ id: string; provider_id: string }>(
      `UPDATE ${table} SET polled_at = now()
       WHERE id IN (SELECT id FROM ${table}
                    WHERE status = 'sending' AND provider_id IS NOT NULL AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
                    ORDER BY polled_at NULLS FIRST, updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id::text, provider_id`,
      [olderThanMs, limit],
    );
    for (const r of rows) out.push({ id: r.id, providerId: r.provider_id });
  }
  return out;
}
