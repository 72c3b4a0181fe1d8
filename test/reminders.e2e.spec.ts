// Reminders and staff emails (issue #6), against the real stack with the local channel: offer
// reminders at 7 and 14 days and the booking team's task at 21; appointment reminders 7 days and
// 1 day before, none for a cancelled, moved or too-close booking; a team email with no patient data,
// also to the referring clinicians when a follow-up is handed back to them.
// Due times are reached by moving timestamps back in the database, then running the sweep now.
import { describe, expect, it } from '@jest/globals';
import { renderStaffWorklist } from '#notifications';
import { createNotification } from '#workflow';
import { ReminderSweepTimer } from '../apps/worker/src/loops/reminder-sweep-timer.js';
import { bearer, drained, driveTo, getReferral, useEnv, useStack, waitUntil } from './support/stack.js';

// Every pass may send a team email (no batching window here), and the timer stays out of the way.
useEnv({ STAFF_EMAIL_BATCH_MS: '0', REMINDER_SWEEP_MS: String(3_600_000) });
const { s, c } = useStack();

/** One sweep pass by this worker (another process's worker may hold the lock for a moment), then the sends. */
async function sweep() {
  const timer = s.worker!.get(ReminderSweepTimer);
  const report = await waitUntil(() => timer.runNow(), 'the reminder sweep to run');
  await drained(s);
  return report;
}

const sql = <T extends Record<string, unknown>>(text: string, values: unknown[] = []) => s.prisma.sql.query<T>(text, values).then((r) => r.rows);

async function notifications(referralId: string, event: string) {
  return sql<{ id: string; detail: Record<string, string>; status: string }>(
    'SELECT id::text AS id, detail, status FROM notification WHERE referral_id = $1::uuid AND event = $2 ORDER BY created_at',
    [referralId, event],
  );
}

async function recorded(notificationId: string) {
  return (await sql('SELECT 1 FROM local_message WHERE notification_id = $1::uuid', [notificationId])).length === 1;
}

async function offerNotificationOf(referralId: string) {
  const rows = await waitUntil(async () => {
    const r = await notifications(referralId, 'offer');
    return r.length ? r : null;
  }, 'the offer notification');
  return rows![0].id;
}

/**
 * A referral whose patient accepted the RJC offer after it was sent. (driveTo answers at once, which
 * may be before the make-offers job has run; that job then finds the answer and sends no offer.)
 */
async function answeredAfterTheOffer() {
  const r = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
  await drained(s);
  const offerId = await offerNotificationOf(r.id);
  const offer = (await getReferral(s, c.clinRLQ, r.id)).offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
  const answer = await s.http.post(`/v1/referrals/${r.id}/consent`).set(bearer(r.patient)).send({ decision: 'accept', offerId: offer.id });
  if (answer.status !== 200) throw new Error(`consent failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  await drained(s);
  return { r, offerId };
}

const ageOffer = (id: string, interval: string) => sql(`UPDATE notification SET created_at = now() - $2::interval WHERE id = $1::uuid`, [id, interval]);

describe('offer reminders', () => {
  it('reminds at 7 and 14 days, once each, then raises one booking-team task at 21 days', async () => {
    const r = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await drained(s);
    const offerId = await offerNotificationOf(r.id);

    await sweep();
    expect(await notifications(r.id, 'offer_reminder')).toHaveLength(0); // not due yet

    await ageOffer(offerId, '7 days 1 minute');
    await sweep();
    await sweep(); // a second pass finds nothing new
    const seven = await notifications(r.id, 'offer_reminder');
    expect(seven).toHaveLength(1);
    expect(seven[0].detail).toEqual({ offerNotificationId: offerId, reminder: '7d' });
    await waitUntil(() => recorded(seven[0].id), 'the 7-day reminder to be sent');

    await ageOffer(offerId, '14 days 1 minute');
    await sweep();
    await sweep();
    const both = await notifications(r.id, 'offer_reminder');
    expect(both.map((n) => n.detail.reminder)).toEqual(['7d', '14d']);
    await waitUntil(() => recorded(both[1].id), 'the 14-day reminder to be sent');
    expect(await sql('SELECT 1 FROM task WHERE referral_id = $1::uuid', [r.id])).toHaveLength(0);

    await ageOffer(offerId, '21 days 1 minute');
    await sweep();
    await sweep();
    expect(await notifications(r.id, 'offer_reminder')).toHaveLength(2);
    const tasks = await sql<{ id: string; trust_ods: string; team: string; kind: string; detail: Record<string, string> }>(
      'SELECT id::text AS id, trust_ods, team, kind, detail FROM task WHERE referral_id = $1::uuid',
      [r.id],
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ trust_ods: 'RLQ', team: 'booking', kind: 'offer_unanswered', detail: { offerNotificationId: offerId } });

    // On the origin booking team's worklist; completed once; another trust cannot see it.
    const list = await s.http.get('/v1/tasks?team=booking&kind=offer_unanswered&limit=200').set(bearer(c.clerkRLQ));
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(tasks[0].id);
    expect((await s.http.post(`/v1/tasks/${tasks[0].id}/complete`).set(bearer(c.clerkRJC))).status).toBe(404);
    const done = await s.http.post(`/v1/tasks/${tasks[0].id}/complete`).set(bearer(c.clerkRLQ));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: tasks[0].id, status: 'DONE', completedBy: 'clerk-rlq', referralId: r.id });
    expect((await s.http.post(`/v1/tasks/${tasks[0].id}/complete`).set(bearer(c.clerkRLQ))).status).toBe(409);
    // The patient's own list of messages is unchanged by staff work.
    const mine = await s.http.get(`/v1/referrals/${r.id}/notifications`).set(bearer(c.clerkRLQ));
    expect(mine.status).toBe(200);
    expect(JSON.stringify(mine.body)).not.toContain('staff_worklist');
  }, 120_000);

  it("goes by the patient's chosen channel (SMS here), as the offer did", async () => {
    const r = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient: { contactPreference: 'sms' } });
    await drained(s);
    const offerId = await offerNotificationOf(r.id);
    expect((await sql<{ channel: string }>('SELECT channel FROM notification WHERE id = $1::uuid', [offerId]))[0].channel).toBe('sms');
    await ageOffer(offerId, '7 days 1 minute');
    await sweep();
    const reminders = await sql<{ id: string; channel: string }>(
      `SELECT id::text AS id, channel FROM notification WHERE referral_id = $1::uuid AND event = 'offer_reminder'`,
      [r.id],
    );
    expect(reminders.map((n) => n.channel)).toEqual(['sms']);
    await waitUntil(() => recorded(reminders[0].id), 'the SMS reminder to be sent');
  }, 120_000);

  it('a reminder whose turn comes after the patient answered is not sent, and says so', async () => {
    const { r, offerId } = await answeredAfterTheOffer();
    // Written while the offer was open (as by a sweep just before the answer), sent after.
    const ref = { id: r.id, status: 'AWAITING_RECEIVER_ACCEPTANCE' as const, version: 1, patient: { email: 'alex@example.com', phone: null } };
    await s.prisma.sqlTransaction((tx) => createNotification(tx, ref, 'offer_reminder', `${offerId}.7d`, { offerNotificationId: offerId, reminder: '7d' }));
    const [n] = await notifications(r.id, 'offer_reminder');
    await waitUntil(async () => ((await notifications(r.id, 'offer_reminder'))[0].status === 'created' ? null : true), 'the reminder job to run');
    await drained(s);
    expect((await notifications(r.id, 'offer_reminder'))[0].status).toBe('cancelled');
    expect(await recorded(n.id)).toBe(false);
    // Its status history says why it never went (the API lists `created` from the row itself).
    expect(await sql('SELECT status, source FROM notification_status WHERE notification_id = $1::uuid ORDER BY id', [n.id])).toEqual([
      { status: 'cancelled', source: 'stale' },
    ]);
  }, 120_000);

  it('sends no reminder for an offer the patient has answered', async () => {
    const { r, offerId } = await answeredAfterTheOffer();
    await ageOffer(offerId, '7 days 1 minute');
    await sweep();
    await ageOffer(offerId, '21 days 1 minute');
    await sweep();
    expect(await notifications(r.id, 'offer_reminder')).toHaveLength(0);
    expect(await sql('SELECT 1 FROM task WHERE referral_id = $1::uuid', [r.id])).toHaveLength(0);
  }, 120_000);
});

describe('appointment reminders', () => {
  /**
   * Puts a booking `hoursAhead` from now, made well before (so every reminder's time has come after
   * it was made). The referral's whole booking history moves back with it, so its order stays true:
   * a rebooking still comes after the cancellation it replaces (the booking-changed worklist, and
   * its oracle in worklists.e2e, read that order from these times).
   */
  const moveBooking = async (id: string, hoursAhead: number) => {
    await sql(
      `UPDATE booking SET created_at = created_at - interval '30 days', cancelled_at = cancelled_at - interval '30 days'
       WHERE referral_id = (SELECT referral_id FROM booking WHERE id = $1::uuid)`,
      [id],
    );
    await sql(`UPDATE booking SET starts_at = now() + make_interval(hours => $2) WHERE id = $1::uuid`, [id, hoursAhead]);
  };

  it('reminds 7 days and 1 day before, once each', async () => {
    const r = await driveTo(s, c, 'BOOKED');
    await drained(s);
    const bookingId = (await getReferral(s, c.clerkRJC, r.id)).bookings[0].id as string;
    await sweep();
    expect(await notifications(r.id, 'appointment_reminder')).toHaveLength(0); // 21 days ahead: not yet

    await moveBooking(bookingId, 7 * 24 - 1);
    await sweep();
    await sweep();
    const seven = await notifications(r.id, 'appointment_reminder');
    expect(seven).toHaveLength(1);
    expect(seven[0].detail).toEqual({ bookingId, reminder: '7d' });
    await waitUntil(() => recorded(seven[0].id), 'the 7-day appointment reminder to be sent');

    await moveBooking(bookingId, 23);
    await sweep();
    await sweep();
    const both = await notifications(r.id, 'appointment_reminder');
    expect(both.map((n) => n.detail.reminder)).toEqual(['7d', '1d']);
    await waitUntil(() => recorded(both[1].id), 'the 1-day appointment reminder to be sent');
  }, 120_000);

  it('sends none for a cancelled booking; a moved appointment is reminded on its new booking only', async () => {
    const r = await driveTo(s, c, 'BOOKED');
    await drained(s);
    const oldId = (await getReferral(s, c.clerkRJC, r.id)).bookings[0].id as string;
    const cancel = await s.http.post(`/v1/referrals/${r.id}/bookings/${oldId}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Theatre list moved' });
    expect(cancel.status).toBe(200);
    await moveBooking(oldId, 7 * 24 - 1);
    await sweep();
    expect(await notifications(r.id, 'appointment_reminder')).toHaveLength(0);

    const rebook = await s.http
      .post(`/v1/referrals/${r.id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    expect(rebook.status).toBe(201);
    const newId = (await getReferral(s, c.clerkRJC, r.id)).bookings.find((b: { id: string; status: string }) => b.status === 'BOOKED').id as string;
    await moveBooking(newId, 7 * 24 - 2);
    await sweep();
    await sweep();
    const sent = await notifications(r.id, 'appointment_reminder');
    expect(sent).toHaveLength(1);
    expect(sent[0].detail).toEqual({ bookingId: newId, reminder: '7d' });
  }, 120_000);

  it('a reminder written before its booking was cancelled or began is not sent', async () => {
    const r = await driveTo(s, c, 'BOOKED');
    await drained(s);
    const bookingId = (await getReferral(s, c.clerkRJC, r.id)).bookings[0].id as string;
    const ref = { id: r.id, status: 'BOOKED' as const, version: 1, patient: { email: 'alex@example.com', phone: null } };
    const remind = (key: string) => s.prisma.sqlTransaction((tx) => createNotification(tx, ref, 'appointment_reminder', key, { bookingId, reminder: '1d' }));
    const settled = async () => {
      await waitUntil(
        async () => ((await notifications(r.id, 'appointment_reminder')).every((n) => n.status !== 'created') ? true : null),
        'the reminder jobs to run',
      );
      await drained(s);
      return notifications(r.id, 'appointment_reminder');
    };

    // Already begun (held in a queue past its time): not sent.
    await sql(`UPDATE booking SET starts_at = now() - interval '1 hour' WHERE id = $1::uuid`, [bookingId]);
    await remind('past');
    const [past] = await settled();
    expect(past.status).toBe('cancelled');
    expect(await recorded(past.id)).toBe(false);

    // Cancelled between the sweep and the send: not sent either.
    await sql(`UPDATE booking SET starts_at = now() + interval '20 hours' WHERE id = $1::uuid`, [bookingId]);
    const cancel = await s.http.post(`/v1/referrals/${r.id}/bookings/${bookingId}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Surgeon unavailable' });
    expect(cancel.status).toBe(200);
    await remind('cancelled');
    const rows = await settled();
    expect(rows.map((n) => n.status)).toEqual(['cancelled', 'cancelled']);
    expect(await recorded(rows[1].id)).toBe(false);
  }, 120_000);

  it('sends none for a booking too close or already past, nor a 7-day one for a booking made within the week', async () => {
    const r = await driveTo(s, c, 'BOOKED');
    await drained(s);
    const bookingId = (await getReferral(s, c.clerkRJC, r.id)).bookings[0].id as string;
    await moveBooking(bookingId, 1); // an hour away: too close even for the 1-day reminder
    await sweep();
    await sql(`UPDATE booking SET starts_at = now() - interval '1 hour' WHERE id = $1::uuid`, [bookingId]);
    await sweep();
    // Booked today for 5 days ahead: its confirmation has just gone, so no 7-day reminder.
    await sql(`UPDATE booking SET starts_at = now() + interval '5 days', created_at = now() WHERE id = $1::uuid`, [bookingId]);
    await sweep();
    expect(await notifications(r.id, 'appointment_reminder')).toHaveLength(0);
  }, 120_000);
});

describe('staff worklist emails', () => {
  /** A referral's items on `worklist`, and what the email that told of them says (as the team reads it). */
  async function toldOf(referralId: string, worklist: string, trustName: string) {
    const items = await sql<{ trust_ods: string; team: string; emailed: boolean }>(
      `SELECT trust_ods, team, staff_notification_id IS NOT NULL AS emailed FROM staff_worklist_item WHERE referral_id = $1::uuid AND worklist = $2`,
      [referralId, worklist],
    );
    const [email] = await sql<{ team: string; detail: { counts: Record<string, number>; referralIds: string[] } }>(
      `SELECT s.team, s.detail FROM staff_notification s JOIN staff_worklist_item i ON i.staff_notification_id = s.id
       WHERE i.referral_id = $1::uuid AND i.worklist = $2`,
      [referralId, worklist],
    );
    expect(email.detail.counts[worklist]).toBeGreaterThanOrEqual(1);
    expect(email.detail.referralIds).toContain(referralId);
    const message = renderStaffWorklist({ trustName, team: email.team, counts: email.detail.counts, referralIds: [referralId], consoleUrl: 'http://x' });
    return { items, body: message.body };
  }

  it('emails the receiving booking team when a referral lands on its to-book list, without patient data', async () => {
    const r = await driveTo(s, c, 'AWAITING_BOOKING', { patient: { familyName: 'Zebedee-Staffmail', givenName: 'Quentin' } });
    await drained(s);
    await sweep();
    const found = await waitUntil(async () => {
      const rows = await sql<{
        id: string;
        trust_ods: string;
        team: string;
        recipient: string;
        status: string;
        detail: { counts: Record<string, number>; referralIds: string[] };
      }>(`SELECT id::text AS id, trust_ods, team, recipient, status, detail FROM staff_notification WHERE detail->'referralIds' ? $1 ORDER BY created_at`, [
        r.id,
      ]);
      return rows.length >= 3 ? rows : null;
    }, 'staff emails naming the referral');
    // Origin clinicians (clinical review), receiving clinicians (acceptance), receiving booking team (to book): once each.
    const byTeam = Object.fromEntries(found!.map((n) => [`${n.trust_ods}/${n.team}`, n]));
    expect(Object.keys(byTeam).sort()).toEqual(['RJC/booking', 'RJC/clinical', 'RLQ/clinical']);
    expect(found!).toHaveLength(3);
    const booking = byTeam['RJC/booking'];
    expect(booking.recipient).toBe('booking-team.rjc@example.nhs.uk');
    expect(booking.detail.counts['to-book']).toBeGreaterThanOrEqual(1);
    await waitUntil(() => recorded(booking.id), 'the staff email to be recorded by the local channel');
    expect((await sql<{ channel: string }>('SELECT channel FROM local_message WHERE notification_id = $1::uuid', [booking.id]))[0].channel).toBe('email');
    expect((await sql<{ status: string }>('SELECT status FROM staff_notification WHERE id = $1::uuid', [booking.id]))[0].status).toBe('delivered');

    // What the team reads: the worklist, counts, ids, the trust; never the patient's details.
    const message = renderStaffWorklist({
      trustName: 'South Warwickshire',
      team: 'booking',
      counts: booking.detail.counts,
      referralIds: booking.detail.referralIds,
      consoleUrl: 'http://x',
    });
    const text = `${message.subject}\n${message.body}\n${JSON.stringify(booking.detail)}`;
    expect(text).toContain(r.id);
    expect(text).toContain('to book');
    for (const secret of ['Zebedee', 'Quentin', r.nhs, 'alex@example.com', '07700900123', 'HR1']) expect(text).not.toContain(secret);

    // A second pass with nothing new sends nothing more about it; staff emails stay out of the patient's list.
    await sweep();
    const again = await sql("SELECT 1 FROM staff_notification WHERE detail->'referralIds' ? $1", [r.id]);
    expect(again).toHaveLength(3);
    const patientView = await s.http.get(`/v1/referrals/${r.id}/notifications`).set(bearer(c.clerkRJC));
    expect(JSON.stringify(patientView.body)).not.toContain('staff_worklist');
  }, 120_000);

  it("emails the referring trust's clinical team when a follow-up is handed back to it, and not the receiver's", async () => {
    const r = await driveTo(s, c, 'TREATED');
    await drained(s);
    await sweep();
    const handed = await s.http.post(`/v1/referrals/${r.id}/follow-up`).set(bearer(c.clinRJC)).send({ plan: 'hand_back' });
    expect(handed.body.status).toBe('AWAITING_ORIGIN_ACCEPTANCE');
    await sweep();
    const { items, body } = await toldOf(r.id, 'handback-acceptance', 'Wye Valley');
    expect(items).toEqual([{ trust_ods: 'RLQ', team: 'clinical', emailed: true }]);
    expect(body).toContain('follow-ups handed back to accept: http://x/console/worklists/handback-acceptance');
  }, 120_000);

  it('emails the receiving booking team when a cancelled pre-operative assessment puts a referral on its booking-changed list', async () => {
    const r = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = await s.http
      .post(`/v1/referrals/${r.id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'pre_op_assessment', startsAt: new Date(Date.now() + 10 * 86_400_000).toISOString() })
      .expect(201);
    await drained(s);
    await sweep();
    const cancelled = await s.http
      .post(`/v1/referrals/${r.id}/bookings/${booked.body.booking.id}/cancel`)
      .set(bearer(c.clerkRJC))
      .send({ reason: 'Clinic cancelled' })
      .expect(200);
    // The status stays where it was: no arrival on to-book, only the booking-changed flag.
    expect(cancelled.body.status).toBe('AWAITING_BOOKING');
    expect((await sql<{ booking_changed: boolean }>('SELECT booking_changed FROM referral WHERE id = $1::uuid', [r.id]))[0].booking_changed).toBe(true);
    await sweep();
    const { items, body } = await toldOf(r.id, 'booking-changed', 'South Warwickshire');
    expect(items).toEqual([{ trust_ods: 'RJC', team: 'booking', emailed: true }]);
    expect(body).toContain('with a cancelled or missed appointment to rebook: http://x/console/worklists/booking-changed');
  }, 120_000);

  it('reads a burst larger than a batch, all with one time (one transaction), across passes, each item once', async () => {
    const r = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    await drained(s);
    await sweep();
    // 1,200 flags in one statement: one transaction, so one timestamp for all (SWEEP_BATCH is 500).
    await sql(
      `INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, detail)
       SELECT $1::uuid, 'needs_attention', 'AWAITING_CLINICAL_REVIEW', 'AWAITING_CLINICAL_REVIEW', 'test', 'system', jsonb_build_object('n', g) FROM generate_series(1, 1200) g`,
      [r.id],
    );
    let passes = 0;
    while (passes < 10) {
      passes++;
      if (!(await sweep())!.more) break;
    }
    expect(passes).toBeGreaterThanOrEqual(3);
    const items = await sql<{ n: number; emailed: number }>(
      `SELECT count(*)::int AS n, count(staff_notification_id)::int AS emailed FROM staff_worklist_item WHERE referral_id = $1::uuid AND worklist = 'needs-attention'`,
      [r.id],
    );
    expect(items[0]).toEqual({ n: 1200, emailed: 1200 });
    // Told to RLQ's booking team (the referral is still with its origin), in as many emails as passes at most.
    const emails = await sql<{ trust_ods: string; team: string }>(`SELECT DISTINCT trust_ods, team FROM staff_notification WHERE detail->'referralIds' ? $1`, [
      r.id,
    ]);
    expect(emails).toContainEqual({ trust_ods: 'RLQ', team: 'booking' });
  }, 120_000);
});
