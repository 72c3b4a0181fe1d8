// Re-offer after a rejection (issue 18, RO): the referral offered elsewhere without re-posting, or closed back to the origin list.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, driveTo, getReferral, isoDay, lastEventOf, token, useStack, waitUntil } from './support/stack.js';

const { s, c } = useStack();

/** The status of the referral's ServiceRequest in its FHIR export, as the referring trust reads it. */
async function requestStatus(id: string): Promise<string | undefined> {
  const res = await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(c.clinRLQ));
  expect(res.status).toBe(200);
  const bundle = JSON.parse(res.text) as { entry: Array<{ resource: { resourceType: string; status?: string } }> };
  return bundle.entry.find((e) => e.resource.resourceType === 'ServiceRequest')?.resource.status;
}

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

  it('the second receiving trust gets its own transfer data set over MESH, and its acceptance goes back to the origin beside the first refusal', async () => {
    const { id, patient } = await rejectedByRJC();
    expect((await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ))).status).toBe(200);
    const view = await waitUntil(async () => {
      const v = await getReferral(s, c.clinRLQ, id);
      return v.timeline.filter((e: { type: string }) => e.type === 'offers_made').length === 2 ? v : null;
    }, 'the second round of offers');
    const offer = view.offers.find((o: { status: string; receivingOds: string }) => o.status === 'OPEN' && o.receivingOds === 'RLT');
    expect((await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id })).status).toBe(200);
    expect((await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLT)).send({ decision: 'accept' })).status).toBe(200);

    type Row = { kind: string; sender_ods: string; recipient_ods: string; decision: string | null };
    const rows = await waitUntil(async () => {
      const { rows } = await s.prisma.sql.query<Row>(
        `SELECT kind, sender_ods, recipient_ods, payload->>'decision' AS decision FROM dispatch WHERE referral_id = $1::uuid ORDER BY kind, created_at`,
        [id],
      );
      return rows.length === 5 ? rows : null;
    }, 'the dispatches of both rounds');
    expect(rows).toEqual([
      { kind: 'RECEIVER_DECISION', sender_ods: 'RJC', recipient_ods: 'RLQ', decision: 'rejected' },
      { kind: 'RECEIVER_DECISION', sender_ods: 'RLT', recipient_ods: 'RLQ', decision: 'accepted' },
      { kind: 'REMOVE_FROM_LIST', sender_ods: 'RLQ', recipient_ods: 'RLQ', decision: null },
      { kind: 'TRANSFER', sender_ods: 'RLQ', recipient_ods: 'RJC', decision: null },
      { kind: 'TRANSFER', sender_ods: 'RLQ', recipient_ods: 'RLT', decision: null },
    ]);
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

/** The referral's open offers once its `round`th round of offers is made. */
async function offersOfRound(id: string, round: number) {
  const view = await waitUntil(async () => {
    const v = await getReferral(s, c.clinRLQ, id);
    return v.timeline.filter((e: { type: string }) => e.type === 'offers_made').length === round ? v : null;
  }, `round ${round} of offers`);
  return view.offers.filter((o: { status: string }) => o.status === 'OPEN') as Array<{ id: string; receivingOds: string }>;
}

async function declined() {
  const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: SPECIALTY });
  await offersOfRound(ref.id, 1);
  const res = await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(ref.patient)).send({ decision: 'decline' });
  expect({ status: res.status, to: res.body.status }).toEqual({ status: 200, to: 'DECLINED' });
  return ref;
}

describe('re-offer after a decline or a cancellation (a closed referral re-opened)', () => {
  it('a declined referral is offered again, the trusts just offered among the offers, and accepted at another trust with the same RTT clock start', async () => {
    const { id, patient } = await declined();
    const before = await getReferral(s, c.clinRLQ, id);

    const res = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect({ status: res.status, to: res.body.status }).toEqual({ status: 200, to: 'AWAITING_PATIENT_CONSENT' });
    const open = await offersOfRound(id, 2);
    // A decline was the patient's answer, not a trust's refusal: the trusts offered before may be chosen now.
    expect(open.map((o) => o.receivingOds).sort()).toEqual(expect.arrayContaining(['RJC', 'RLT']));
    const view = await getReferral(s, c.clinRLQ, id);
    expect(lastEventOf(view, 'reoffered')).toMatchObject({ fromStatus: 'DECLINED', detail: { rttClockStart: before.rttClockStart, reopenedFrom: 'DECLINED' } });

    const offer = open.find((o) => o.receivingOds === 'RLT')!;
    const accepted = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id });
    expect({ status: accepted.status, to: accepted.body.status }).toEqual({ status: 200, to: 'AWAITING_RECEIVER_ACCEPTANCE' });
    const taken = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLT)).send({ decision: 'accept' });
    expect({ status: taken.status, to: taken.body.status }).toEqual({ status: 200, to: 'AWAITING_BOOKING' });
    const after = await getReferral(s, c.clinRLT, id);
    expect({ id: after.id, receivingOds: after.receivingOds, rttClockStart: after.rttClockStart }).toEqual({
      id,
      receivingOds: 'RLT',
      rttClockStart: before.rttClockStart,
    });
    expect(lastEventOf(after, 'transfer_of_care').detail).toMatchObject({ toOds: 'RLT', rttClockStart: before.rttClockStart });
  });

  it('a referral cancelled by the receiving trust after the transfer of care is offered again, never to that trust, which is no longer a party', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_BOOKING', { specialtyCode: SPECIALTY });
    const before = await getReferral(s, c.clinRLQ, id);
    const cancelled = await s.http.post(`/v1/referrals/${id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Theatre closed for refurbishment' });
    expect({ status: cancelled.status, to: cancelled.body.status }).toEqual({ status: 200, to: 'CANCELLED' });
    // In FHIR the request is on hold while it may be re-opened (revoked would be terminal), and active again after.
    expect(await requestStatus(id)).toBe('on-hold');

    const res = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect({ status: res.status, to: res.body.status }).toEqual({ status: 200, to: 'AWAITING_PATIENT_CONSENT' });
    expect(await requestStatus(id)).toBe('active');
    const open = await offersOfRound(id, 2);
    expect(open.length).toBeGreaterThan(0);
    expect(open.map((o) => o.receivingOds)).not.toContain('RJC');
    const view = await getReferral(s, c.clinRLQ, id);
    expect(view.rttClockStart).toBe(before.rttClockStart);
    expect(lastEventOf(view, 'reoffered')).toMatchObject({
      fromStatus: 'CANCELLED',
      detail: { reopenedFrom: 'CANCELLED', rttClockStart: before.rttClockStart },
    });
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRJC))).status).toBe(404);
  });

  it('refused with 409 naming the newer referral while one is open for the same pathway', async () => {
    const { id, body } = await declined();
    const newer = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send({ ...body, specialtyCode: SPECIALTY });
    expect(newer.status).toBe(201);
    const res = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(`A newer referral is open for this pathway (${newer.body.id}`);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'pathwayId' })]);
    expect((await getReferral(s, c.clinRLQ, id)).status).toBe('DECLINED');
  });

  it('refused with 409 once the re-offer window has passed since the close', async () => {
    const { id } = await declined();
    // The close happened 91 days ago (REOFFER_WINDOW_DAYS is 90 by default).
    // The timeline is append-only (a trigger): the test ages it as a replica would write, in a transaction of its own.
    await s.prisma.sqlTransaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE timeline_event SET at = at - interval '91 days' WHERE referral_id = $1::uuid AND to_status = 'DECLINED'`, [id]);
    });
    const res = await s.http.post(`/v1/referrals/${id}/reoffer`).set(bearer(c.clinRLQ));
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/may be offered again only within 90 days of its close/);
    expect(res.body.currentStatus).toBe('DECLINED');
    expect((await getReferral(s, c.clinRLQ, id)).status).toBe('DECLINED');
  });
});
