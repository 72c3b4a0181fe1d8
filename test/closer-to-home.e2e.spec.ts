// Care closer to home through the HTTP API: a specialist trust (here RJC) refers its patient to the
// local member (RLQ, near the patient's home) with the same screening, review, consent, transfer of
// care and booking as a long-wait transfer; only the long-wait rules (52-week threshold, tertiary
// care) do not apply. The direction is data on the referral.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, isoDay, referralBody, token, useStack, waitForStatus, waitUntil } from './support/stack.js';

const { s, c } = useStack();

/** A treatment function of this suite's own, so the capacity declared here offers no other suite's referral anything. */
const SPECIALTY = '191';

/** The Monday after today, as YYYY-MM-DD (capacity is declared by week). */
function nextMonday(): string {
  const d = new Date(isoDay(0) + 'T00:00:00Z');
  return new Date(d.getTime() + (7 - ((d.getUTCDay() + 6) % 7)) * 86_400_000).toISOString().slice(0, 10);
}

beforeAll(async () => {
  const admin = await token({ role: 'trust_admin', ods: 'RLQ', sub: 'admin-rlq' });
  const from = nextMonday();
  const to = new Date(Date.parse(from) + 27 * 86_400_000).toISOString().slice(0, 10);
  const res = await s.http.put(`/v1/capacity/RLQ/${SPECIALTY}`).set(bearer(admin)).send({ weeklySlots: 5, fromDate: from, toDate: to });
  expect(res.status).toBe(200);
});

/** A specialist patient of RJC, 10 weeks into their pathway, in specialised (tertiary) care, living near Hereford. */
const specialistPatient = (over: Record<string, unknown> = {}) =>
  referralBody({
    specialtyCode: SPECIALTY,
    rttClockStart: isoDay(-10 * 7),
    tertiary: true,
    pathwayId: `RJC-CTH-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    ...over,
  });

describe('a referral from a specialist trust to a local one', () => {
  it('runs the same workflow to booking: the long-wait rules do not apply, the local member is offered, accepts and books', async () => {
    const body = specialistPatient({ direction: 'closer_to_home' });
    const opened = await s.http.post('/v1/referrals').set(bearer(c.clerkRJC)).send(body);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ direction: 'closer_to_home', originOds: 'RJC', weeksWaited: 10 });
    const id = opened.body.id as string;

    const screened = await waitForStatus(s, c.clinRJC, id, 'AWAITING_CLINICAL_REVIEW');
    expect(screened.offers.map((o: { receivingOds: string }) => o.receivingOds)).toEqual(expect.arrayContaining(['RLQ']));
    const review = await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRJC)).send({ decision: 'suitable' });
    expect(review.body.status).toBe('AWAITING_PATIENT_CONSENT');

    const patient = await token({ role: 'patient', nhsNumber: body.patient.nhsNumber });
    const withOffers = await waitUntil(async () => {
      const v = (await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRJC))).body;
      return v.timeline.some((e: { type: string }) => e.type === 'offers_made') ? v : null;
    }, 'the offers to be made');
    const local = withOffers.offers.find((o: { receivingOds: string; status: string }) => o.receivingOds === 'RLQ' && o.status === 'OPEN');
    const consent = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: local.id });
    expect(consent.body).toMatchObject({ status: 'AWAITING_RECEIVER_ACCEPTANCE', receivingOds: 'RLQ' });

    const accepted = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLQ)).send({ decision: 'accept' });
    expect(accepted.body).toMatchObject({ status: 'AWAITING_BOOKING', direction: 'closer_to_home', rttClockStart: body.rttClockStart });
    const booked = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRLQ))
      .send({ kind: 'procedure', startsAt: new Date(Date.now() + 14 * 86_400_000).toISOString() });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ status: 'BOOKED', receivingOds: 'RLQ', direction: 'closer_to_home', booking: { siteOds: 'RLQ01' } });
  });

  it('the same patient as a long-wait transfer is not eligible: below the threshold, and specialised care stays', async () => {
    const opened = await s.http.post('/v1/referrals').set(bearer(c.clerkRJC)).send(specialistPatient());
    expect(opened.body.direction).toBe('long_wait_transfer');
    const closed = await waitForStatus(s, c.clinRJC, opened.body.id, 'NOT_ELIGIBLE');
    const failed = closed.timeline.find((e: { type: string }) => e.type === 'screening_failed');
    expect(failed.detail.reasons.map((r: { code: string }) => r.code).sort()).toEqual(['BELOW_THRESHOLD', 'TERTIARY_CARE']);
  });

  it('refuses a direction it does not know, naming the field', async () => {
    const res = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRJC))
      .send(specialistPatient({ direction: 'sideways' }));
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['direction']);
  });
});
