// Re-offer after a rejection (issue 18, RO): the referral offered elsewhere without re-posting, or closed back to the origin list.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, driveTo, getReferral, isoDay, lastEventOf, token, useStack, waitUntil } from './support/stack.js';

const { s, c } = useStack();

/** A specialty of this suite's own, with capacity at RJC and RLT: suites share one database, and 110's offers are RJC's alone elsewhere. */
const SPECIALTY = '326';

beforeAll(async () => {
  const body = { weeklySlots: 5, fromDate: isoDay(0), toDate: isoDay(365) };
  const rlt = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
  expect((await s.http.put(`/v1/capacity/RJC/${SPECIALTY}`).set(bearer(c.adminRJC)).send(body)).status).toBe(200);
  expect((await s.http.put(`/v1/capacity/RLT/${SPECIALTY}`).set(bearer(rlt)).send(body)).status).toBe(200);
});

async function rejectedByRJC() {
  const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { specialtyCode: SPECIALTY });
  const res = await s.http
    .post(`/v1/referrals/${ref.id}/receiver-decision`)
    .set(bearer(c.clinRJC))
    .send({ decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' });
  expect(res.body.status).toBe('REJECTED_BY_RECEIVER');
  return ref;
}

describe('re-offer after the receiving trust did not accept', () => {
  it('a rejected referral is offered to another trust without re-posting, accepted there, weeks waited unbroken; the former receiver still 404', async () => {
    const { id, patient } = await rejectedByRJC();
    const before = await getReferral(s, c.clinRLQ, id);

    const res = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { status: 'AWAITING_PATIENT_CONSENT' } });

    // The patient is sent the offer again, for this round's offers: none at the trust that did not accept.
    const view = await waitUntil(async () => {
      const v = await getReferral(s, c.clinRLQ, id);
      return v.timeline.filter((e: { type: string }) => e.type === 'offers_made').length === 2 ? v : null;
    }, 'the second round of offers');
    const open = view.offers.filter((o: { status: string }) => o.status === 'OPEN');
    expect(open.length).toBeGreaterThan(0);
    expect(open.map((o: { receivingOds: string }) => o.receivingOds)).not.toContain('RJC');
    expect(lastEventOf(view, 'reoffered')).toMatchObject({ type: 'reoffered', detail: { rttClockStart: before.rttClockStart } });
    const offerMessages = await waitUntil(async () => {
      const items = (await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient))).body.items as Array<{ event: string }>;
      const sent = items.filter((n) => n.event === 'offer').length;
      return sent === 2 ? sent : null;
    }, 'the new offer message');
    expect(offerMessages).toBe(2);

    const offer = open.find((o: { receivingOds: string }) => o.receivingOds === 'RLT');
    expect(offer).toBeDefined();
    const accepted = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id });
    expect({ status: accepted.status, body: accepted.body }).toMatchObject({ status: 200, body: { status: 'AWAITING_RECEIVER_ACCEPTANCE' } });
    const taken = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLT)).send({ decision: 'accept' });
    expect(taken.status).toBe(200);
    expect(taken.body.status).toBe('AWAITING_BOOKING');

    const after = await getReferral(s, c.clinRLT, id);
    expect(after.id).toBe(id);
    expect(after.receivingOds).toBe('RLT');
    expect(after.rttClockStart).toBe(before.rttClockStart);
    expect(lastEventOf(after, 'transfer_of_care').detail).toMatchObject({ toOds: 'RLT', rttClockStart: before.rttClockStart });
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRJC))).status).toBe(404);
  });

  it('a rejected referral closed to the origin list: final, the patient kept on the origin list', async () => {
    const { id } = await rejectedByRJC();
    const res = await s.http.post(`/v1/referrals/${id}/close-to-origin`).set(bearer(c.clerkRLQ)).send({ reason: 'No other trust suits the patient' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CANCELLED');
    const view = await getReferral(s, c.clinRLQ, id);
    expect(lastEventOf(view, 'closed_to_origin').detail).toMatchObject({
      reason: 'No other trust suits the patient',
      placeOnOriginList: expect.stringMatching(/kept on the origin trust waiting list/),
    });
    const again = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect(again.status).toBe(409);
    expect(again.body.currentStatus).toBe('CANCELLED');
  });

  it('only the referring trust re-offers, and only after a rejection', async () => {
    const { id } = await rejectedByRJC();
    const wrongSide = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRJC));
    expect(wrongSide.status).toBe(404);
    const clerk = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clerkRLQ));
    expect(clerk.status).toBe(403);
    const waiting = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { specialtyCode: SPECIALTY });
    const early = await s.http.post(`/v1/referrals/${waiting.id}/reoffer`).set(bearer(c.clinRLQ));
    expect(early.status).toBe(409);
    expect(early.body.message).toMatch(/only possible while it is REJECTED_BY_RECEIVER/);
  });
});
