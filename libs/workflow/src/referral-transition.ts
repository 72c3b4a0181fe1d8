// One stage change as one transaction: new status (version-checked), a timeline event,
// patient notifications and outbox rows for every job the change starts.
//
// Plain SQL on the transaction's connection (see libs/persistence/src/sql.ts): a stage change is
// the hot path, and this is two statements where the Prisma version was five or more.
import { randomUUID } from 'node:crypto';
import { isoDate, requireTransition, type ReferralAction, type ReferralStatus } from '#domain';
import { SqlParams, type SqlRunner } from '#persistence';
import type { Actor } from '#auth';
import { outboxJob, type OutboxJob } from '#queue';
import { canEnqueueAfterCommit, enqueueAfterCommit, EVENT_ID, outboxInsertSql, type OutboxRowText } from './outbox/outbox.js';
import { preferredChannel, type NotificationEvent } from '#notifications';
import { ConcurrentChangeError } from './workflow-errors.js';

/** The connection of the transaction a workflow step runs in. */
export type Tx = SqlRunner;

export interface ReferralRef {
  readonly id: string;
  readonly status: ReferralStatus;
  readonly version: number;
  readonly patient: { readonly email: string | null; readonly phone: string | null; readonly contactPreference?: string | null };
}

/** Referral fields a stage change may write with the status. */
export interface ReferralFields {
  readonly receivingOds?: string | null;
  /** A receiving trust that stops being a party (history only). */
  readonly formerReceivingOds?: string | null;
  readonly travelRadiusMiles?: number | null;
  readonly rttClockStop?: Date | null;
}

const FIELD_COLUMNS: { readonly [K in keyof ReferralFields]-?: (p: SqlParams, v: ReferralFields[K]) => string } = {
  receivingOds: (p, v) => `receiving_ods = ${p.add(v)}`,
  // Each one also joins the list a re-offer excludes (issue 18, RO); former_receiving_ods keeps the latest.
  formerReceivingOds: (p, v) => {
    const ods = p.add(v);
    return `former_receiving_ods = ${ods}::text, former_receivers = CASE WHEN ${ods}::text IS NULL THEN former_receivers ELSE array_append(former_receivers, ${ods}::text) END`;
  },
  travelRadiusMiles: (p, v) => `travel_radius_miles = ${p.add(v)}::int`,
  // A day, written as the UTC date Prisma would write, whatever the process's time zone.
  rttClockStop: (p, v) => `rtt_clock_stop = ${p.add(v ? isoDate(v) : null)}::date`,
};

export interface TransitionSpec {
  readonly action: ReferralAction;
  readonly actor: Actor;
  /** Timeline event type; defaults to the action. */
  readonly type?: string;
  readonly detail?: Record<string, unknown>;
  /** Other referral fields written with the status (undefined: left as they are). */
  readonly data?: ReferralFields;
  /** Jobs to start, keyed by the new event id so a replayed change cannot enqueue twice. */
  readonly jobs?: (eventId: string) => OutboxJob[];
  /** What the patient is told (with ids the message needs, such as a booking id). */
  readonly notify?: ReadonlyArray<NotificationEvent | { event: NotificationEvent; detail: Record<string, string> }>;
}

export interface TransitionOutcome {
  readonly from: ReferralStatus;
  readonly to: ReferralStatus;
  readonly eventId: string;
  readonly version: number;
}

export async function applyTransition(tx: Tx, ref: ReferralRef, spec: TransitionSpec): Promise<TransitionOutcome> {
  const t = requireTransition(ref.status, spec.action);

  // The version-checked update, its timeline event, the patient's notifications and the outbox rows
  // of every job it starts, in one statement (one round trip): no row updated, no event, nothing else.
  // Jobs and notification keys are named by the event, whose id Postgres puts in place of EVENT_ID.
  const p = new SqlParams();
  const to = p.add(t.to);
  const sets = [`status = ${to}::"ReferralStatus"`, 'version = version + 1', 'updated_at = now()'];
  for (const key of Object.keys(FIELD_COLUMNS) as Array<keyof ReferralFields>) {
    const v = spec.data?.[key];
    if (v !== undefined) sets.push(FIELD_COLUMNS[key](p, v as never));
  }
  const ctes = [
    `u AS (UPDATE referral SET ${sets.join(', ')} WHERE id = ${p.add(ref.id)}::uuid AND version = ${p.add(ref.version)} RETURNING id)`,
    `e AS (INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, actor_name, detail)
     SELECT id, ${p.add(spec.type ?? spec.action)}, ${p.add(ref.status)}::"ReferralStatus", ${to}::"ReferralStatus",
            ${p.add(spec.actor.sub)}, ${p.add(spec.actor.role)}, ${p.add(spec.actor.ods)}, ${p.add(spec.actor.name ?? null)}, ${p.add(jsonOrNull(spec.detail))}::jsonb
     FROM u RETURNING id)`,
  ];
  const jobs: OutboxJob[] = [...(spec.jobs?.(EVENT_ID) ?? [])];
  const notifications = (spec.notify ?? []).map((n) => (typeof n === 'string' ? { event: n, detail: undefined } : n));
  if (notifications.length > 0) ctes.push(`n AS (${notificationInsertSql(p, ref, EVENT_ID, notifications, jobs, 'e')})`);
  // Where this process enqueues its own commits' jobs, the rows come back to be enqueued after the commit.
  const direct = jobs.length > 0 && canEnqueueAfterCommit(tx);
  if (jobs.length > 0) ctes.push(`o AS (${outboxInsertSql(p, ref.id, jobs, 'e', direct)})`);
  const { rows } = await tx.query<{ id: string; outbox: OutboxRowText[] | null }>(
    `WITH ${ctes.join(',\n')}\nSELECT id::text AS id, ${direct ? '(SELECT json_agg(o) FROM o)' : 'NULL'} AS outbox FROM e`,
    p.values,
  );
  if (rows.length === 0) {
    const now = await tx.query<{ status: ReferralStatus }>('SELECT status FROM referral WHERE id = $1::uuid', [ref.id]);
    throw new ConcurrentChangeError(now.rows[0]?.status ?? null);
  }
  if (direct) enqueueAfterCommit(tx, rows[0].outbox);
  return { from: ref.status, to: t.to, eventId: rows[0].id, version: ref.version + 1 };
}

/**
 * The INSERT of `notifications` (one row each, keyed `<referral>.<event>.<step>`), each with its send
 * job added to `jobs`. With `event`, as outboxInsertSql: EVENT_ID in the step becomes that CTE's event id.
 */
function notificationInsertSql(
  p: SqlParams,
  ref: ReferralRef,
  stepKey: string,
  notifications: ReadonlyArray<{ event: NotificationEvent; detail: Record<string, string> | undefined }>,
  jobs: OutboxJob[],
  event?: string,
): string {
  const channel = preferredChannel(ref.patient);
  const values = notifications.map((n) => {
    const id = randomUUID();
    jobs.push(outboxJob('notification.send', { referralId: ref.id, notificationId: id }, id));
    return `(${p.add(id)}::uuid, ${p.add(ref.id)}::uuid, ${p.add(n.event)}, ${p.add(`${ref.id}.${n.event}.${stepKey}`)}, ${p.add(channel)}, ${p.add(jsonOrNull(n.detail))}::jsonb)`;
  });
  return `INSERT INTO notification (id, referral_id, event, key, channel, status, detail, updated_at)
    SELECT v.id, v.referral_id, v.event, ${event ? `replace(v.key, '${EVENT_ID}', ${event}.id::text)` : 'v.key'}, v.channel, 'created', v.detail, now()
    FROM ${event ? `${event} CROSS JOIN ` : ''}(VALUES ${values.join(', ')}) AS v(id, referral_id, event, key, channel, detail)`;
}

/**
 * SQL, true when the notification row `alias` is its referral's latest offer: an `offer` event, not a
 * fallback letter of one, and none newer (by creation time, then id). The offer page's link and the
 * offer reminders follow only that one; an older offer's link shows that it was replaced.
 */
export function isLatestOfferNotification(alias: string): string {
  return `(${alias}.event = 'offer' AND ${alias}.fallback_of IS NULL AND NOT EXISTS (
    SELECT 1 FROM notification later WHERE later.referral_id = ${alias}.referral_id AND later.event = 'offer' AND later.fallback_of IS NULL
      AND (later.created_at, later.id) > (${alias}.created_at, ${alias}.id)))`;
}

/** Records a notification to send (once: its key is unique) with the outbox row of the job that sends it. */
export async function createNotification(tx: Tx, ref: ReferralRef, event: NotificationEvent, stepKey: string, detail?: Record<string, string>): Promise<void> {
  await writeNotificationsAndOutbox(tx, ref, stepKey, [{ event, detail }], []);
}

/**
 * Notifications (one row each, keyed `<referral>.<event>.<step>`) and the outbox rows of their
 * send jobs and of `jobs`, in one statement.
 */
async function writeNotificationsAndOutbox(
  tx: Tx,
  ref: ReferralRef,
  stepKey: string,
  notifications: ReadonlyArray<{ event: NotificationEvent; detail: Record<string, string> | undefined }>,
  jobs: OutboxJob[],
): Promise<void> {
  if (notifications.length === 0 && jobs.length === 0) return;
  const p = new SqlParams();
  const parts = notifications.length > 0 ? [`n AS (${notificationInsertSql(p, ref, stepKey, notifications, jobs)})`] : [];
  const direct = canEnqueueAfterCommit(tx);
  const outbox = outboxInsertSql(p, ref.id, jobs, undefined, direct);
  const { rows } = await tx.query<OutboxRowText>(parts.length ? `WITH ${parts.join(', ')} ${outbox}` : outbox, p.values);
  if (direct) enqueueAfterCommit(tx, rows);
}

/**
 * The INSERT of an event by `actor` that does not change the status, on each referral the relation
 * `from` (named `alias`, with a `referral_id`) names, at the referral's status as the statement reads
 * it (for a step that knows no status of its own: a MESH message sent or acknowledged), on `p`'s
 * placeholders; `type`, `detail` and `where` are SQL expressions over `alias`.
 */
export function eventAtStatusSql(p: SqlParams, from: string, alias: string, actor: Actor, type: string, detail: string, where = 'true'): string {
  return `INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, actor_name, detail)
    SELECT r.id, ${type}, r.status, r.status, ${p.add(actor.sub)}::text, ${p.add(actor.role)}::text, ${p.add(actor.ods)}::text, ${p.add(actor.name ?? null)}::text, ${detail}
    FROM ${from} JOIN referral r ON r.id = ${alias}.referral_id WHERE ${where}`;
}

/** Appends an event that does not change the status (a booking, a dispatch, a flag). */
export async function appendEvent(
  tx: Tx,
  referralId: string,
  status: ReferralStatus,
  type: string,
  actor: Actor,
  detail?: Record<string, unknown>,
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, actor_name, detail)
     VALUES ($1::uuid, $2, $3::"ReferralStatus", $3::"ReferralStatus", $4, $5, $6, $8, $7::jsonb) RETURNING id::text AS id`,
    [referralId, type, status, actor.sub, actor.role, actor.ods, jsonOrNull(detail), actor.name ?? null],
  );
  return rows[0].id;
}

function jsonOrNull(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}
