// Capacity per site and week (#5): declared per site with per-week overrides, a slot taken when the
// patient accepts an offer and given back when the referral leaves the path before treatment; the
// last slot goes to one of two concurrent accepts; offers nearest first within the travel radius;
// when capacity is short, the longest waiter first. Each test uses its own specialty code.
import { describe, expect, it } from '@jest/globals';
import { firstOfferWeek, mondayOf, siteStanding } from '#workflow';
import { bearer, driveTo, getReferral, isoDay, openReferral, token, useStack, waitForStatus, waitUntil } from './support/stack.js';
import { nextMonday, plusDays } from './support/capacity.js';

const { s, c } = useStack();

async function declare(ods: 'RJC' | 'RLT', specialty: string, body: Record<string, unknown>) {
  const admin = ods === 'RJC' ? c.adminRJC : await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
  const res = await s.http.put(`/v1/capacity/${ods}/${specialty}`).set(bearer(admin)).send(body);
  expect(res.status).toBe(200);
  return res.body;
}

/** The week of `siteOds` for the specialty, as GET /v1/capacity shows it. */
async function week(specialty: string, siteOds: string, weekStart = nextMonday()) {
  const res = await s.http.get(`/v1/capacity?specialty=${specialty}`).set(bearer(c.clinRLQ));
  expect(res.status).toBe(200);
  const item = res.body.items.find((i: { siteOds: string }) => i.siteOds === siteOds);
  return item?.weeks.find((w: { weekStart: string }) => w.weekStart === weekStart) as { slots: number; used: number; free: number } | undefined;
}

/** One week of `slots` at RJC02 (the main site) from next Monday. */
const oneWeek = (slots: number) => ({ weeklySlots: slots, fromDate: nextMonday(), toDate: plusDays(nextMonday(), 6) });

function accept(id: string, patient: string, offerId: string) {
  return s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId });
}
async function openOffer(id: string, siteOds = 'RJC02') {
  const r = await getReferral(s, c.clinRLQ, id);
  return r.offers.find((o: { siteOds: string; status: string }) => o.siteOds === siteOds && o.status === 'OPEN') as { id: string } | undefined;
}

describe('declaring capacity per site and week', () => {
  it('keeps several sites of a trust apart, with per-week overrides, and shows slots, used and free per week', async () => {
    const from = nextMonday();
    const main = await declare('RJC', '301', { weeklySlots: 4, fromDate: from, toDate: plusDays(from, 20) });
    expect(main).toMatchObject({ ods: 'RJC', specialtyCode: '301', siteOds: 'RJC02', weeklySlots: 4 });
    const other = await declare('RJC', '301', {
      weeklySlots: 3,
      fromDate: from,
      toDate: plusDays(from, 13),
      siteOds: 'RJC08',
      weeks: [{ weekStart: plusDays(from, 7), slots: 1 }],
    });
    expect(other.weeks).toEqual([
      { weekStart: from, slots: 3, used: 0, free: 3 },
      { weekStart: plusDays(from, 7), slots: 1, used: 0, free: 1 },
    ]);
    const list = await s.http.get('/v1/capacity?specialty=301').set(bearer(c.clerkRLQ));
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { siteOds: string }) => i.siteOds)).toEqual(['RJC02', 'RJC08']);
    expect(list.body.items[0].weeks).toHaveLength(3);
    expect(list.body.items[0].totals).toEqual({ slots: 12, used: 0, free: 12 });
    // Re-declaring a shorter range leaves the weeks it no longer covers with no slots.
    const shorter = await declare('RJC', '301', { weeklySlots: 4, fromDate: from, toDate: plusDays(from, 6) });
    expect(shorter.weeks.map((w: { slots: number }) => w.slots)).toEqual([4, 0, 0]);
  });

  it('refuses a site of another trust, a week that is not a Monday, a bad body and the wrong caller', async () => {
    const from = nextMonday();
    const site = await s.http.put('/v1/capacity/RJC/301').set(bearer(c.adminRJC)).send({ weeklySlots: 1, fromDate: from, toDate: from, siteOds: 'RLT01' });
    expect(site.status).toBe(422);
    expect(site.body.details[0].field).toBe('siteOds');
    const tuesday = await s.http
      .put('/v1/capacity/RJC/301')
      .set(bearer(c.adminRJC))
      .send({ weeklySlots: 1, fromDate: from, toDate: plusDays(from, 6), weeks: [{ weekStart: plusDays(from, 1), slots: 2 }] });
    expect(tuesday.status).toBe(422);
    expect(tuesday.body.details[0].field).toBe('weeks[0].weekStart');
    const bad = await s.http.put('/v1/capacity/RJC/301').set(bearer(c.adminRJC)).send({ weeklySlots: 'many', fromDate: from, toDate: from });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.details)).toContain('weeklySlots');
    const badWeek = await s.http
      .put('/v1/capacity/RJC/301')
      .set(bearer(c.adminRJC))
      .send({ weeklySlots: 1, fromDate: from, toDate: from, weeks: [{ weekStart: from, slots: -1 }] });
    expect(badWeek.status).toBe(400);
    expect(JSON.stringify(badWeek.body.details)).toContain('slots');
    expect((await s.http.put('/v1/capacity/RJC/301').set(bearer(c.clinRJC)).send(oneWeek(1))).status).toBe(403);
    expect((await s.http.put('/v1/capacity/RJC/301').set(bearer(c.adminRLQ)).send(oneWeek(1))).status).toBe(403);
  });
});

describe('slots taken and given back', () => {
  it('accepting takes one slot; withdrawing gives it back', async () => {
    await declare('RJC', '302', oneWeek(2));
    const r = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { specialtyCode: '302' });
    expect(await week('302', 'RJC02')).toEqual(expect.objectContaining({ slots: 2, used: 1, free: 1 }));
    const res = await s.http.post(`/v1/referrals/${r.id}/withdraw`).set(bearer(r.patient)).send({ reason: 'changed my mind' });
    expect(res.status).toBe(200);
    expect(await week('302', 'RJC02')).toEqual(expect.objectContaining({ used: 0, free: 2 }));
    const { rows } = await s.prisma.sql.query('SELECT released_reason FROM capacity_claim WHERE referral_id = $1::uuid', [r.id]);
    expect(rows).toEqual([{ released_reason: 'withdrawn' }]);
  });

  it('the receiver rejecting, or a cancellation after booking, gives the slot back; declining never held one', async () => {
    await declare('RJC', '303', oneWeek(3));
    const rejected = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { specialtyCode: '303' });
    const booked = await driveTo(s, c, 'BOOKED', { specialtyCode: '303' });
    expect(await week('303', 'RJC02')).toEqual(expect.objectContaining({ used: 2, free: 1 }));
    const rej = await s.http
      .post(`/v1/referrals/${rejected.id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_THEATRE' });
    expect(rej.status).toBe(200);
    expect(await week('303', 'RJC02')).toEqual(expect.objectContaining({ used: 1, free: 2 }));
    const can = await s.http.post(`/v1/referrals/${booked.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'patient moved away' });
    expect(can.status).toBe(200);
    expect(await week('303', 'RJC02')).toEqual(expect.objectContaining({ used: 0, free: 3 }));
    const declined = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '303' });
    const dec = await s.http.post(`/v1/referrals/${declined.id}/consent`).set(bearer(declined.patient)).send({ decision: 'decline' });
    expect(dec.status).toBe(200);
    expect(await week('303', 'RJC02')).toEqual(expect.objectContaining({ used: 0, free: 3 }));
  });

  it('two concurrent accepts for the last slot: one wins, the other is refused and keeps its offer', async () => {
    await declare('RJC', '304', oneWeek(1));
    // Equal wait and priority: an equal claim, so both are offered the one slot.
    const same = { specialtyCode: '304', rttClockStart: isoDay(-60 * 7), priority: 'P3' };
    const a = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', same);
    const b = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', same);
    const [offerA, offerB] = [await openOffer(a.id), await openOffer(b.id)];
    expect(offerA && offerB).toBeTruthy();
    const answers = await Promise.all([accept(a.id, a.patient, offerA!.id), accept(b.id, b.patient, offerB!.id)]);
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 422]);
    const loser = answers.find((r) => r.status === 422)!;
    expect(loser.body).toMatchObject({ reason: 'NO_CAPACITY_LEFT', details: [{ field: 'offerId' }] });
    expect(loser.body.message).toMatch(/No slot is left at RJC02/);
    expect(await week('304', 'RJC02')).toEqual(expect.objectContaining({ slots: 1, used: 1, free: 0 }));
    const loserId = answers[0].status === 422 ? a.id : b.id;
    expect((await getReferral(s, c.clinRLQ, loserId)).status).toBe('AWAITING_PATIENT_CONSENT');
  });
});

describe('offers', () => {
  it('come from every site with free capacity, nearest first, within the travel radius once given', async () => {
    const from = nextMonday();
    const body = { weeklySlots: 5, fromDate: from, toDate: plusDays(from, 13) };
    await declare('RJC', '305', body);
    await declare('RJC', '305', { ...body, siteOds: 'RJC08' });
    await declare('RLT', '305', body);
    // HR1 (Hereford): Stratford ~43 miles, Warwick ~50, Nuneaton ~58.
    const r = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { specialtyCode: '305' });
    const offers = (await getReferral(s, c.clinRLQ, r.id)).offers as Array<{ siteOds: string; distanceMiles: number; earliestWeek: string; status: string }>;
    const open = offers.filter((o) => o.status === 'OPEN').sort((x, y) => x.distanceMiles - y.distanceMiles);
    expect(open.map((o) => o.siteOds)).toEqual(['RJC08', 'RJC02', 'RLT01']);
    expect(open[0].distanceMiles).toBeLessThan(open[1].distanceMiles);
    expect(open.every((o) => o.earliestWeek === from)).toBe(true);

    // The patient gives a radius of 52 miles: the next offers leave Nuneaton out.
    const within = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { specialtyCode: '305' });
    await s.prisma.sql.query('UPDATE referral SET travel_radius_miles = 52 WHERE id = $1::uuid', [within.id]);
    expect((await s.http.post(`/v1/referrals/${within.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const after = (await getReferral(s, c.clinRLQ, within.id)).offers as Array<{ siteOds: string; status: string }>;
    expect(
      after
        .filter((o) => o.status === 'OPEN')
        .map((o) => o.siteOds)
        .sort(),
    ).toEqual(['RJC02', 'RJC08']);
  });

  it('short capacity: the longest waiter is served first, and a shorter waiter gets no offer of slots held for longer waiters', async () => {
    await declare('RJC', '306', oneWeek(1));
    const shorter = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '306', rttClockStart: isoDay(-60 * 7) });
    const longer = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '306', rttClockStart: isoDay(-80 * 7) });
    // The shorter waiter's offer was made first, but the one slot is held for the longer waiter.
    const held = await accept(shorter.id, shorter.patient, (await openOffer(shorter.id))!.id);
    expect(held.status).toBe(422);
    expect(held.body).toMatchObject({ reason: 'CAPACITY_HELD_FOR_LONGER_WAITERS' });
    // A third referral, waiting less than both, is not offered RJC02 at all.
    const third = await openReferral(s, c, { specialtyCode: '306', rttClockStart: isoDay(-55 * 7) });
    await waitForStatus(s, c.clinRLQ, third.id, 'AWAITING_CLINICAL_REVIEW');
    expect(await openOffer(third.id)).toBeUndefined();
    // The longer waiter takes the slot; then none is left for the shorter one.
    expect((await accept(longer.id, longer.patient, (await openOffer(longer.id))!.id)).status).toBe(200);
    const none = await accept(shorter.id, shorter.patient, (await openOffer(shorter.id))!.id);
    expect(none.status).toBe(422);
    expect(none.body).toMatchObject({ reason: 'NO_CAPACITY_LEFT' });
  });

  it('clinical priority breaks a tie in wait', async () => {
    await declare('RJC', '307', oneWeek(1));
    const start = isoDay(-60 * 7);
    const routine = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '307', rttClockStart: start, priority: 'P4' });
    const urgent = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '307', rttClockStart: start, priority: 'P2' });
    expect((await accept(routine.id, routine.patient, (await openOffer(routine.id))!.id)).body).toMatchObject({ reason: 'CAPACITY_HELD_FOR_LONGER_WAITERS' });
    expect((await accept(urgent.id, urgent.patient, (await openOffer(urgent.id))!.id)).status).toBe(200);
  });
});

describe('weeks that are over', () => {
  it('an old offer (its earliest week now in the past) takes a slot from the first week offers are made for now, not a past week', async () => {
    const past = plusDays(nextMonday(), -21);
    // One slot a week from three weeks before next Monday: the past weeks still show a free slot.
    await declare('RJC', '308', { weeklySlots: 1, fromDate: past, toDate: plusDays(nextMonday(), 6) });
    const r = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { specialtyCode: '308' });
    // The worker refreshes the offers once before telling the patient: let it, so the change below stays.
    await waitUntil(() => s.prisma.notification.findFirst({ where: { referralId: r.id, event: 'offer' } }), 'the offer notification');
    const offer = (await openOffer(r.id))!;
    // The offer was made weeks ago: its earliest week is now over.
    await s.prisma.sql.query('UPDATE offer SET earliest_week = $2::date WHERE id = $1::uuid', [offer.id, past]);
    expect((await accept(r.id, r.patient, offer.id)).status).toBe(200);
    const { rows } = await s.prisma.sql.query<{ week_start: string }>('SELECT week_start::text FROM capacity_claim WHERE referral_id = $1::uuid', [r.id]);
    expect(rows).toEqual([{ week_start: nextMonday() }]);
    const { rows: pastWeek } = await s.prisma.sql.query<{ used: number }>(
      `SELECT used FROM capacity_week WHERE specialty_code = '308' AND site_ods = 'RJC02' AND week_start = $1::date`,
      [past],
    );
    expect(pastWeek).toEqual([{ used: 0 }]);
  });

  it("a site's free slots count no week before the first week offers are made for", async () => {
    const past = plusDays(nextMonday(), -21);
    await declare('RJC', '309', { weeklySlots: 2, fromDate: past, toDate: plusDays(nextMonday(), 6) });
    const standing = await s.prisma.sqlTransaction((tx) => siteStanding(tx, '309', ['RJC02'], new Date(past + 'T00:00:00Z'), null));
    // Four weeks of 2 slots declared; only next Monday's week is still ahead.
    expect(standing.get('RJC02')).toEqual({ free: 2, ahead: 0 });
  });

  it('works out weeks on the UK calendar: Monday 00:30 BST is Monday, though it is still Sunday in UTC', () => {
    const mondayHalfPastMidnightBst = new Date('2026-06-28T23:30:00Z');
    expect(mondayOf(mondayHalfPastMidnightBst).toISOString().slice(0, 10)).toBe('2026-06-29');
    expect(firstOfferWeek(mondayHalfPastMidnightBst).toISOString().slice(0, 10)).toBe('2026-07-06');
    // A Sunday evening in winter is still that Sunday's week; a date-only value keeps its own week.
    expect(mondayOf(new Date('2026-12-06T23:30:00Z')).toISOString().slice(0, 10)).toBe('2026-11-30');
    expect(mondayOf(new Date('2026-07-05T00:00:00Z')).toISOString().slice(0, 10)).toBe('2026-06-29');
  });
});
