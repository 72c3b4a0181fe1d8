// `Prefer: return=minimal` (RFC 7240) on the referral command routes: the state only when asked, the full view otherwise.
import { describe, expect, it } from '@jest/globals';
import { bearer, driveTo, drained, isoDay, referralBody, token, useStack, waitForStatus } from './support/stack.js';

const { s, c } = useStack();
const MINIMAL = { Prefer: 'return=minimal' };

describe('Prefer: return=minimal', () => {
  it('answers every step of a journey with the id, status and version only, and says so', async () => {
    const body = referralBody();
    const open = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set(MINIMAL).send(body);
    expect(open.status).toBe(201);
    const id = open.body.id as string;
    expect(open.body).toEqual({ id, status: 'IDENTIFIED', version: 1 });
    expect(open.headers['preference-applied']).toBe('return=minimal');
    expect(open.headers.location).toBe(`/v1/referrals/${id}`);

    const screened = await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    const review = await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLQ)).set(MINIMAL).send({ decision: 'suitable' });
    expect(review.status).toBe(200);
    expect(review.body).toEqual({ id, status: 'AWAITING_PATIENT_CONSENT', version: screened.version + 1 });
    expect(review.headers['preference-applied']).toBe('return=minimal');

    await drained(s);
    const patient = await token({ role: 'patient', nhsNumber: body.patient.nhsNumber });
    const offers = await s.http.get(`/v1/referrals/${id}`).set(bearer(patient));
    const consent = await s.http
      .post(`/v1/referrals/${id}/consent`)
      .set(bearer(patient))
      .set({ prefer: 'handling=lenient, return="minimal"' })
      .send({ decision: 'accept', offerId: offers.body.offers[0].id });
    expect(consent.status).toBe(200);
    expect(consent.body).toEqual({ id, status: 'AWAITING_RECEIVER_ACCEPTANCE', version: review.body.version + 1 });

    const accept = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRJC)).set(MINIMAL).send({ decision: 'accept' });
    expect(accept.body).toEqual({ id, status: 'AWAITING_BOOKING', version: consent.body.version + 1 });

    const booked = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .set(MINIMAL)
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 20 * 86_400_000).toISOString() });
    expect(booked.status).toBe(201);
    const full = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRJC));
    expect(booked.body).toEqual({ id, status: full.body.status, version: full.body.version, bookingId: full.body.bookings[0].id });

    const contact = await s.http.patch(`/v1/referrals/${id}/patient-contact`).set(bearer(c.clerkRLQ)).set(MINIMAL).send({ phone: '07700900456' });
    expect(contact.status).toBe(200);
    // Not a stage change (its outcome has no status): the state is read back, as a GET then shows it.
    const after = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRLQ));
    expect(contact.body).toEqual({ id, status: after.body.status, version: after.body.version });
    expect(after.body.patient.phone).toBe('07700900456');
    expect(contact.headers['preference-applied']).toBe('return=minimal');
  });

  it('keeps the full view as the default, and for any other preference', async () => {
    const plain = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(referralBody());
    expect(plain.status).toBe(201);
    expect(plain.headers['preference-applied']).toBeUndefined();
    expect(plain.headers.location).toBe(`/v1/referrals/${plain.body.id}`);
    // The view is read after the commit, so the worker may already have screened it: any status, any version.
    expect(plain.body).toMatchObject({ id: expect.any(String), status: expect.any(String), version: expect.any(Number) });
    expect(Array.isArray(plain.body.timeline)).toBe(true);
    expect(plain.body.patient).toMatchObject({ familyName: 'Testpatient' });

    const representation = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set({ Prefer: 'return=representation' }).send(referralBody());
    expect(representation.status).toBe(201);
    expect(representation.headers['preference-applied']).toBeUndefined();
    expect(Array.isArray(representation.body.timeline)).toBe(true);
  });

  it('answers a replayed open with the referral as it is now, not as it was opened', async () => {
    const body = referralBody();
    const key = `prefer-${body.pathwayId}`;
    const first = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set({ 'Idempotency-Key': key }).send(body);
    const screened = await waitForStatus(s, c.clinRLQ, first.body.id, 'AWAITING_CLINICAL_REVIEW');
    const again = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .set({ 'Idempotency-Key': key, ...MINIMAL })
      .send(body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ id: first.body.id, status: 'AWAITING_CLINICAL_REVIEW', version: screened.version });
  });

  it('answers a reschedule and a did-not-attend with the state and what the next step needs', async () => {
    const clinic = await s.http
      .post('/v1/clinics')
      .set(bearer(c.clerkRJC))
      .send({ siteOds: 'RJC02', clinicianName: 'Mr Rhys Owen', kind: 'procedure', date: isoDay(43), startTime: '14:00', slotMinutes: 30, endTime: '15:00' })
      .expect(201);
    const [first, second] = clinic.body.slots as Array<{ id: string }>;
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING');
    const booked = await s.http.post(`/v1/referrals/${id}/bookings`).set(bearer(c.clerkRJC)).send({ kind: 'procedure', slotId: first.id }).expect(201);

    const moved = await s.http
      .post(`/v1/referrals/${id}/bookings/${booked.body.booking.id}/reschedule`)
      .set(bearer(c.clerkRJC))
      .set(MINIMAL)
      .send({ slotId: second.id, reasonCode: 'PATIENT_UNWELL' });
    expect(moved.status).toBe(200);
    expect(moved.headers['preference-applied']).toBe('return=minimal');
    const afterMove = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRJC));
    const newBooking = afterMove.body.bookings.find((b: { status: string }) => b.status === 'BOOKED');
    expect(moved.body).toEqual({ id, status: afterMove.body.status, version: afterMove.body.version, bookingId: newBooking.id });

    // The day comes and goes (the API books only ahead).
    await s.prisma.sql.query(`UPDATE booking SET starts_at = now() - interval '2 hours' WHERE id = $1::uuid`, [newBooking.id]);
    const missed = await s.http.post(`/v1/referrals/${id}/bookings/${newBooking.id}/did-not-attend`).set(bearer(c.clerkRJC)).set(MINIMAL);
    expect(missed.status).toBe(200);
    expect(missed.headers['preference-applied']).toBe('return=minimal');
    const afterMiss = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRJC));
    // RJC's default policy rebooks (test files run one at a time; booking-slots puts its own policy back).
    expect(missed.body).toEqual({ id, status: afterMiss.body.status, version: afterMiss.body.version, outcome: 'rebook', dnaCount: 1 });
    expect(afterMiss.body.status).toBe('AWAITING_BOOKING');
  });
});
