// Who may do what: 409 from the wrong status and on a race, 404 across trusts, 403 by role,
// idempotent creation, and the worklist's filters and keyset pagination.
import { describe, expect, it } from '@jest/globals';
import { bearer, drained, driveTo, getReferral, lastEventOf, openReferral, referralBody, token, useStack, waitForStatus, type Cast } from './support/stack.js';

const { s, c } = useStack();

describe('409: transitions from the wrong status, and races', () => {
  it('says why, naming the current status, and changes nothing', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await drained(s);
    const before = await getReferral(s, c.clinRLQ, id);
    const res = await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      currentStatus: 'AWAITING_PATIENT_CONSENT',
      details: { currentStatus: 'AWAITING_PATIENT_CONSENT', allowedFrom: ['AWAITING_CLINICAL_REVIEW'] },
    });
    expect(res.body.message).toMatch(/Cannot record a clinical review: the referral is AWAITING_PATIENT_CONSENT/);
    const after = await getReferral(s, c.clinRLQ, id);
    expect(after.version).toBe(before.version);
    expect(after.timeline).toHaveLength(before.timeline.length);
  });

  it.each([
    ['treatment before booking', 'AWAITING_BOOKING', 'treatment', { performedAt: new Date().toISOString(), procedureCode: 'W371' }],
    ['discharge before treatment', 'BOOKED', 'discharge', { dischargedAt: new Date().toISOString(), summary: 'x' }],
    ['receiver decision twice', 'AWAITING_BOOKING', 'receiver-decision', { decision: 'accept' }],
  ])('%s -> 409', async (_l, status, route, body) => {
    const { id } = await driveTo(s, c, status);
    const res = await s.http.post(`/v1/referrals/${id}/${route}`).set(bearer(c.clinRJC)).send(body);
    expect(res.status).toBe(409);
    expect(res.body.currentStatus).toBe(status);
  });

  it('20 clinicians reviewing at once: exactly one wins, the rest get 409, one event is written', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.http
          .post(`/v1/referrals/${id}/clinical-review`)
          .set(bearer(c.clinRLQ))
          .send(i % 2 ? { decision: 'suitable' } : { decision: 'not_suitable', reasonCode: 'PATIENT_FRAILTY' }),
      ),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((x) => x === 200)).toHaveLength(1);
    expect(codes.filter((x) => x === 409)).toHaveLength(19);
    const r = await getReferral(s, c.clinRLQ, id);
    expect(r.timeline.filter((e: { type: string }) => e.type.startsWith('clinical_review'))).toHaveLength(1);
  });

  it('concurrent booking and withdrawal: one wins, state stays consistent', async () => {
    const { id, patient } = await driveTo(s, c, 'AWAITING_BOOKING');
    const [book, withdraw] = await Promise.all([
      s.http
        .post(`/v1/referrals/${id}/bookings`)
        .set(bearer(c.clerkRJC))
        .send({ kind: 'procedure', startsAt: new Date(Date.now() + 9 * 86_400_000).toISOString() }),
      s.http.post(`/v1/referrals/${id}/withdraw`).set(bearer(patient)).send({}),
    ]);
    // Either may lose the race (409), or both succeed one after the other; never neither.
    expect([201, 409]).toContain(book.status);
    expect([200, 409]).toContain(withdraw.status);
    expect(book.status === 201 || withdraw.status === 200).toBe(true);
    const r = await getReferral(s, c.clerkRJC, id);
    if (withdraw.status === 200) {
      expect(r.status).toBe('WITHDRAWN');
      expect(r.bookings.every((b: { status: string }) => b.status === 'CANCELLED')).toBe(true);
    } else {
      expect(r.status).toBe('BOOKED');
      expect(r.bookings.filter((b: { status: string }) => b.status === 'BOOKED')).toHaveLength(1);
    }
  });
});

describe('trust scoping and roles', () => {
  it('another trust gets 404, not 403, for reads and actions', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRLT))).status).toBe(404);
    expect((await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(c.clinRLT))).status).toBe(404);
    const act = await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLT)).send({ decision: 'suitable' });
    expect(act.status).toBe(404);
    // Before a patient accepts an offer the would-be receiver cannot see it either.
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRJC))).status).toBe(404);
    const list = await s.http.get('/v1/referrals?limit=200').set(bearer(c.clinRLT));
    expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(id);
  });

  it("the receiving trust sees the referral once chosen, but may not do the origin trust's steps", async () => {
    const { id, patient } = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRJC))).status).toBe(200);
    const wrongSide = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(c.clerkRJC)).send({ decision: 'decline', method: 'phone' });
    expect(wrongSide.status).toBe(403);
    expect(wrongSide.body.message).toMatch(/referring trust \(RLQ\)/);
    const originAccepts = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLQ)).send({ decision: 'accept' });
    expect(originAccepts.status).toBe(403);
    expect((await getReferral(s, patient, id)).status).toBe('AWAITING_RECEIVER_ACCEPTANCE');
  });

  it.each([
    ['a booking clerk records a clinical review', 'clerkRLQ', 'clinical-review', { decision: 'suitable' }],
    ['a clinician opens... no: a trust admin withdraws', 'adminRLQ', 'withdraw', {}],
    ['a booking clerk records treatment', 'clerkRLQ', 'treatment', { performedAt: new Date().toISOString(), procedureCode: 'W371' }],
    ['an integration reviews', 'integrationRLQ', 'clinical-review', { decision: 'suitable' }],
  ])('403 when %s', async (_l, who, route, body) => {
    const { id } = await openReferral(s, c);
    const res = await s.http
      .post(`/v1/referrals/${id}/${route}`)
      .set(bearer(c[who as keyof Cast]))
      .send(body);
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/may not do this/);
  });

  it('a clinician may not open referrals; a patient may not read the worklist', async () => {
    const res = await s.http.post('/v1/referrals').set(bearer(c.clinRLQ)).send(referralBody());
    expect(res.status).toBe(403);
    const patient = await token({ role: 'patient', nhsNumber: '9434765919' });
    expect((await s.http.get('/v1/referrals').set(bearer(patient))).status).toBe(403);
  });

  it('an integration (system to system) opens referrals for its own trust', async () => {
    const res = await s.http.post('/v1/referrals').set(bearer(c.integrationRLQ)).send(referralBody());
    expect(res.status).toBe(201);
    expect(res.body.originOds).toBe('RLQ');
    expect(res.body.timeline[0].actor).toEqual({ sub: 'pas-rlq', role: 'integration', ods: 'RLQ' });
  });

  it('capacity is declared only by an admin of that trust', async () => {
    const body = { weeklySlots: 5, fromDate: '2026-01-01', toDate: '2027-12-31' };
    expect((await s.http.put('/v1/capacity/RLT/120').set(bearer(c.adminRJC)).send(body)).status).toBe(403);
    expect((await s.http.put('/v1/capacity/RLT/120').set(bearer(c.clinRLT)).send(body)).status).toBe(403);
    const admin = await token({ role: 'trust_admin', ods: 'RLT' });
    const ok = await s.http.put('/v1/capacity/RLT/120').set(bearer(admin)).send(body);
    expect(ok.status).toBe(200);
    // No site named: the trust's main site (#5, capacity per site).
    expect(ok.body).toMatchObject({ ods: 'RLT', specialtyCode: '120', weeklySlots: 5, siteOds: 'RLT01' });
    const list = await s.http.get('/v1/capacity?specialty=120').set(bearer(c.clinRLQ));
    expect(list.body.items).toEqual([expect.objectContaining({ ods: 'RLT', weeklySlots: 5 })]);
  });
});

describe('Idempotency-Key on POST /v1/referrals', () => {
  it('a repeat returns the first result; another body with the same key is refused', async () => {
    const body = referralBody();
    const key = `idem-${body.patient.nhsNumber}`;
    const first = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    const again = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(body);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .set('Idempotency-Key', key)
      .send({ ...body, priority: 'P2' });
    expect(other.status).toBe(422);
    expect(other.body.details).toEqual([{ field: 'Idempotency-Key', messages: [other.body.message] }]);
    expect(await s.prisma.referral.count({ where: { pathwayId: body.pathwayId } })).toBe(1);
  });

  it('a key older than 24 hours starts afresh: the old record goes, the new request is its own', async () => {
    const body = referralBody();
    const key = `aged-${body.patient.nhsNumber}`;
    const first = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    await s.prisma.sql.query(`UPDATE idempotency_record SET created_at = now() - interval '25 hours' WHERE ods = 'RLQ' AND key = $1`, [key]);
    const later = referralBody();
    const second = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(later);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    const { rows } = await s.prisma.sql.query<{ referral_id: string }>(`SELECT referral_id::text FROM idempotency_record WHERE ods = 'RLQ' AND key = $1`, [
      key,
    ]);
    expect(rows).toEqual([{ referral_id: second.body.id }]);
  });

  it('ten concurrent repeats create one referral and one screening job', async () => {
    const body = referralBody();
    const key = `race-${body.patient.nhsNumber}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(body)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const id = results[0].body.id;
    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    expect(await s.prisma.outboxMessage.count({ where: { referralId: id, jobName: 'referral.screen' } })).toBe(1);
  });
});

describe('worklists', () => {
  it('filters by status, specialty, weeks waited and side; longest waiters first; keyset pages cover everything once', async () => {
    const admin = await token({ role: 'trust_admin', ods: 'RLQ' });
    const ids: string[] = [];
    for (const weeks of [53, 90, 70, 61, 104]) {
      const { id } = await openReferral(s, c, { rttClockStart: new Date(Date.now() - weeks * 7 * 86_400_000 - 86_400_000).toISOString().slice(0, 10) });
      ids.push(id);
    }
    for (const id of ids) await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    const seen: string[] = [];
    const waits: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/referrals?status=AWAITING_CLINICAL_REVIEW&specialty=110&minWeeksWaited=53&side=origin&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await s.http.get(q).set(bearer(admin));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const r of res.body.items) {
        seen.push(r.id);
        waits.push(r.weeksWaited);
        expect(r.weeksWaited).toBeGreaterThanOrEqual(53);
      }
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...waits].sort((a, b) => b - a)).toEqual(waits);

    const byPriority = await s.http.get('/v1/referrals?sort=priority&limit=200').set(bearer(c.clinRLQ));
    const prios = byPriority.body.items.map((r: { priority: string }) => r.priority);
    expect([...prios].sort()).toEqual(prios);

    const receiving = await s.http.get('/v1/referrals?side=receiving&limit=200').set(bearer(c.clinRLQ));
    expect(receiving.body.items.every((r: { receivingOds: string }) => r.receivingOds === 'RLQ')).toBe(true);
  });

  it('needsAttention lists referrals whose automated step failed for good', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    await drained(s);
    await s.api.get(NeedsAttentionToken).flag(id, 'transfer.dispatch', 'test-job', 'receiver system unreachable');
    const res = await s.http.get('/v1/referrals?needsAttention=true&limit=200').set(bearer(c.clerkRLQ));
    expect(res.body.items.map((r: { id: string }) => r.id)).toContain(id);
    const r = await getReferral(s, c.clerkRLQ, id);
    expect(r.needsAttention).toBe(true);
    expect(r.status).toBe('AWAITING_CLINICAL_REVIEW');
    expect(lastEventOf(r, 'needs_attention')).toMatchObject({ type: 'needs_attention', detail: { jobName: 'transfer.dispatch' } });
  });
});

import { NeedsAttention as NeedsAttentionToken } from '#workflow';
