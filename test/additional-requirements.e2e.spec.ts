// The patient's additional requirements through the API: recorded by the trust that holds the
// patient's care, read by both parties' staff and the additional requirements manager (who gets
// nothing clinical), carried with the transfer of care, hidden from other trusts, never logged.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, drained, driveTo, getReferral, isoDay, LogCapture, token, useStack } from './support/stack.js';

const logs = new LogCapture();
const { s, c } = useStack({ logs });

const NEEDS = {
  transportNeeded: true,
  patientTransportEligibility: 'yes',
  interpreterLanguage: 'pol',
  informationFormats: ['large_print', 'easy_read'],
  contactMethod: 'text_message',
  escort: true,
  mobility: ['wheelchair_user'],
  learningDisabilityAdjustments: '  Quiet waiting area; first appointment of the day.  ',
  other: 'Guide dog Zebedee comes too.',
};
const path = (id: string) => `/v1/referrals/${id}/additional-requirements`;

let managerRLQ: string;
let managerRLT: string;
beforeAll(async () => {
  managerRLQ = await token({ role: 'additional_requirements_manager', ods: 'RLQ', sub: 'arm-rlq' });
  managerRLT = await token({ role: 'additional_requirements_manager', ods: 'RLT', sub: 'arm-rlt' });
});

describe('additional requirements', () => {
  it('the referring clerk records them; the receiving team sees them on its worklist and the referral; they travel with the transfer of care', async () => {
    // A wait no other suite's referral has, so the worklist can be filtered down to it.
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { rttClockStart: isoDay(-420 * 7) });
    const put = await s.http.put(path(ref.id)).set(bearer(c.clerkRLQ)).set('X-Request-Id', `needs-${ref.id}`).send(NEEDS);
    expect(put.status).toBe(200);
    expect(put.body.additionalRequirements).toMatchObject({
      ...NEEDS,
      learningDisabilityAdjustments: 'Quiet waiting area; first appointment of the day.',
      summary: [
        'Interpreter: Polish',
        'Transport (PTS eligible)',
        'Wheelchair user',
        'Carer or escort',
        'Large print',
        'Easy read',
        'Contact: Text message',
        'Reasonable adjustments',
        'Other needs',
      ],
      recordedBy: { role: 'booking_clerk', ods: 'RLQ' },
    });

    // The timeline names the fields changed, never their values; the audit trail has the write.
    const view = await getReferral(s, c.clerkRLQ, ref.id);
    const event = view.timeline.find((e: { type: string }) => e.type === 'additional_requirements_updated');
    expect(event.detail.fields).toEqual(expect.arrayContaining(['transportNeeded', 'interpreterLanguage', 'other']));
    expect(JSON.stringify(view.timeline)).not.toMatch(/pol|Zebedee|wheelchair|Quiet/);
    const audit = await s.prisma.auditEvent.findMany({ where: { referralId: ref.id, action: 'additional-requirements.write' } });
    expect(audit.map((a) => a.outcome)).toEqual([200]);

    // Before the transfer of care the receiving trust is not yet a party: it neither reads nor writes.
    expect((await s.http.get(path(ref.id)).set(bearer(c.clerkRJC))).status).toBe(404);

    // The patient accepts RJC's offer: the transfer data set carries the requirements.
    await drained(s);
    const offer = view.offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
    const patient = await token({ role: 'patient', nhsNumber: ref.nhs });
    expect((await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id })).status).toBe(200);
    await drained(s);
    const dispatch = await s.prisma.dispatch.findFirst({ where: { referralId: ref.id, kind: 'TRANSFER' } });
    expect(dispatch?.payload).toMatchObject({ receivingOds: 'RJC', additionalRequirements: { ...NEEDS, learningDisabilityAdjustments: expect.any(String) } });

    // The receiving trust reads them but may not change them until it accepts the transfer of care.
    expect((await s.http.get(path(ref.id)).set(bearer(c.clerkRJC))).body.additionalRequirements.interpreterLanguage).toBe('pol');
    const early = await s.http.put(path(ref.id)).set(bearer(c.clerkRJC)).send(NEEDS);
    expect(early.status).toBe(403);
    expect(early.body.message).toMatch(/referring trust \(RLQ\)/);

    expect((await s.http.post(`/v1/referrals/${ref.id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' })).status).toBe(200);
    const toBook = await s.http.get('/v1/referrals?worklist=to-book&minWeeksWaited=415&limit=100').set(bearer(c.clerkRJC));
    expect(toBook.status).toBe(200);
    const row = toBook.body.items.find((r: { id: string }) => r.id === ref.id);
    expect(row.additionalRequirements).toEqual(expect.arrayContaining(['Interpreter: Polish', 'Transport (PTS eligible)', 'Wheelchair user']));
    const received = await getReferral(s, c.clerkRJC, ref.id);
    expect(received.additionalRequirements).toMatchObject({ interpreterLanguage: 'pol', escort: true, mobility: ['wheelchair_user'] });

    // Now RJC holds the patient's care: its clerk changes them, RLQ's may not.
    const changed = await s.http
      .put(path(ref.id))
      .set(bearer(c.clerkRJC))
      .send({ ...NEEDS, interpreterLanguage: 'bfi', other: null });
    expect(changed.status).toBe(200);
    expect(changed.body.additionalRequirements).toMatchObject({ interpreterLanguage: 'bfi', other: null, recordedBy: { role: 'booking_clerk', ods: 'RJC' } });
    expect(changed.body.additionalRequirements.summary[0]).toBe('BSL interpreter');
    expect((await s.http.put(path(ref.id)).set(bearer(c.clerkRLQ)).send(NEEDS)).status).toBe(403);

    // A trust that is no party: it does not exist for them.
    expect((await s.http.get(path(ref.id)).set(bearer(c.clerkRLT))).status).toBe(404);
    expect((await s.http.put(path(ref.id)).set(bearer(c.clinRLT)).send(NEEDS)).status).toBe(404);
    expect((await s.http.get(path(ref.id)).set(bearer(managerRLT))).status).toBe(404);

    // Patient data never reaches the log.
    const logged = JSON.stringify(logs.lines);
    expect(logged).toContain(ref.id);
    expect(logged).not.toMatch(/Zebedee|Quiet waiting area/);
  });

  it('a worklist row without requirements has an empty summary, and the referral view says none were recorded', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { rttClockStart: isoDay(-420 * 7) });
    const page = await s.http.get('/v1/referrals?worklist=clinical-review&minWeeksWaited=415&limit=100').set(bearer(c.clinRLQ));
    expect(page.body.items.find((r: { id: string }) => r.id === ref.id).additionalRequirements).toEqual([]);
    expect((await getReferral(s, c.clinRLQ, ref.id)).additionalRequirements).toBeNull();
    expect((await s.http.get(path(ref.id)).set(bearer(c.clinRLQ))).body.additionalRequirements).toBeNull();
  });

  it('the additional requirements manager reads who the patient is and their needs, updates them, and gets nothing clinical', async () => {
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    const got = await s.http.get(path(ref.id)).set(bearer(managerRLQ));
    expect(got.status).toBe(200);
    expect(Object.keys(got.body).sort()).toEqual(
      ['additionalRequirements', 'originOds', 'pathwayId', 'patient', 'receivingOds', 'referralId', 'status', 'statusDescription'].sort(),
    );
    expect(got.body.patient).toEqual({ nhsNumber: ref.nhs, familyName: 'Testpatient', givenName: 'Alex', dateOfBirth: '1960-05-05' });

    const put = await s.http
      .put(path(ref.id))
      .set(bearer(managerRLQ))
      .send({ interpreterLanguage: 'bfi', informationFormats: ['braille'] });
    expect(put.status).toBe(200);
    expect(put.body.additionalRequirements).toMatchObject({
      interpreterLanguage: 'bfi',
      informationFormats: ['braille'],
      transportNeeded: false,
      recordedBy: { role: 'additional_requirements_manager', ods: 'RLQ' },
    });

    // Nothing else: not the referral (offers, timeline, notes), not the worklists, not what the patient was sent.
    for (const [method, url] of [
      ['get', `/v1/referrals/${ref.id}`],
      ['get', '/v1/referrals'],
      ['get', `/v1/referrals/${ref.id}/notifications`],
      ['get', '/v1/long-waiters'],
      ['post', `/v1/referrals/${ref.id}/withdraw`],
    ] as const) {
      const res = await s.http[method](url).set(bearer(managerRLQ)).send({});
      expect({ url, status: res.status }).toEqual({ url, status: 403 });
    }
  });

  it('bad input names each field; a closed referral is not changed', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const bad = await s.http
      .put(path(ref.id))
      .set(bearer(c.clerkRLQ))
      .send({
        transportNeeded: 'yes',
        patientTransportEligibility: 'maybe',
        interpreterLanguage: 'klingon',
        informationFormats: ['large_print', 'smoke signals'],
        contactMethod: 'pigeon',
        mobility: 'wheelchair_user',
        other: 'x'.repeat(501),
        colour: 'blue',
      });
    expect(bad.status).toBe(400);
    const fields = bad.body.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(
      ['colour', 'contactMethod', 'informationFormats', 'interpreterLanguage', 'mobility', 'other', 'patientTransportEligibility', 'transportNeeded'].sort(),
    );
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect((await s.http.put(path('not-a-uuid')).set(bearer(c.clerkRLQ)).send({})).status).toBe(400);

    const cancelled = await s.http.post(`/v1/referrals/${ref.id}/cancel`).set(bearer(c.clerkRLQ)).send({ reason: 'Duplicate referral' });
    expect(cancelled.status).toBe(200);
    const closed = await s.http.put(path(ref.id)).set(bearer(c.clerkRLQ)).send({ escort: true });
    expect(closed.status).toBe(409);
    expect(closed.body).toMatchObject({ currentStatus: 'CANCELLED', message: expect.stringMatching(/closed/) });
  });
});
