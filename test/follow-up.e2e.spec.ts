// The pathway after treatment through the HTTP API: the follow-up kept, handed back (with the
// referring trust's acceptance, or its refusal) and a virtual ward, each ending in discharge to the GP.
import { describe, expect, it } from '@jest/globals';
import { bearer, drained, driveTo, getReferral, lastEventOf, useStack, waitUntil, type Cast, type Stack } from './support/stack.js';

const { s, c } = useStack();

const discharge = (t: string, id: string) =>
  s.http.post(`/v1/referrals/${id}/discharge`).set(bearer(t)).send({ dischargedAt: new Date().toISOString(), summary: 'Follow-up complete; recovered well.' });

/** The patient's messages, once every one made has been sent (events only: the words are the templates'). */
async function messages(st: Stack, patient: string, id: string): Promise<string[]> {
  await drained(st);
  const res = await st.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient)).expect(200);
  return res.body.items.map((i: { event: string }) => i.event);
}

/** The text of the patient's latest message for `event` (the local channel keeps it). */
async function messageText(st: Stack, referralId: string, event: string) {
  await drained(st);
  const { rows } = await st.prisma.sql.query<{ body: string }>(
    `SELECT m.body FROM local_message_text m JOIN notification n ON n.id = m.notification_id
      WHERE n.referral_id = $1::uuid AND n.event = $2 ORDER BY m.seq DESC LIMIT 1`,
    [referralId, event],
  );
  if (!rows[0]) throw new Error(`no ${event} message for ${referralId}`);
  return rows[0].body;
}

/** The discharge summary is dispatched to the GP practice (as a discharge straight from treatment is). */
async function summarySentToGp(st: Stack, id: string) {
  return waitUntil(() => st.prisma.dispatch.findFirst({ where: { referralId: id, kind: 'DISCHARGE_SUMMARY' } }), 'the discharge summary');
}

async function treatedWith(cast: Cast, plan: string) {
  const ref = await driveTo(s, cast, 'BOOKED');
  const res = await s.http
    .post(`/v1/referrals/${ref.id}/treatment`)
    .set(bearer(cast.clinRJC))
    .send({ performedAt: new Date().toISOString(), procedureCode: 'W371', followUp: plan });
  return { ref, res };
}

describe('the follow-up decided at treatment', () => {
  it('kept at the receiving trust: outside RTT with the clock stopped, the patient told, then discharged by the receiving clinician', async () => {
    const { ref, res } = await treatedWith(c, 'keep');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'FOLLOW_UP', rttPhase: 'stopped', followUp: { plan: 'keep', heldBy: 'RJC', status: 'FOLLOW_UP', rtt: false } });
    expect(res.body.rttClockStop).toBe(new Date().toISOString().slice(0, 10));
    expect(lastEventOf(res.body, 'treatment_recorded').detail).toMatchObject({ rttStatus: '30' });
    expect(lastEventOf(res.body, 'follow_up_kept')).toMatchObject({ fromStatus: 'TREATED', toStatus: 'FOLLOW_UP', detail: { plan: 'keep' } });
    // The weeks waited stopped with the clock: the follow-up does not add to them.
    const weeks = res.body.weeksWaited;

    // The referring trust does not end a follow-up the receiving trust holds.
    expect((await discharge(c.clinRLQ, ref.id)).status).toBe(403);
    const done = await discharge(c.clinRJC, ref.id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'DISCHARGED', followUp: null, rttPhase: 'stopped', weeksWaited: weeks });
    expect(lastEventOf(done.body, 'discharged')).toMatchObject({ fromStatus: 'FOLLOW_UP', detail: { followUpEnded: 'follow-up at the receiving trust' } });
    expect(await summarySentToGp(s, ref.id)).toMatchObject({ recipientOds: 'M81001' });
    const events = await messages(s, ref.patient, ref.id);
    // Treatment and its follow-up are one step: their two messages are made together, in either order.
    expect(events.slice(-3, -1).sort()).toEqual(['follow_up_kept', 'treatment_recorded']);
    expect(events.at(-1)).toBe('discharged');
  });

  it("handed back: the referring trust's clinician accepts, the patient is told, and the referring trust discharges", async () => {
    const ref = await driveTo(s, c, 'TREATED');
    // Only the receiving clinician decides the follow-up.
    expect((await s.http.post(`/v1/referrals/${ref.id}/follow-up`).set(bearer(c.clinRLQ)).send({ plan: 'hand_back' })).status).toBe(403);
    const bad = await s.http.post(`/v1/referrals/${ref.id}/follow-up`).set(bearer(c.clinRJC)).send({ plan: 'somewhere' });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('plan');

    const handed = await s.http.post(`/v1/referrals/${ref.id}/follow-up`).set(bearer(c.clinRJC)).send({ plan: 'hand_back', note: 'Wound check at 6 weeks.' });
    expect(handed.status).toBe(200);
    expect(handed.body).toMatchObject({ status: 'AWAITING_ORIGIN_ACCEPTANCE', followUp: { plan: 'hand_back', heldBy: 'RJC', rtt: false } });
    expect(lastEventOf(handed.body, 'follow_up_handed_back').detail).toMatchObject({ handedBackTo: 'RLQ' });
    // Nothing is discharged while the handback waits, and only the referring trust decides on it.
    expect((await discharge(c.clinRJC, ref.id)).status).toBe(409);
    expect((await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' })).status).toBe(403);
    expect((await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clerkRLQ)).send({ decision: 'accept' })).status).toBe(403);

    const accepted = await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clinRLQ)).send({ decision: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'ORIGIN_FOLLOW_UP', followUp: { plan: 'hand_back', heldBy: 'RLQ', rtt: false } });
    expect(lastEventOf(accepted.body, 'handback_accepted')).toMatchObject({ fromStatus: 'AWAITING_ORIGIN_ACCEPTANCE', detail: { followUpBy: 'RLQ' } });
    expect((await messages(s, ref.patient, ref.id)).at(-1)).toBe('handback_accepted');

    // The referring trust holds the follow-up now: the receiving trust no longer discharges.
    expect((await discharge(c.clinRJC, ref.id)).status).toBe(403);
    const done = await discharge(c.clinRLQ, ref.id);
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('DISCHARGED');
    expect(lastEventOf(done.body, 'discharged')).toMatchObject({ actor: { ods: 'RLQ' }, detail: { dischargedBy: 'RLQ' } });
    await summarySentToGp(s, ref.id);
    expect((await messages(s, ref.patient, ref.id)).at(-1)).toBe('discharged');
    // The patient is told the trust that discharged them: the referring trust, which held the follow-up.
    const told = await messageText(s, ref.id, 'discharged');
    expect(told).toContain('Wye Valley NHS Trust has discharged you');
    expect(told).not.toContain('South Warwickshire');
  });

  it('a handback refused with a reason stays with the receiving trust, which discharges', async () => {
    const { ref } = await treatedWith(c, 'hand_back');
    const noReason = await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clinRLQ)).send({ decision: 'refuse' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.details[0].field).toBe('reasonCode');
    const unknown = await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clinRLQ)).send({ decision: 'refuse', reasonCode: 'NOPE' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].field).toBe('reasonCode');

    const refused = await s.http
      .post(`/v1/referrals/${ref.id}/handback-decision`)
      .set(bearer(c.clinRLQ))
      .send({ decision: 'refuse', reasonCode: 'NO_FOLLOW_UP_SERVICE' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ status: 'FOLLOW_UP', followUp: { plan: 'keep', heldBy: 'RJC' } });
    expect(lastEventOf(refused.body, 'handback_refused').detail).toMatchObject({ reasonCode: 'NO_FOLLOW_UP_SERVICE', followUpBy: 'RJC' });
    expect((await messages(s, ref.patient, ref.id)).at(-1)).toBe('handback_refused');
    expect((await discharge(c.clinRJC, ref.id)).body.status).toBe('DISCHARGED');
  });

  it('a virtual ward at home, ended by the receiving clinician with the discharge', async () => {
    const { ref, res } = await treatedWith(c, 'virtual_ward');
    expect(res.body).toMatchObject({ status: 'VIRTUAL_WARD', followUp: { plan: 'virtual_ward', heldBy: 'RJC', rtt: false } });
    expect((await messages(s, ref.patient, ref.id)).slice(-2).sort()).toEqual(['treatment_recorded', 'virtual_ward_admitted']);
    // A plan is decided once: the referral is no longer TREATED.
    const again = await s.http.post(`/v1/referrals/${ref.id}/follow-up`).set(bearer(c.clinRJC)).send({ plan: 'keep' });
    expect(again.status).toBe(409);
    expect(again.body.currentStatus).toBe('VIRTUAL_WARD');
    const done = await discharge(c.clinRJC, ref.id);
    expect(done.body.status).toBe('DISCHARGED');
    expect(lastEventOf(done.body, 'discharged').detail).toMatchObject({ followUpEnded: 'virtual ward' });
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['treatment_recorded', 'virtual_ward_admitted', 'discharged']));
  });
});
