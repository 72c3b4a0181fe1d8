// The reminder sweep: offer reminders (7 and 14 days), the unanswered-offer task for the origin's
// booking team (21 days), appointment reminders (7 days and 1 day before), and the staff emails
// that tell a team something landed on its worklist. Each pass finds what is due in SQL and writes
// it with deterministic keys, in one transaction.
//
// Why a sweep and not delayed BullMQ jobs: every due time here follows from rows in Postgres that
// keep changing (the patient answers, a booking is cancelled or moved, a newer offer replaces the
// old one). A sweep reads the current rows, so nothing has to find and remove a delayed job when
// they change, and a Redis flush or a killed worker loses nothing: the next pass finds the same
// due rows. The keys (`<referral>.offer_reminder.<offer notification>.7d`,
// `<referral>.appointment_reminder.<booking>.<starts_at epoch>.1d`, task `offer_unanswered.<offer
// notification>`, staff items by timeline event / task id) make a second pass, or two workers at
// once, a no-op; a transaction-scoped advisory lock lets one worker at a time do the pass. Sends go
// through the same notification rows and outbox as every other patient message.
//
// Cost: each query reads only the rows in its due window through a partial index (see
// prisma/migrations/20261125090000_reminders): offer notifications of one week, live bookings of
// the next 7 days, timeline events and tasks since the last pass. Not the referral table.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { inTransaction, PrismaService, type SqlRunner } from '#persistence';
import { AWAITING_ANSWER, BOOKING_STAGE, WORKLIST_ARRIVALS, type ReferralStatus, type WorklistName } from '#domain';
import type { OutboxJob } from '#queue';
import { createNotification, isLatestOfferNotification, type ReferralRef } from '../referral-transition.js';
import { writeOutbox } from '../outbox/outbox.js';
import { raiseTask, taskTrustSql } from '../tasks.js';
import { WORKLISTS } from '../referral-queries.js';
import { statusLiterals } from '../status-sql.js';

/** Arbitrary, fixed: the advisory lock key of the reminder sweep ("crosstrust reminders"). */
const LOCK_KEY = 7_351_902_205;
/** Rows per query per pass; a full batch makes the worker run another pass at once. */
export const SWEEP_BATCH = 500;
/**
 * Offer reminders 7 and 14 days after the offer notification, while the referral still awaits
 * consent and no newer offer notification replaced it. Each is sent only within a week of its due
 * day (`until`): after a long outage a patient gets the reminder that is due now, not a stale one.
 */
export const OFFER_REMINDERS = [
  { which: '7d', afterDays: 7, untilDays: 14 },
  { which: '14d', afterDays: 14, untilDays: 21 },
] as const;
/**
 * The origin's booking team gets an `offer_unanswered` task 21 days after the offer: a week after
 * the last reminder, so the patient has had time to answer it before someone phones. Raised up to
 * a week late (a sweep stopped for longer than that is an outage someone is already looking at);
 * the window keeps each pass to one week of offers.
 */
export const OFFER_UNANSWERED_TASK_DAYS = 21;
const OFFER_UNANSWERED_TASK_UNTIL_DAYS = 28;
/**
 * Appointment reminders 7 days and 1 day before a live booking. A booking gets a reminder only if
 * it was made before the reminder's time (a booking made 3 days ahead gets the 1-day one only: its
 * confirmation has just gone), and not within MIN_LEAD_HOURS of the start.
 */
export const APPOINTMENT_REMINDERS = [
  { which: '7d', beforeHours: 7 * 24, notWithinHours: 24 },
  { which: '1d', beforeHours: 24, notWithinHours: 2 },
] as const;
/**
 * The staff-email sweep reads timeline events and tasks from a cursor kept this far behind now:
 * a stage change whose transaction began earlier but commits later is still read (the row's
 * time is its transaction's start). Items are keyed, so reading a row twice is harmless.
 */
const CURSOR_LAG_SECONDS = 60;
/** On the very first pass, look back this far (not over the whole history). */
const FIRST_LOOKBACK_MINUTES = 60;
/** Referral ids listed in one staff email; counts cover the rest. */
const STAFF_EMAIL_MAX_IDS = 20;

export interface SweepReport {
  readonly offerReminders: number;
  readonly offerTasks: number;
  readonly appointmentReminders: number;
  readonly staffItems: number;
  readonly staffEmails: number;
  /** Some query filled its batch: run again at once. */
  readonly more: boolean;
}

/**
 * What a stage change into one of WORKLIST_ARRIVALS (or a flag, needs_attention) puts on a team's
 * worklist, as SQL over the timeline event `e` and its referral `r`: which worklist, which team
 * works it, and which trust's team that is (the side the worklist is read from; a flag goes to the
 * trust that holds the referral now). A cancelled or missed appointment that leaves the status as it
 * was (a pre-operative assessment's) puts the referral on the booking-changed worklist instead: the
 * booking commands set its flag, and the timeline's event is what the sweep reads (a procedure's
 * moves the referral back to AWAITING_BOOKING, an arrival on to-book). The statuses are literals
 * because the statement must repeat the predicate of its partial index,
 * timeline_event_worklist_at_idx (status-sql.ts says why); test/use-cases/status-sets.spec.ts checks
 * that the index names the same statuses, and that the statement keeps the index.
 */
const ARRIVALS = [...WORKLIST_ARRIVALS];
const BOOKING_CHANGE_EVENT = `(e.type IN ('appointment_cancelled', 'did_not_attend') AND e.from_status = e.to_status)`;
const ARRIVAL_EVENT = `(e.type = 'needs_attention'
                OR ${BOOKING_CHANGE_EVENT}
                OR (e.to_status IN (${statusLiterals(WORKLIST_ARRIVALS.keys())}) AND e.from_status IS DISTINCT FROM e.to_status))`;
const byArrival = (flagged: string, value: (w: WorklistName) => string) =>
  `CASE WHEN e.type = 'needs_attention' THEN ${flagged} WHEN ${BOOKING_CHANGE_EVENT} THEN ${value('booking-changed')}
   ${ARRIVALS.map(([status, w]) => `WHEN e.to_status = ${statusLiterals([status])} THEN ${value(w)}`).join(' ')} END`;
const sideOf = (w: WorklistName) => (WORKLISTS[w].side === 'origin' ? 'r.origin_ods' : 'coalesce(r.receiving_ods, r.origin_ods)');
const LANDS_ON = byArrival(`'needs-attention'`, (w) => `'${w}'`);
const TEAM = byArrival(`'${WORKLISTS['needs-attention'].team}'`, (w) => `'${WORKLISTS[w].team}'`);
const TRUST = byArrival(taskTrustSql('r'), sideOf);

@Injectable()
export class ReminderSweep {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One pass; null when another worker holds the sweep. */
  async sweepOnce(): Promise<SweepReport | null> {
    return inTransaction(this.prisma.pool, async (tx) => {
      const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_KEY]);
      if (!rows[0]?.ok) return null;
      let more = false;
      const note = (n: number) => {
        if (n >= SWEEP_BATCH) more = true;
        return n;
      };
      let offerReminders = 0;
      for (const r of OFFER_REMINDERS) offerReminders += note(await this.offerReminders(tx, r));
      const offerTasks = note(await this.offerUnansweredTasks(tx));
      let appointmentReminders = 0;
      for (const r of APPOINTMENT_REMINDERS) appointmentReminders += note(await this.appointmentReminders(tx, r));
      const staffItems = await this.collectStaffItems(tx);
      if (staffItems.full) more = true;
      const staffEmails = await this.staffEmails(tx);
      return { offerReminders, offerTasks, appointmentReminders, staffItems: staffItems.count, staffEmails, more };
    });
  }

  private async offerReminders(tx: SqlRunner, r: (typeof OFFER_REMINDERS)[number]): Promise<number> {
    const { rows } = await tx.query<DueRow & { offer_notification_id: string }>(
      `SELECT n.id::text AS offer_notification_id, r.id::text AS referral_id, r.status, r.version, p.email, p.phone, p.contact_preference
       FROM notification n JOIN referral r ON r.id = n.referral_id JOIN patient p ON p.id = r.patient_id
       WHERE ${isLatestOfferNotification('n')}
         AND n.created_at <= now() - make_interval(days => $1) AND n.created_at > now() - make_interval(days => $2)
         AND r.status = $4::"ReferralStatus"
         AND NOT EXISTS (SELECT 1 FROM notification x WHERE x.key = r.id::text || '.offer_reminder.' || n.id::text || '.' || $3)
       ORDER BY n.created_at LIMIT ${SWEEP_BATCH}`,
      [r.afterDays, r.untilDays, r.which, AWAITING_ANSWER],
    );
    for (const row of rows) {
      await createNotification(tx, refOf(row), 'offer_reminder', `${row.offer_notification_id}.${r.which}`, {
        offerNotificationId: row.offer_notification_id,
        reminder: r.which,
      });
    }
    return rows.length;
  }

  private async offerUnansweredTasks(tx: SqlRunner): Promise<number> {
    const { rows } = await tx.query<{ offer_notification_id: string; referral_id: string; origin_ods: string; offered_at: Date }>(
      `SELECT n.id::text AS offer_notification_id, r.id::text AS referral_id, r.origin_ods, n.created_at AS offered_at
       FROM notification n JOIN referral r ON r.id = n.referral_id
       WHERE ${isLatestOfferNotification('n')}
         AND n.created_at <= now() - make_interval(days => $1) AND n.created_at > now() - make_interval(days => $2)
         AND r.status = $3::"ReferralStatus"
         AND NOT EXISTS (SELECT 1 FROM task t WHERE t.key = 'offer_unanswered.' || n.id::text)
       ORDER BY n.created_at LIMIT ${SWEEP_BATCH}`,
      [OFFER_UNANSWERED_TASK_DAYS, OFFER_UNANSWERED_TASK_UNTIL_DAYS, AWAITING_ANSWER],
    );
    for (const row of rows) {
      await raiseTask(tx, {
        trustOds: row.origin_ods,
        team: 'booking',
        kind: 'offer_unanswered',
        referralId: row.referral_id,
        key: `offer_unanswered.${row.offer_notification_id}`,
        detail: { offerNotificationId: row.offer_notification_id, offeredAt: row.offered_at.toISOString() },
      });
    }
    return rows.length;
  }

  private async appointmentReminders(tx: SqlRunner, r: (typeof APPOINTMENT_REMINDERS)[number]): Promise<number> {
    // The key names the booking and its start: a booking moved in place would get its own
    // reminders; a cancelled one (status no longer BOOKED) gets none.
    const { rows } = await tx.query<DueRow & { booking_id: string; step_key: string }>(
      `SELECT b.id::text AS booking_id, r.id::text AS referral_id, r.status, r.version, p.email, p.phone, p.contact_preference,
              b.id::text || '.' || floor(extract(epoch FROM b.starts_at))::bigint::text || '.' || $3 AS step_key
       FROM booking b JOIN referral r ON r.id = b.referral_id JOIN patient p ON p.id = r.patient_id
       WHERE b.status = 'BOOKED'
         AND b.starts_at > now() + make_interval(hours => $2) AND b.starts_at <= now() + make_interval(hours => $1)
         AND b.created_at <= b.starts_at - make_interval(hours => $1)
         AND r.status = ANY($4::"ReferralStatus"[])
         AND NOT EXISTS (SELECT 1 FROM notification x
                         WHERE x.key = r.id::text || '.appointment_reminder.' || b.id::text || '.' || floor(extract(epoch FROM b.starts_at))::bigint::text || '.' || $3)
       ORDER BY b.starts_at LIMIT ${SWEEP_BATCH}`,
      [r.beforeHours, r.notWithinHours, r.which, BOOKING_STAGE],
    );
    for (const row of rows) {
      await createNotification(tx, refOf(row), 'appointment_reminder', row.step_key, { bookingId: row.booking_id, reminder: r.which });
    }
    return rows.length;
  }

  /**
   * Items for staff emails: stage changes and flags that put a referral on a team's worklist, and
   * tasks raised, since the cursor. Only for teams with an address (team_contact).
   */
  private async collectStaffItems(tx: SqlRunner): Promise<{ count: number; full: boolean }> {
    // Who: the origin's clinicians review; the receiver's clinicians accept; the receiver's booking
    // team books; a flagged referral goes to the booking team of the trust that holds it now (WORKLISTS).
    const events = await this.readFrom(
      tx,
      'staff_worklist.events',
      '0',
      (p) =>
        `WITH e AS (
         SELECT e.id, e.at, e.type, e.from_status, e.to_status, e.referral_id FROM timeline_event e
         WHERE ${ARRIVAL_EVENT}
           AND (e.at, e.id) > (${p.at}, ${p.id}::bigint)
         ORDER BY e.at, e.id LIMIT ${SWEEP_BATCH}),
       i AS (
         SELECT 'event.' || e.id::text AS key, e.at, e.referral_id, ${LANDS_ON} AS worklist, ${TEAM} AS team, ${TRUST} AS trust_ods
         FROM e JOIN referral r ON r.id = e.referral_id),
       ins AS (
         INSERT INTO staff_worklist_item (key, trust_ods, team, worklist, referral_id, at)
         SELECT i.key, i.trust_ods, i.team, i.worklist, i.referral_id, i.at FROM i
         WHERE EXISTS (SELECT 1 FROM team_contact c WHERE c.trust_ods = i.trust_ods AND c.team = i.team)
         ON CONFLICT (key) DO NOTHING RETURNING 1),
       last AS (SELECT at, id::text AS id FROM e ORDER BY at DESC, id DESC LIMIT 1)
       SELECT (SELECT count(*) FROM e)::int AS read, (SELECT at FROM last) AS last_at, (SELECT id FROM last) AS last_id,
              (SELECT count(*) FROM ins)::int AS inserted`,
    );
    const tasks = await this.readFrom(
      tx,
      'staff_worklist.tasks',
      '00000000-0000-0000-0000-000000000000',
      (p) =>
        `WITH t AS (
         SELECT t.id, t.created_at, t.trust_ods, t.team, t.referral_id FROM task t
         WHERE (t.created_at, t.id) > (${p.at}, ${p.id}::uuid)
         ORDER BY t.created_at, t.id LIMIT ${SWEEP_BATCH}),
       ins AS (
         INSERT INTO staff_worklist_item (key, trust_ods, team, worklist, referral_id, at)
         SELECT 'task.' || t.id::text, t.trust_ods, t.team, 'tasks', t.referral_id, t.created_at FROM t
         WHERE EXISTS (SELECT 1 FROM team_contact c WHERE c.trust_ods = t.trust_ods AND c.team = t.team)
         ON CONFLICT (key) DO NOTHING RETURNING 1),
       last AS (SELECT created_at AS at, id::text AS id FROM t ORDER BY created_at DESC, id DESC LIMIT 1)
       SELECT (SELECT count(*) FROM t)::int AS read, (SELECT at FROM last) AS last_at, (SELECT id FROM last) AS last_id,
              (SELECT count(*) FROM ins)::int AS inserted`,
    );
    return { count: events.inserted + tasks.inserted, full: events.full || tasks.full };
  }

  /**
   * Reads one source from its cursor (time, id) and moves the cursor: to the last row read when the
   * batch was full (so a burst larger than a batch, even one transaction's rows with one time, is
   * read across passes), else to a minute before now with the smallest id (`floorId`), so rows of a
   * transaction that began before then but had not committed are read on a later pass. Never back.
   */
  private async readFrom(
    tx: SqlRunner,
    name: string,
    floorId: string,
    query: (p: { at: string; id: string }) => string,
  ): Promise<{ inserted: number; full: boolean }> {
    const { rows: cur } = await tx.query<{ at: Date; after_id: string }>(
      `INSERT INTO sweep_cursor (name, at, after_id) VALUES ($1, now() - make_interval(mins => $2), $3)
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING at, after_id`,
      [name, FIRST_LOOKBACK_MINUTES, floorId],
    );
    const from = cur[0];
    const { rows } = await tx.query<{ read: number; last_at: Date | null; last_id: string | null; inserted: number }>(
      query({ at: '$1::timestamptz', id: '$2' }),
      [from.at, from.after_id],
    );
    const r = rows[0];
    const full = r.read >= SWEEP_BATCH && r.last_at !== null && r.last_id !== null;
    if (full) {
      await tx.query('UPDATE sweep_cursor SET at = $2, after_id = $3 WHERE name = $1', [name, r.last_at, r.last_id]);
    } else {
      await tx.query(
        `UPDATE sweep_cursor SET at = now() - make_interval(secs => $2), after_id = $3 WHERE name = $1 AND at < now() - make_interval(secs => $2)`,
        [name, CURSOR_LAG_SECONDS, floorId],
      );
    }
    return { inserted: r.inserted, full };
  }

  /**
   * One email per team with new items, at most one per team per STAFF_EMAIL_BATCH_MS: the items
   * are claimed by the email in the transaction that creates it, so none is told twice.
   */
  private async staffEmails(tx: SqlRunner): Promise<number> {
    const { rows: teams } = await tx.query<{ trust_ods: string; team: string; email: string }>(
      `SELECT c.trust_ods, c.team, c.email FROM team_contact c
       WHERE EXISTS (SELECT 1 FROM staff_worklist_item i WHERE i.trust_ods = c.trust_ods AND i.team = c.team AND i.staff_notification_id IS NULL)
         AND NOT EXISTS (SELECT 1 FROM staff_notification s WHERE s.trust_ods = c.trust_ods AND s.team = c.team
                         AND s.created_at > now() - make_interval(secs => $1::double precision / 1000))`,
      [this.config.worker.staffEmailBatchMs],
    );
    const jobs: OutboxJob[] = [];
    for (const t of teams) {
      const id = randomUUID();
      const { rows: items } = await tx.query<{ worklist: string; referral_id: string | null }>(
        `UPDATE staff_worklist_item SET staff_notification_id = $3::uuid
         WHERE trust_ods = $1 AND team = $2 AND staff_notification_id IS NULL RETURNING worklist, referral_id::text AS referral_id`,
        [t.trust_ods, t.team, id],
      );
      if (items.length === 0) continue;
      const counts: Record<string, number> = {};
      for (const i of items) counts[i.worklist] = (counts[i.worklist] ?? 0) + 1;
      const referralIds = [...new Set(items.map((i) => i.referral_id).filter((x): x is string => !!x))].slice(0, STAFF_EMAIL_MAX_IDS);
      await tx.query(
        `INSERT INTO staff_notification (id, trust_ods, team, event, key, channel, recipient, detail)
         VALUES ($1::uuid, $2, $3, 'staff_worklist', $4, 'email', $5, $6::jsonb)`,
        [id, t.trust_ods, t.team, `staff_worklist.${t.trust_ods}.${t.team}.${id}`, t.email, JSON.stringify({ counts, referralIds, items: items.length })],
      );
      jobs.push({ name: 'staff-notification.send', payload: { staffNotificationId: id }, jobId: `staff-notification.send.${id}` });
    }
    await writeOutbox(tx, null, jobs);
    return jobs.length;
  }
}

interface DueRow {
  referral_id: string;
  status: ReferralStatus;
  version: number;
  email: string | null;
  phone: string | null;
  contact_preference: string | null;
}

function refOf(row: DueRow): ReferralRef {
  return {
    id: row.referral_id,
    status: row.status,
    version: row.version,
    patient: { email: row.email, phone: row.phone, contactPreference: row.contact_preference },
  };
}
