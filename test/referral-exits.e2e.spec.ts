// Every exit of the workflow, and what each one says about the patient's place on the origin list.
import { describe, expect, it } from '@jest/globals';
import { bearer, drained, driveTo, getReferral, isoDay, lastEventOf, openReferral, token, useStack, waitForStatus } from './support/stack.js';

const { s, c } = useStack();

describe('screening closes ineligible referrals as NOT_ELIGIBLE with every reason', () => {
  it.each([
    ['below the 52-week threshold', { rttClockStart: isoDay(-20 * 7) }, ['BELOW_THRESHOLD']],
    ['a child', { patient: { dateOfBirth: isoDay(-365 * 10) } }, ['NOT_ADULT']],
    ['tertiary care', { tertiary: true }, ['TERTIARY_CARE']],
    ['a date already booked within 8 weeks', { nextAppointmentDate: isoDay(20) }, ['APPOINTMENT_WITHIN_8_WEEKS']],
    ['a specialty nobody has capacity for', { specialtyCode: '130' }, ['NO_GROUP_CAPACITY']],
    ['several at once', { rttClockStart: isoDay(-10 * 7), tertiary: true }, ['BELOW_THRESHOLD', 'TERTIARY_CARE']],
  ])('%s', async (_label, over, codes) => {
    const { id } = await openReferral(s, c, over);
    const r = await waitForStatus(s, c.clinRLQ, id, 'NOT_ELIGIBLE');
    const ev = lastEventOf(r, 'screening_failed');
    expect((ev.detail!.reasons as Array<{ code: string }>).map((x) => x.code)).toEqual(codes);
    expect(ev.detail!.placeOnOriginList).toMatch(/kept on the origin trust waiting list/);
    expect(r.offers).toEqual([]);
  });

  it('an appointment more than 8 weeks away does not stop the transfer', async () => {
    const { id } = await openReferral(s, c, { nextAppointmentDate: isoDay(70) });
    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
  });
});

describe('exits taken by people', () => {
  it('NOT_SUITABLE: the clinician gives a reason code; the note stays with clinicians', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const res = await s.http
      .post(`/v1/referrals/${id}/clinical-review`)
      .set(bearer(c.clinRLQ))
      .send({ decision: 'not_suitable', reasonCode: 'COMORBIDITY', note: 'Cardiac history' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('NOT_SUITABLE');
    expect(lastEventOf(res.body, 'clinical_review_not_suitable').detail).toMatchObject({
      reasonCode: 'COMORBIDITY',
      placeOnOriginList: expect.stringMatching(/kept/),
    });
    expect(res.body.clinicalNotes[0].text).toBe('Cardiac history');
    await drained(s);
    expect((await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(c.clinRLQ))).body.items).toEqual([]);
  });

  it('DECLINED: the patient declines and is told they keep their place', async () => {
    const { id, patient } = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await drained(s); // the offer has gone out before the patient answers it
    const res = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'decline', travelRadiusMiles: 10 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('DECLINED');
    expect(res.body.offers.every((o: { status: string }) => o.status === 'DECLINED')).toBe(true);
    await drained(s);
    const notes = (await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient))).body.items.map((n: { event: string }) => n.event);
    expect(notes).toEqual(['offer', 'offer_declined']);
  });

  it('a booking clerk records a phone answer, and must say how it came', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    const offers = (await getReferral(s, c.clerkRLQ, id)).offers;
    const noMethod = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(c.clerkRLQ)).send({ decision: 'accept', offerId: offers[0].id });
    expect(noMethod.status).toBe(422);
    expect(noMethod.body.details).toEqual([{ field: 'method', messages: [noMethod.body.message] }]);
    const res = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(c.clerkRLQ)).send({ decision: 'accept', offerId: offers[0].id, method: 'phone' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('AWAITING_RECEIVER_ACCEPTANCE');
    expect(lastEventOf(res.body, 'consent_accepted')).toMatchObject({
      type: 'consent_accepted',
      actor: { role: 'booking_clerk' },
      detail: { method: 'phone' },
    });
  });

  it('an offer beyond the travel radius cannot be accepted', async () => {
    const { id, patient } = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    const offer = (await getReferral(s, patient, id)).offers[0];
    const res = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id, travelRadiusMiles: 5 });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 'travelRadiusMiles', messages: [res.body.message] }]);
    expect((await getReferral(s, patient, id)).status).toBe('AWAITING_PATIENT_CONSENT');
  });

  it('REJECTED_BY_RECEIVER: the receiving trust rejects with a reason; the referral returns to the origin list', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const noReason = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'reject' });
    expect(noReason.status).toBe(422);
    const res = await s.http
      .post(`/v1/referrals/${id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('REJECTED_BY_RECEIVER');
    // The rejecting trust is no longer a party (it is told the outcome only); the referring trust reads why.
    expect(lastEventOf(await getReferral(s, c.clinRLQ, id), 'receiver_rejected').detail).toMatchObject({
      reasonCode: 'NO_ANAESTHETIC_CAPACITY',
      placeOnOriginList: expect.stringMatching(/kept/),
    });
    const worklist = await s.http.get('/v1/referrals?side=origin&status=REJECTED_BY_RECEIVER').set(bearer(c.clerkRLQ));
    expect(worklist.body.items.map((r: { id: string }) => r.id)).toContain(id);
  });

  it('WITHDRAWN: the patient withdraws after transfer; bookings are cancelled and the place returns to the origin list', async () => {
    const { id, patient } = await driveTo(s, c, 'BOOKED');
    const res = await s.http.post(`/v1/referrals/${id}/withdraw`).set(bearer(patient)).send({ reason: 'Moving away' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('WITHDRAWN');
    expect(lastEventOf(res.body, 'withdrawn')).toEqual({ id: expect.any(String), type: 'withdrawn', toStatus: 'WITHDRAWN', at: expect.any(String) });
    const staffView = await getReferral(s, c.clerkRLQ, id);
    expect(lastEventOf(staffView, 'withdrawn').detail).toMatchObject({
      reason: 'Moving away',
      placeOnOriginList: expect.stringMatching(/returned to the origin trust/),
    });
    expect(res.body.bookings.every((b: { status: string }) => b.status === 'CANCELLED')).toBe(true);
    await drained(s);
    const events = (await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient))).body.items.map((n: { event: string }) => n.event);
    expect(events[events.length - 1]).toBe('withdrawn');
  });

  it('CANCELLED: staff cancel with a reason; before any offer the patient is not written to', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const noReason = await s.http.post(`/v1/referrals/${id}/cancel`).set(bearer(c.clerkRLQ)).send({});
    expect(noReason.status).toBe(400);
    expect(noReason.body.details[0].field).toBe('reason');
    const res = await s.http.post(`/v1/referrals/${id}/cancel`).set(bearer(c.clerkRLQ)).send({ reason: 'Duplicate of another pathway' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
    await drained(s);
    expect((await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(c.clerkRLQ))).body.items).toEqual([]);
  });

  it('a cancelled procedure booking returns the referral to AWAITING_BOOKING, and it can be rebooked', async () => {
    const { id, patient } = await driveTo(s, c, 'BOOKED');
    const booking = (await getReferral(s, c.clerkRJC, id)).bookings.find((b: { kind: string }) => b.kind === 'procedure');
    const res = await s.http.post(`/v1/referrals/${id}/bookings/${booking.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Surgeon unavailable' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('AWAITING_BOOKING');
    const again = await s.http.post(`/v1/referrals/${id}/bookings/${booking.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'twice' });
    expect(again.status).toBe(409);
    const rebook = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    expect(rebook.status).toBe(201);
    expect(rebook.body.status).toBe('BOOKED');
    await drained(s);
    const events = (await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient))).body.items.map((n: { event: string }) => n.event);
    expect(events.slice(-3)).toEqual(['appointment_booked', 'appointment_cancelled', 'appointment_booked']);
  });

  it('a second procedure booking while one stands is refused', async () => {
    const { id } = await driveTo(s, c, 'BOOKED');
    const res = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 40 * 86_400_000).toISOString() });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/already booked/);
  });

  it('after treatment nobody can withdraw or cancel', async () => {
    const { id, patient } = await driveTo(s, c, 'TREATED');
    const w = await s.http.post(`/v1/referrals/${id}/withdraw`).set(bearer(patient)).send({});
    expect(w.status).toBe(409);
    expect(w.body.currentStatus).toBe('TREATED');
    const k = await s.http.post(`/v1/referrals/${id}/cancel`).set(bearer(c.clinRJC)).send({ reason: 'late' });
    expect(k.status).toBe(409);
  });

  it('a closed pathway can be referred again; an open one cannot', async () => {
    const first = await openReferral(s, c);
    const dup = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(first.body);
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/already has an open referral/);
    await waitForStatus(s, c.clinRLQ, first.id, 'AWAITING_CLINICAL_REVIEW');
    await s.http.post(`/v1/referrals/${first.id}/cancel`).set(bearer(c.clerkRLQ)).send({ reason: 'opened in error' }).expect(200);
    const again = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(first.body);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.id);
    const patient = await token({ role: 'patient', nhsNumber: first.nhs });
    expect((await s.http.get('/v1/patient/referrals').set(bearer(patient))).body.items).toHaveLength(2);
  });
});
