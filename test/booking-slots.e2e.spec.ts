// Booking as it really goes (issue 18): clinic sessions and slots, a slot taken once, reschedule,
// did-not-attend under each of the trust's policies, and the patient's change request on the worklist.
import { describe, expect, it } from '@jest/globals';
import type { SqlRunner } from '#persistence';
import { slotFor, takeSlot } from '#workflow';
import { bearer, drained, driveTo, getReferral, isoDay, lastEventOf, token, useStack, waitUntil } from './support/stack.js';

const { s, c } = useStack();

/** A clinic session of RJC at Warwick Hospital `days` ahead, four 30-minute slots from 09:00. */
async function declareClinic(kind: 'pre_op_assessment' | 'procedure', days: number, over: Record<string, unknown> = {}) {
  const res = await s.http
    .post('/v1/clinics')
    .set(bearer(c.clerkRJC))
    .send({ siteOds: 'RJC02', clinicianName: 'Ms Jo Hartley', kind, date: isoDay(days), startTime: '09:00', slotMinutes: 30, endTime: '11:00', ...over });
  if (res.status !== 201) throw new Error(`declare clinic failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; slots: Array<{ id: string; startsAt: string; bookingId: string | null }> };
}

/** The message the patient was sent for a notification event (the local channel keeps its text). */
async function messageText(referralId: string, event: string) {
  await drained(s);
  const { rows } = await s.prisma.sql.query<{ subject: string; body: string }>(
    `SELECT m.subject, m.body FROM local_message_text m JOIN notification n ON n.id = m.notification_id
      WHERE n.referral_id = $1::uuid AND n.event = $2 ORDER BY m.seq DESC LIMIT 1`,
    [referralId, event],
  );
  if (!rows[0]) throw new Error(`no ${event} message for ${referralId}`);
  return rows[0];
}

async function bookSlot(id: string, slotId: string, kind = 'procedure') {
  return s.http.post(`/v1/referrals/${id}/bookings`).set(bearer(c.clerkRJC)).send({ kind, slotId });
}

/** Moves a booking's time into the past, as if its day had come and gone (the API books only ahead). */
async function dayHasPassed(bookingId: string) {
  await s.prisma.sql.query(`UPDATE booking SET starts_at = now() - interval '2 hours' WHERE id = $1::uuid`, [bookingId]);
}

describe('clinic sessions', () => {
  it('the booking team declares a session, cut into slots, and lists it', async () => {
    const clinic = await declareClinic('procedure', 30);
    expect(clinic.slots).toHaveLength(4);
    expect(clinic.slots.every((sl) => sl.bookingId === null)).toBe(true);
    const gaps = clinic.slots.slice(1).map((sl, i) => new Date(sl.startsAt).getTime() - new Date(clinic.slots[i].startsAt).getTime());
    expect(gaps).toEqual([1_800_000, 1_800_000, 1_800_000]);
    const listed = await s.http.get('/v1/clinics').query({ kind: 'procedure', days: 60 }).set(bearer(c.clerkRJC)).expect(200);
    expect(listed.body.items.map((x: { id: string }) => x.id)).toContain(clinic.id);
    // Another trust does not see it.
    const other = await s.http.get('/v1/clinics').query({ days: 60 }).set(bearer(c.clerkRLQ)).expect(200);
    expect(other.body.items.map((x: { id: string }) => x.id)).not.toContain(clinic.id);
  });

  it('refuses a site of another trust, a session in the past, and a clinician declaring', async () => {
    const site = await s.http
      .post('/v1/clinics')
      .set(bearer(c.clerkRJC))
      .send({ siteOds: 'RLQ01', clinicianName: 'Dr X', kind: 'procedure', date: isoDay(10), startTime: '09:00', slotMinutes: 30, slotCount: 2 });
    expect(site.status).toBe(422);
    expect(site.body.details).toEqual([expect.objectContaining({ field: 'siteOds' })]);
    const past = await s.http
      .post('/v1/clinics')
      .set(bearer(c.clerkRJC))
      .send({ siteOds: 'RJC02', clinicianName: 'Dr X', kind: 'procedure', date: isoDay(-2), startTime: '09:00', slotMinutes: 30, slotCount: 2 });
    expect(past.status).toBe(422);
    expect(past.body.details).toEqual([expect.objectContaining({ field: 'date' })]);
    const neither = await s.http
      .post('/v1/clinics')
      .set(bearer(c.clerkRJC))
      .send({ siteOds: 'RJC02', clinicianName: 'Dr X', kind: 'procedure', date: isoDay(10), startTime: '09:00', slotMinutes: 30 });
    expect(neither.status).toBe(422);
    expect(neither.body.details).toEqual([expect.objectContaining({ field: 'slotCount' })]);
    const badTime = await s.http
      .post('/v1/clinics')
      .set(bearer(c.clerkRJC))
      .send({ siteOds: 'RJC02', clinicianName: 'Dr X', kind: 'procedure', date: isoDay(10), startTime: '9am', slotMinutes: 30, slotCount: 2 });
    expect(badTime.status).toBe(400);
    expect(JSON.stringify(badTime.body)).toContain('startTime');
    await s.http
      .post('/v1/clinics')
      .set(bearer(c.clinRJC))
      .send({ siteOds: 'RJC02', clinicianName: 'Dr X', kind: 'procedure', date: isoDay(10), startTime: '09:00', slotMinutes: 30, slotCount: 2 })
      .expect(403);
  });
});

describe('booking from a slot', () => {
  it('books the slot: its site and time, and the slot is held', async () => {
    const clinic = await declareClinic('procedure', 31);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const res = await bookSlot(id, clinic.slots[1].id);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('BOOKED');
    expect(res.body.booking).toMatchObject({ kind: 'procedure', siteOds: 'RJC02', startsAt: clinic.slots[1].startsAt, status: 'BOOKED' });
    expect(lastEventOf(res.body, 'appointment_booked').detail).toMatchObject({ slotId: clinic.slots[1].id });
    const listed = await s.http.get('/v1/clinics').query({ kind: 'procedure', days: 60 }).set(bearer(c.clerkRJC)).expect(200);
    const slot = listed.body.items.find((x: { id: string }) => x.id === clinic.id).slots[1];
    expect(slot.bookingId).toBe(res.body.booking.id);
  });

  it('refuses a slot of the wrong kind, and a slot with a typed date too', async () => {
    const preOp = await declareClinic('pre_op_assessment', 32);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const wrong = await bookSlot(id, preOp.slots[0].id, 'procedure');
    expect(wrong.status).toBe(422);
    expect(wrong.body.details).toEqual([expect.objectContaining({ field: 'slotId' })]);
    const both = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'pre_op_assessment', slotId: preOp.slots[0].id, startsAt: new Date(Date.now() + 5 * 86_400_000).toISOString() });
    expect(both.status).toBe(422);
    expect(both.body.details).toEqual([expect.objectContaining({ field: 'slotId' })]);
  });

  it('two clerks taking the same slot at once: exactly one booking, and a clear 409 for the other', async () => {
    const clinic = await declareClinic('procedure', 33);
    const [a, b] = await Promise.all([driveTo(s, c, 'AWAITING_BOOKING'), driveTo(s, c, 'AWAITING_BOOKING')]);
    const clerk2 = await token({ role: 'booking_clerk', ods: 'RJC', sub: 'clerk-rjc-2' });
    const slotId = clinic.slots[0].id;
    const answers = await Promise.all([
      s.http.post(`/v1/referrals/${a.id}/bookings`).set(bearer(c.clerkRJC)).send({ kind: 'procedure', slotId }),
      s.http.post(`/v1/referrals/${b.id}/bookings`).set(bearer(clerk2)).send({ kind: 'procedure', slotId }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    expect(refused.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: [expect.objectContaining({ field: 'slotId' })] });
    expect(refused.body.message).toMatch(/slot/);
    const statuses = [(await getReferral(s, c.clerkRJC, a.id)).status, (await getReferral(s, c.clerkRJC, b.id)).status].sort();
    expect(statuses).toEqual(['AWAITING_BOOKING', 'BOOKED']);
    const { rows } = await s.prisma.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM booking WHERE referral_id = ANY($1::uuid[]) AND status = 'BOOKED'`,
      [[a.id, b.id]],
    );
    expect(rows[0].n).toBe(1);
  });

  it('the database decides a true race: the second of two transactions that both found the slot free waits, then gets 409', async () => {
    const clinic = await declareClinic('procedure', 42);
    const [a, b] = await Promise.all([driveTo(s, c, 'AWAITING_BOOKING'), driveTo(s, c, 'AWAITING_BOOKING')]);
    const slotId = clinic.slots[3].id;
    const insertBooking = (tx: SqlRunner, referralId: string) =>
      tx
        .query<{ id: string }>(
          `INSERT INTO booking (id, referral_id, kind, site_ods, starts_at, created_by) VALUES (gen_random_uuid(), $1::uuid, 'procedure', 'RJC02', $2, 'race') RETURNING id::text`,
          [referralId, clinic.slots[3].startsAt],
        )
        .then((r) => r.rows[0].id);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstTook!: () => void;
    const taken = new Promise<void>((r) => (firstTook = r));
    // Both read the slot as free before either takes it (the check a use case makes first).
    const first = s.prisma.sqlTransaction(async (tx) => {
      await slotFor(tx, slotId, { trustOds: 'RJC', kind: 'procedure' });
      await takeSlot(tx, slotId, await insertBooking(tx, a.id));
      firstTook();
      await held;
    });
    await taken;
    const second = s.prisma.sqlTransaction(async (tx) => {
      await slotFor(tx, slotId, { trustOds: 'RJC', kind: 'procedure' });
      await takeSlot(tx, slotId, await insertBooking(tx, b.id));
    });
    // The second UPDATE waits on the first's row lock; then the first commits.
    await waitUntil(async () => {
      const { rows } = await s.prisma.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE clinic_slot SET booking_id%'`,
      );
      return rows[0].n > 0 || null;
    }, 'the second transaction to wait for the slot');
    release();
    await first;
    await expect(second).rejects.toMatchObject({ code: 'DUPLICATE', details: { field: 'slotId' } });
    const { rows } = await s.prisma.sql.query<{ referral_id: string }>(
      'SELECT b.referral_id::text FROM clinic_slot sl JOIN booking b ON b.id = sl.booking_id WHERE sl.id = $1::uuid',
      [slotId],
    );
    expect(rows).toEqual([{ referral_id: a.id }]);
  });

  it('a typed date still books, as the contract allows', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const res = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 21 * 86_400_000).toISOString() });
    expect(res.status).toBe(201);
    const neither = await s.http.post(`/v1/referrals/${id}/bookings`).set(bearer(c.clerkRJC)).send({ kind: 'pre_op_assessment' });
    expect(neither.status).toBe(422);
    expect(neither.body.details).toEqual([expect.objectContaining({ field: 'slotId' })]);
  });
});

describe('rescheduling', () => {
  it('moves the booking to another free slot with a reason; the old slot is freed; the patient is told the new date, site and address', async () => {
    const clinic = await declareClinic('procedure', 34);
    const later = await declareClinic('procedure', 41);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING', { patient: { givenName: 'Ceridwen' } });
    const booked = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    const res = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .send({ slotId: later.slots[2].id, reasonCode: 'HOSPITAL_THEATRE_UNAVAILABLE' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('BOOKED');
    expect(res.body.booking).toMatchObject({ startsAt: later.slots[2].startsAt, siteOds: 'RJC02', status: 'BOOKED' });
    expect(res.body.bookings.find((b: { id: string }) => b.id === booked.id).status).toBe('RESCHEDULED');
    expect(lastEventOf(res.body, 'appointment_rescheduled').detail).toMatchObject({
      reasonCode: 'HOSPITAL_THEATRE_UNAVAILABLE',
      initiatedBy: 'hospital',
      previousStartsAt: booked.startsAt,
      startsAt: later.slots[2].startsAt,
    });
    const slots = await s.prisma.sql.query<{ id: string; booking_id: string | null }>(
      'SELECT id::text, booking_id::text FROM clinic_slot WHERE id = ANY($1::uuid[])',
      [[clinic.slots[0].id, later.slots[2].id]],
    );
    expect(Object.fromEntries(slots.rows.map((r) => [r.id, r.booking_id]))).toEqual({ [clinic.slots[0].id]: null, [later.slots[2].id]: res.body.booking.id });
    const message = await messageText(id, 'appointment_rescheduled');
    expect(message.subject).toBe('Your appointment has moved');
    expect(message.body).toMatch(/^Dear Ceridwen,/);
    expect(message.body).toContain('Warwick Hospital, Lakin Road, Warwick, CV34 5BW');
    expect(message.body).toContain('the theatre or clinic room is not available');
    const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' }).format(
      new Date(later.slots[2].startsAt),
    );
    expect(message.body).toContain(day);
  });

  it('refuses a slot already taken, a reason not on the list, and a booking no longer live', async () => {
    const clinic = await declareClinic('procedure', 35);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const other = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    await bookSlot(other.id, clinic.slots[1].id);
    const taken = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .send({ slotId: clinic.slots[1].id, reasonCode: 'PATIENT_UNWELL' });
    expect(taken.status).toBe(409);
    expect(taken.body.details).toEqual([expect.objectContaining({ field: 'slotId' })]);
    const code = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .send({ slotId: clinic.slots[2].id, reasonCode: 'BECAUSE' });
    expect(code.status).toBe(400);
    expect(JSON.stringify(code.body)).toContain('reasonCode');
    await s.http.post(`/v1/referrals/${id}/bookings/${booked.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Surgeon unavailable' }).expect(200);
    const gone = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .send({ slotId: clinic.slots[2].id, reasonCode: 'PATIENT_UNWELL' });
    expect(gone.status).toBe(409);
    // Cancelling freed its slot for someone else.
    const { rows } = await s.prisma.sql.query<{ booking_id: string | null }>('SELECT booking_id::text FROM clinic_slot WHERE id = $1::uuid', [
      clinic.slots[0].id,
    ]);
    expect(rows[0].booking_id).toBeNull();
  });
});

describe('did not attend', () => {
  it('is refused before the appointment time', async () => {
    const clinic = await declareClinic('procedure', 36);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    const early = await s.http.post(`/v1/referrals/${id}/bookings/${booked.id}/did-not-attend`).set(bearer(c.clerkRJC));
    expect(early.status).toBe(422);
    expect(early.body.details).toEqual([expect.objectContaining({ field: 'bookingId' })]);
  });

  it('rebook policy: the procedure goes back to be booked, on the booking-changed worklist, and the patient is told', async () => {
    await s.http.put('/v1/booking-policy').set(bearer(c.adminRJC)).send({ dnaAction: 'rebook' }).expect(200);
    const clinic = await declareClinic('procedure', 37);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING', { patient: { givenName: 'Ifor' } });
    const booked = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    await dayHasPassed(booked.id);
    const res = await s.http.post(`/v1/referrals/${id}/bookings/${booked.id}/did-not-attend`).set(bearer(c.clerkRJC));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'AWAITING_BOOKING', outcome: 'rebook', dnaCount: 1 });
    expect(res.body.bookings.find((b: { id: string }) => b.id === booked.id).status).toBe('DID_NOT_ATTEND');
    expect(lastEventOf(res.body, 'did_not_attend').detail).toMatchObject({ bookingId: booked.id, outcome: 'rebook' });
    const changed = await s.http.get('/v1/referrals').query({ worklist: 'booking-changed', limit: 100 }).set(bearer(c.clerkRJC)).expect(200);
    expect(changed.body.items.map((r: { id: string }) => r.id)).toContain(id);
    // The referral as FHIR says the missed appointment was a no-show.
    const fhir = await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(c.clerkRJC)).expect(200);
    const appointments = (fhir.body.entry as Array<{ resource: { resourceType: string; status: string } }>).filter(
      (e) => e.resource.resourceType === 'Appointment',
    );
    expect(appointments.map((e) => e.resource.status)).toEqual(['noshow']);
    const message = await messageText(id, 'appointment_not_attended');
    expect(message.subject).toBe('We missed you at your appointment');
    expect(message.body).toMatch(/^Dear Ifor,/);
    expect(message.body).toContain('arrange a new date');
  });

  it('return-to-referrer policy after two: the first miss rebooks, the second returns the referral to the referrer, and the patient is told', async () => {
    await s.http.put('/v1/booking-policy').set(bearer(c.adminRJC)).send({ dnaAction: 'return_to_referrer', returnAfterDnas: 2 }).expect(200);
    try {
      await missTwice();
    } finally {
      // RJC receives other suites' referrals: it goes back to the default.
      await s.prisma.sql.query(`DELETE FROM booking_policy WHERE trust_ods = 'RJC'`);
    }
  });

  async function missTwice() {
    const policy = await s.http.get('/v1/booking-policy').set(bearer(c.clerkRJC)).expect(200);
    expect(policy.body).toMatchObject({ trustOds: 'RJC', dnaAction: 'return_to_referrer', returnAfterDnas: 2, updatedBy: 'admin-rjc' });
    const clinic = await declareClinic('procedure', 38);
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING', { patient: { givenName: 'Tegwen' } });

    const first = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    await dayHasPassed(first.id);
    const once = await s.http.post(`/v1/referrals/${id}/bookings/${first.id}/did-not-attend`).set(bearer(c.clerkRJC)).expect(200);
    expect(once.body).toMatchObject({ status: 'AWAITING_BOOKING', outcome: 'rebook', dnaCount: 1 });

    const second = (await bookSlot(id, clinic.slots[1].id)).body.booking;
    await dayHasPassed(second.id);
    const twice = await s.http.post(`/v1/referrals/${id}/bookings/${second.id}/did-not-attend`).set(bearer(c.clerkRJC)).expect(200);
    expect(twice.body).toMatchObject({ status: 'CANCELLED', outcome: 'returned_to_referrer', dnaCount: 2 });
    expect(lastEventOf(twice.body, 'returned_to_referrer_after_dna').detail).toMatchObject({
      reasonCode: 'RETURNED_AFTER_DNA',
      dnaCount: 2,
      placeOnOriginList: expect.stringMatching(/^returned to the origin trust waiting list/),
    });
    const message = await messageText(id, 'returned_after_dna');
    expect(message.body).toMatch(/^Dear Tegwen,/);
    expect(message.body).toContain('handed your care back to Wye Valley NHS Trust');
    expect(message.body).toContain('time you have already waited still counts');
  }

  it('trust admins set the policy; a clerk may not, and a bad value names its field', async () => {
    await s.http.put('/v1/booking-policy').set(bearer(c.clerkRJC)).send({ dnaAction: 'rebook' }).expect(403);
    const bad = await s.http.put('/v1/booking-policy').set(bearer(c.adminRJC)).send({ dnaAction: 'discharge' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('dnaAction');
  });
});

describe("the patient's change request", () => {
  it("lands on the receiving booking team's tasks; the clerk reschedules and the task is done", async () => {
    const clinic = await declareClinic('procedure', 39);
    const { id, patient } = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = (await bookSlot(id, clinic.slots[0].id)).body.booking;
    const asked = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(patient))
      .send({ request: 'change', reasonCode: 'NO_TRANSPORT', note: 'Any Tuesday' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ bookingId: booked.id, request: 'change', reasonCode: 'NO_TRANSPORT' });
    const again = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(patient))
      .send({ request: 'cancel', reasonCode: 'UNWELL' });
    expect(again.status).toBe(409);

    const tasks = await s.http.get('/v1/tasks').query({ kind: 'appointment_change_request' }).set(bearer(c.clerkRJC)).expect(200);
    const task = tasks.body.items.find((t: { referralId: string }) => t.referralId === id);
    expect(task).toMatchObject({ team: 'booking', trustOds: 'RJC', detail: { bookingId: booked.id, request: 'change', reasonCode: 'NO_TRANSPORT' } });
    // Codes and ids only on the task: the patient's words stay on the referral's timeline.
    expect(JSON.stringify(task.detail)).not.toContain('Tuesday');
    const view = await getReferral(s, c.clerkRJC, id);
    expect(lastEventOf(view, 'appointment_change_requested').detail).toMatchObject({ reasonCode: 'NO_TRANSPORT', comment: 'Any Tuesday' });

    await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .send({ slotId: clinic.slots[3].id, reasonCode: 'PATIENT_TRANSPORT' })
      .expect(200);
    const open = await s.http.get('/v1/tasks').query({ kind: 'appointment_change_request' }).set(bearer(c.clerkRJC)).expect(200);
    expect(open.body.items.map((t: { id: string }) => t.id)).not.toContain(task.id);
    const done = await s.http.get('/v1/tasks').query({ kind: 'appointment_change_request', status: 'DONE' }).set(bearer(c.clerkRJC)).expect(200);
    expect(done.body.items.find((t: { id: string }) => t.id === task.id)).toMatchObject({ status: 'DONE', completedBy: 'clerk-rjc' });
  });

  it('a cancel request is closed by the clerk cancelling; staff cannot file one, another patient cannot see the booking', async () => {
    const clinic = await declareClinic('pre_op_assessment', 40);
    const { id, patient } = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = (await bookSlot(id, clinic.slots[0].id, 'pre_op_assessment')).body.booking;
    await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(c.clerkRJC))
      .send({ request: 'cancel', reasonCode: 'UNWELL' })
      .expect(403);
    const stranger = await token({ role: 'patient', nhsNumber: '9434765919' });
    await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(stranger))
      .send({ request: 'cancel', reasonCode: 'UNWELL' })
      .expect(404);
    await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(patient))
      .send({ request: 'cancel', reasonCode: 'CARER_NOT_AVAILABLE' })
      .expect(201);
    await s.http.post(`/v1/referrals/${id}/bookings/${booked.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Patient asked' }).expect(200);
    const done = await s.http.get('/v1/tasks').query({ kind: 'appointment_change_request', status: 'DONE' }).set(bearer(c.clerkRJC)).expect(200);
    expect(done.body.items.some((t: { referralId: string }) => t.referralId === id)).toBe(true);
  });
});
