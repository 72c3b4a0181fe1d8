// Patient-initiated mutual aid (PIDMAS, issue 18): a trust invites a cohort of its waiting list, each
// patient answers on the opt-in page (link + date of birth, a travel radius), a clinician checks the
// opt-in, and the group's capacity within the radius makes it a referral (screening, offers, the
// patient's accept) or puts it on the "no capacity" list and its CSV (also when screening then finds
// none in the group). Never two invitations to one entry for one cohort. Through HTTP with the worker running (the local channel sends the messages).
import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { APP_CONFIG, type AppConfig } from '#config';
import { optInLinkToken } from '#notifications';
import { bearer, getReferral, isoDay, lastEventOf, nhsNumber, token, useStack, waitForStatus, waitUntil } from './support/stack.js';
import { weekAhead } from './support/console.js';

const SPECIALTY = '140';
const { s, c } = useStack();

interface Person {
  readonly entryId: string;
  readonly nhs: string;
}

/**
 * An open entry of RLQ's waiting list (60+ weeks by default) and, with `contact`, the trust's record of
 * the same person from an earlier referral (the waiting-list extract carries no contact details).
 */
async function entry(opts: { weeks?: number; postcode?: string; contact?: { phone?: string | null; email?: string | null; address?: string | null } } = {}) {
  const nhs = nhsNumber();
  const { rows } = await s.prisma.sql.query<{ id: string }>(
    `INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods,
       specialty_code, procedure_code, rtt_clock_start, priority, status, last_seen_seq)
     VALUES ('RLQ', $1, $2, 'Testpatient', 'Alex', '1960-05-05', $3, 'M81001', $4, 'W371', $5::date, 'P4', 'open', 0) RETURNING id::text AS id`,
    [`PI-${randomUUID()}`, nhs, opts.postcode ?? 'HR1 2ER', SPECIALTY, isoDay(-((opts.weeks ?? 60) * 7 + 3))],
  );
  if (opts.contact) {
    const { rows: p } = await s.prisma.sql.query<{ id: string }>(
      `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, updated_at)
       VALUES (gen_random_uuid(), $1, 'Testpatient', 'Alex', '1960-05-05', $2, $3, $4, $5, 'M81001', now()) RETURNING id::text AS id`,
      [nhs, opts.contact.address ?? null, opts.postcode ?? 'HR1 2ER', opts.contact.phone ?? null, opts.contact.email ?? null],
    );
    await s.prisma.sql.query(
      `INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, status, updated_at)
       VALUES (gen_random_uuid(), $1::uuid, 'RLQ', '110', 'W371', '2020-01-01', $2, 'P4', 'WITHDRAWN', now())`,
      [p[0].id, `EARLIER-${randomUUID()}`],
    );
  }
  return { entryId: rows[0].id, nhs } satisfies Person;
}

async function invitationOf(entryId: string) {
  const { rows } = await s.prisma.sql.query<{ id: string; channel: string; status: string }>(
    'SELECT id::text AS id, channel, status FROM pidmas_invitation WHERE entry_id = $1::uuid',
    [entryId],
  );
  return rows;
}

/** The invitation once the worker has sent it. */
async function sent(entryId: string) {
  const found = await waitUntil(async () => (await invitationOf(entryId)).find((i) => i.status === 'delivered'), 'the invitation to be sent');
  return found!;
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1];
const cookieOf = (res: Response) => String(res.headers['set-cookie']).split(';')[0];

/** The patient's answer on the opt-in page, as a browser without JavaScript sends it. */
async function answerOnPage(invitationId: string, form: Record<string, string>) {
  const t = optInLinkToken(s.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret, invitationId);
  expect((await s.http.get(`/opt-in/${t}`)).status).toBe(200);
  const dob = await s.http.post(`/opt-in/${t}`).type('form').send({ 'dob-day': '5', 'dob-month': '5', 'dob-year': '1960' });
  expect(dob.status).toBe(303);
  expect(dob.headers.location).toBe(`/opt-in/${t}/answer`);
  const cookie = cookieOf(dob);
  const page = await s.http.get(`/opt-in/${t}/answer`).set('Cookie', cookie);
  expect(page.status).toBe(200);
  const done = await s.http
    .post(`/opt-in/${t}/answer`)
    .set('Cookie', cookie)
    .type('form')
    .send({ csrf: csrfOf(page.text), ...form });
  expect(done.status).toBe(303);
  expect(done.headers.location).toBe(`/opt-in/${t}/done`);
  return { token: t, cookie };
}

const invite = (minWeeks = 52, t = c.clerkRLQ) => s.http.post('/v1/pidmas/cohorts').set(bearer(t)).send({ specialtyCode: SPECIALTY, minWeeks });

beforeAll(async () => {
  // Free slots for the specialty at Stratford (RJC08): about 43 miles from Hereford (HR1), about 70 from Llandrindod Wells (LD1).
  const res = await s.http
    .put(`/v1/capacity/RJC/${SPECIALTY}`)
    .set(bearer(c.adminRJC))
    .send({ weeklySlots: 5, fromDate: weekAhead(1).monday, toDate: isoDay(7 * 6), siteOds: 'RJC08' });
  expect(res.status).toBe(200);
});

describe('patient-initiated mutual aid', () => {
  let near: Person;
  let noContact: Person;
  let far: Person;

  it('invites the cohort once: SMS where the trust holds a mobile number, letter or email otherwise; none without contact details; never twice', async () => {
    near = await entry({ contact: { phone: '07700900123', email: 'alex@example.com' } });
    far = await entry({ postcode: 'LD1 5PQ', weeks: 70, contact: { address: '2 Temple Street, Llandrindod Wells' } });
    noContact = await entry({ weeks: 80 });
    const under = await entry({ weeks: 40, contact: { phone: '07700900124' } });

    const first = await invite();
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ specialtyCode: SPECIALTY, minWeeks: 52, noContactDetails: 1 });
    expect(first.body.invited).toBeGreaterThanOrEqual(2);
    expect((await sent(near.entryId)).channel).toBe('sms');
    expect((await sent(far.entryId)).channel).toBe('letter');
    expect(await invitationOf(noContact.entryId)).toEqual([]);
    expect(await invitationOf(under.entryId)).toEqual([]);
    // The local channel recorded each message once, under the invitation's id.
    const { rows: local } = await s.prisma.sql.query<{ channel: string }>('SELECT channel FROM local_message WHERE notification_id = $1::uuid', [
      (await invitationOf(near.entryId))[0].id,
    ]);
    expect(local).toEqual([{ channel: 'sms' }]);

    // The same cohort again, twice at once: nobody is invited again; a newcomer once.
    const newcomer = await entry({ weeks: 55, contact: { email: 'newcomer@example.com' } });
    const [a, b] = await Promise.all([invite(), invite(52, c.adminRLQ)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.cohortId).toBe(first.body.cohortId);
    expect(a.body.invited + b.body.invited).toBe(1);
    for (const p of [near, far, newcomer]) expect(await invitationOf(p.entryId)).toHaveLength(1);
    expect((await sent(newcomer.entryId)).channel).toBe('email');

    const cohorts = await s.http.get('/v1/pidmas/cohorts').set(bearer(c.clinRLQ));
    expect(cohorts.status).toBe(200);
    const mine = cohorts.body.find((x: { id: string }) => x.id === first.body.cohortId);
    expect(mine).toMatchObject({ specialtyCode: SPECIALTY, minWeeks: 52, invited: first.body.invited + 1 });
  });

  it('refuses a band that is not a cohort band, and a clinician inviting', async () => {
    const bad = await s.http.post('/v1/pidmas/cohorts').set(bearer(c.clerkRLQ)).send({ specialtyCode: SPECIALTY, minWeeks: 53 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('minWeeks');
    expect((await invite(52, c.clinRLQ)).status).toBe(403);
  });

  it('takes an opt-in within 50 miles to a referral the patient accepts, with the opt-in check as the clinical review', async () => {
    const inv = (await invitationOf(near.entryId))[0];
    await answerOnPage(inv.id, { answer: 'opted_in', radius: '50', requirements: 'Wheelchair user' });

    const list = await s.http.get('/v1/pidmas/opt-ins').set(bearer(c.clinRLQ));
    expect(list.status).toBe(200);
    expect(list.body.items.find((i: { id: string }) => i.id === inv.id)).toMatchObject({
      waitingListEntryId: near.entryId,
      nhsNumber: near.nhs,
      travelRadiusMiles: 50,
      requirements: 'Wheelchair user',
      review: null,
    });
    // Another trust's clinician does not find it; a clerk may not check it.
    expect((await s.http.post(`/v1/pidmas/opt-ins/${inv.id}/review`).set(bearer(c.clinRJC)).send({ decision: 'suitable' })).status).toBe(404);
    expect((await s.http.post(`/v1/pidmas/opt-ins/${inv.id}/review`).set(bearer(c.clerkRLQ)).send({ decision: 'suitable' })).status).toBe(403);

    const review = await s.http.post(`/v1/pidmas/opt-ins/${inv.id}/review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ id: inv.id, review: 'suitable' });
    const referralId = review.body.referralId as string;
    // Checked once: a second check is refused, the first stands.
    const again = await s.http.post(`/v1/pidmas/opt-ins/${inv.id}/review`).set(bearer(c.clinRLQ)).send({ decision: 'not_suitable', reasonCode: 'COMORBIDITY' });
    expect(again.status).toBe(409);

    const view = await waitForStatus(s, c.clinRLQ, referralId, 'AWAITING_PATIENT_CONSENT');
    expect(view.travelRadiusMiles).toBe(50);
    const reviewed = lastEventOf(view, 'clinical_review_suitable');
    expect(reviewed.actor).toEqual({ sub: 'clin-rlq', role: 'clinician', ods: 'RLQ' });
    expect(reviewed.detail).toMatchObject({ decision: 'suitable', patientInitiated: { optInId: inv.id } });
    const { rows: linked } = await s.prisma.sql.query('SELECT referral_id::text AS referral_id FROM waiting_list_entry WHERE id = $1::uuid', [near.entryId]);
    expect(linked).toEqual([{ referral_id: referralId }]);

    // The patient is told (the offer message) and accepts the offer at Stratford.
    await waitUntil(() => s.prisma.notification.findFirst({ where: { referralId, event: 'offer' } }), 'the offer notification');
    const patient = await token({ role: 'patient', nhsNumber: near.nhs });
    const offered = await getReferral(s, patient, referralId);
    const offer = offered.offers.find((o: { siteOds: string }) => o.siteOds === 'RJC08');
    expect(offer).toBeDefined();
    const consent = await s.http.post(`/v1/referrals/${referralId}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id });
    expect(consent.status).toBe(200);
    await waitForStatus(s, c.clinRLQ, referralId, 'AWAITING_RECEIVER_ACCEPTANCE');
  });

  it('puts an opt-in with no capacity within its radius on the no-capacity list and its CSV, and opens no referral', async () => {
    const inv = (await invitationOf(far.entryId))[0];
    await answerOnPage(inv.id, { answer: 'opted_in', radius: '50' });
    const review = await s.http.post(`/v1/pidmas/opt-ins/${inv.id}/review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
    expect(review.status).toBe(200);
    expect(review.body).toEqual({ id: inv.id, review: 'no_capacity', reasonCode: null, referralId: null });
    const { rows } = await s.prisma.sql.query('SELECT referral_id FROM waiting_list_entry WHERE id = $1::uuid', [far.entryId]);
    expect(rows).toEqual([{ referral_id: null }]);

    const list = await s.http.get('/v1/pidmas/opt-ins?list=no_capacity').set(bearer(c.clerkRLQ));
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(inv.id);

    const csv = await s.http.get('/v1/pidmas/opt-ins/no-capacity.csv').set(bearer(c.clerkRLQ));
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...lines] = csv.text.trim().split('\r\n');
    expect(header).toBe(
      'nhs_number,family_name,given_name,date_of_birth,postcode,origin_ods,pathway_id,specialty_code,procedure_code,priority,rtt_clock_start,weeks_waited,travel_radius,opted_in_on,found_suitable_on',
    );
    const line = lines.find((l) => l.startsWith(far.nhs))!;
    expect(line.split(',')).toEqual(expect.arrayContaining([far.nhs, '1960-05-05', 'LD1 5PQ', 'RLQ', SPECIALTY, 'W371', '70', '50 miles', isoDay(0)]));
    // Another trust's list does not hold it.
    expect((await s.http.get('/v1/pidmas/opt-ins/no-capacity.csv').set(bearer(c.clerkRJC))).text).not.toContain(far.nhs);
  });

  it('records "not suitable" only with a reason code, and a patient who says no is not on the worklist', async () => {
    const p = await entry({ weeks: 66, contact: { phone: '07700900125' } });
    const q = await entry({ weeks: 67, contact: { phone: '07700900126' } });
    await invite();
    const [pi] = [(await sent(p.entryId)).id];
    const qi = (await sent(q.entryId)).id;
    await answerOnPage(pi, { answer: 'opted_in', radius: 'anywhere' });
    await answerOnPage(qi, { answer: 'declined' });
    const list = await s.http.get('/v1/pidmas/opt-ins').set(bearer(c.clinRLQ));
    const ids = list.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(pi);
    expect(ids).not.toContain(qi);
    expect(list.body.items.find((i: { id: string }) => i.id === pi).travelRadiusMiles).toBeNull();

    const missing = await s.http.post(`/v1/pidmas/opt-ins/${pi}/review`).set(bearer(c.clinRLQ)).send({ decision: 'not_suitable' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ statusCode: 422, details: [{ field: 'reasonCode' }] });
    const ok = await s.http
      .post(`/v1/pidmas/opt-ins/${pi}/review`)
      .set(bearer(c.clinRLQ))
      .send({ decision: 'not_suitable', reasonCode: 'CARING_RESPONSIBILITIES' });
    expect(ok.body).toEqual({ id: pi, review: 'not_suitable', reasonCode: 'CARING_RESPONSIBILITIES', referralId: null });
    expect((await s.http.get('/v1/pidmas/opt-ins').set(bearer(c.clinRLQ))).body.items.map((i: { id: string }) => i.id)).not.toContain(pi);
  });

  it('puts an opt-in whose referral screening closes for want of group capacity alone on the no-capacity list and its CSV; another reason does not', async () => {
    const lone = await entry({ weeks: 68, contact: { phone: '07700900127' } });
    const tertiary = await entry({ weeks: 69, contact: { phone: '07700900128' } });
    await invite();
    const li = (await sent(lone.entryId)).id;
    const ti = (await sent(tertiary.entryId)).id;
    await answerOnPage(li, { answer: 'opted_in', radius: 'anywhere' });
    await answerOnPage(ti, { answer: 'opted_in', radius: 'anywhere' });

    // Without the worker, screening waits in the outbox: the check finds capacity, then it is taken.
    await s.worker?.close();
    const check = async (id: string) => {
      const res = await s.http.post(`/v1/pidmas/opt-ins/${id}/review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
      expect(res.body).toMatchObject({ id, review: 'suitable' });
      return res.body.referralId as string;
    };
    const loneReferral = await check(li);
    const tertiaryReferral = await check(ti);
    await s.prisma.sql.query('UPDATE referral SET tertiary = true WHERE id = $1::uuid', [tertiaryReferral]);
    // Every free slot of the specialty in the group taken, in one transaction (the old counts kept to put back).
    const taken = await s.prisma.sqlTransaction(async (tx) => {
      const { rows } = await tx.query<{ service_id: string; week_start: Date; used: number }>(
        `WITH before AS (SELECT service_id, week_start, used FROM capacity_week WHERE specialty_code = $1 AND used < slots FOR UPDATE)
         UPDATE capacity_week cw SET used = cw.slots FROM before b WHERE cw.service_id = b.service_id AND cw.week_start = b.week_start
         RETURNING b.service_id::text AS service_id, b.week_start, b.used`,
        [SPECIALTY],
      );
      return rows;
    });
    expect(taken.length).toBeGreaterThan(0);
    try {
      await s.startWorker();
      const closed = await waitForStatus(s, c.clinRLQ, loneReferral, 'NOT_ELIGIBLE');
      expect(lastEventOf(closed, 'screening_failed').detail!.reasons.map((r: { code: string }) => r.code)).toEqual(['NO_GROUP_CAPACITY']);
      const other = await waitForStatus(s, c.clinRLQ, tertiaryReferral, 'NOT_ELIGIBLE');
      expect(lastEventOf(other, 'screening_failed').detail!.reasons.map((r: { code: string }) => r.code)).toEqual(['TERTIARY_CARE', 'NO_GROUP_CAPACITY']);

      // The same transaction as the screening result: once the referral is closed, the opt-in is listed, with its closed referral.
      const list = await s.http.get('/v1/pidmas/opt-ins?list=no_capacity').set(bearer(c.clerkRLQ));
      expect(list.body.items.find((i: { id: string }) => i.id === li)).toMatchObject({ review: 'no_capacity', referralId: loneReferral, nhsNumber: lone.nhs });
      expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(ti);
      const csv = await s.http.get('/v1/pidmas/opt-ins/no-capacity.csv').set(bearer(c.clerkRLQ));
      expect(csv.text).toContain(`${lone.nhs},Testpatient,Alex,1960-05-05`);
      expect(csv.text).not.toContain(tertiary.nhs);
      const cohorts = await s.http.get('/v1/pidmas/cohorts').set(bearer(c.clinRLQ));
      const { rows: counted } = await s.prisma.sql.query<{ cohort_id: string }>(
        'SELECT cohort_id::text AS cohort_id FROM pidmas_invitation WHERE id = $1::uuid',
        [li],
      );
      const cohort = cohorts.body.find((x: { id: string }) => x.id === counted[0].cohort_id);
      const { rows: n } = await s.prisma.sql.query<{ referred: number; no_capacity: number }>(
        `SELECT count(*) FILTER (WHERE review = 'suitable')::int AS referred, count(*) FILTER (WHERE review = 'no_capacity')::int AS no_capacity
         FROM pidmas_invitation WHERE cohort_id = $1::uuid`,
        [counted[0].cohort_id],
      );
      // Counted once: no longer among the referred.
      expect(cohort).toMatchObject({ referred: n[0].referred, noCapacity: n[0].no_capacity });
    } finally {
      for (const t of taken)
        await s.prisma.sql.query('UPDATE capacity_week SET used = $3 WHERE service_id = $1::uuid AND week_start = $2', [t.service_id, t.week_start, t.used]);
    }
  });
});
