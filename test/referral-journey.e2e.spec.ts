// A referral walked from identification to discharge through the HTTP API, workers running.
import { describe, expect, it } from '@jest/globals';
import { bearer, drained, getReferral, openReferral, token, useStack, waitForStatus } from './support/stack.js';

const { s, c } = useStack();

describe('the whole referral, open to DISCHARGED', () => {
  it('moves through every stage, keeps the RTT clock, and tells the patient at each step', async () => {
    const { id, nhs, body } = await openReferral(s, c);
    const patient = await token({ role: 'patient', nhsNumber: nhs });

    // 1. identification -> 2. screening (a job) -> clinical review
    const screened = await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    expect(screened.weeksWaited).toBe(60);
    expect(screened.cohortBand).toBe(52);
    expect(screened.offers.length).toBeGreaterThan(0);
    expect(screened.offers[0]).toMatchObject({ receivingOds: 'RJC', siteOds: 'RJC02' });
    expect(screened.offers[0].distanceMiles).toBeGreaterThan(30);
    expect(screened.offers[0].distanceMiles).toBeLessThan(70);

    const review = await s.http
      .post(`/v1/referrals/${id}/clinical-review`)
      .set(bearer(c.clinRLQ))
      .send({ decision: 'suitable', note: 'Fit for surgery away from home.' });
    expect(review.status).toBe(200);
    expect(review.body.status).toBe('AWAITING_PATIENT_CONSENT');

    // 3. the patient sees the offer on their own list and accepts it
    await drained(s);
    const own = await s.http.get('/v1/patient/referrals').set(bearer(patient));
    expect(own.status).toBe(200);
    expect(own.body.items).toHaveLength(1);
    // What the referring trust recorded for them: no NHS number echoed, no date of birth.
    expect(own.body.items[0].patient).toEqual({
      givenName: 'Alex',
      familyName: 'Testpatient',
      address: '1 High Street, Hereford',
      postcode: 'HR1 2ER',
      phone: '07700900123',
      email: 'alex@example.com',
    });
    const offerId = own.body.items[0].offers[0].id;
    const consent = await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId, travelRadiusMiles: 80 });
    expect(consent.status).toBe(200);
    expect(consent.body).toMatchObject({ status: 'AWAITING_RECEIVER_ACCEPTANCE', receivingOds: 'RJC', travelRadiusMiles: 80 });

    // 4. transfer of care: the data set is dispatched by a job, then RJC accepts
    await drained(s);
    const dispatch = await s.prisma.dispatch.findFirst({ where: { referralId: id, kind: 'TRANSFER' } });
    expect(dispatch?.payload).toMatchObject({
      rttClockStart: body.rttClockStart,
      rttStatus: '21',
      pathwayId: body.pathwayId,
      gpPracticeOds: 'M81001',
      receivingOds: 'RJC',
    });
    const accept = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' });
    expect(accept.status).toBe(200);
    expect(accept.body.status).toBe('AWAITING_BOOKING');
    expect(accept.body.rttClockStart).toBe(body.rttClockStart);
    expect(accept.body.weeksWaited).toBe(60);

    // 5. booking: a pre-operative assessment (status unchanged), then the procedure
    const soon = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
    const preop = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'pre_op_assessment', siteOds: 'RJC08', startsAt: soon(7) });
    expect(preop.status).toBe(201);
    expect(preop.body.status).toBe('AWAITING_BOOKING');
    expect(preop.body.booking).toMatchObject({ kind: 'pre_op_assessment', siteOds: 'RJC08', status: 'BOOKED' });
    const proc = await s.http
      .post(`/v1/referrals/${id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send({ kind: 'procedure', startsAt: soon(21) });
    expect(proc.status).toBe(201);
    expect(proc.body.status).toBe('BOOKED');
    expect(proc.body.booking.siteOds).toBe('RJC02');

    // 6. treatment stops the clock
    const treated = await s.http
      .post(`/v1/referrals/${id}/treatment`)
      .set(bearer(c.clinRJC))
      .send({ performedAt: new Date().toISOString(), procedureCode: 'W371' });
    expect(treated.status).toBe(200);
    expect(treated.body.status).toBe('TREATED');
    expect(treated.body.rttClockStop).toBe(new Date().toISOString().slice(0, 10));

    // 7. discharge: the summary goes to the GP practice by a job
    const discharged = await s.http
      .post(`/v1/referrals/${id}/discharge`)
      .set(bearer(c.clinRJC))
      .send({ dischargedAt: new Date().toISOString(), summary: 'Recovered well. Physio for 6 weeks.' });
    expect(discharged.status).toBe(200);
    expect(discharged.body.status).toBe('DISCHARGED');
    await drained(s);
    const gp = await s.prisma.dispatch.findFirst({ where: { referralId: id, kind: 'DISCHARGE_SUMMARY' } });
    expect(gp).toMatchObject({ recipientOds: 'M81001', status: 'ACKNOWLEDGED' });
    expect((gp!.payload as { summary: string }).summary).toBe('Recovered well. Physio for 6 weeks.');

    // The timeline tells the whole story, oldest first, each status change once.
    const final = await getReferral(s, c.clinRJC, id);
    const types = final.timeline.map((e: { type: string }) => e.type);
    expect(types).toEqual([
      'referral_opened',
      'screening_passed',
      'clinical_review_suitable',
      'offers_made',
      'consent_accepted',
      'transfer_dispatched',
      'transfer_acknowledged',
      'transfer_of_care',
      'appointment_booked',
      'appointment_booked',
      'treatment_recorded',
      'discharged',
      'discharge_summary_sent',
      'discharge_summary_acknowledged',
    ]);
    expect(final.timeline[1]).toMatchObject({ fromStatus: 'IDENTIFIED', toStatus: 'AWAITING_CLINICAL_REVIEW', actor: { role: 'system' } });
    expect(final.timeline[2].actor).toEqual({ sub: 'clin-rlq', role: 'clinician', ods: 'RLQ' });
    expect(final.clinicalNotes.map((n: { kind: string }) => n.kind)).toEqual(['clinical_review', 'discharge_summary']);

    // One notification per patient-facing event, each delivered.
    const notes = await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient));
    expect(notes.status).toBe(200);
    expect(notes.body.items.map((n: { event: string }) => n.event)).toEqual([
      'offer',
      'consent_recorded',
      'transfer_confirmed',
      'appointment_booked',
      'appointment_booked',
      'treatment_recorded',
      'discharged',
    ]);
    for (const n of notes.body.items) expect(n).toMatchObject({ channel: 'email', status: 'delivered' });
  });

  it('shows a patient plain English and no staff detail', async () => {
    const { id, nhs } = await openReferral(s, c);
    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable', note: 'Private clinical remark' }).expect(200);
    const patient = await token({ role: 'patient', nhsNumber: nhs });
    const view = await s.http.get(`/v1/referrals/${id}`).set(bearer(patient));
    expect(view.status).toBe(200);
    expect(view.body.statusDescription).toMatch(/waiting for the patient/);
    expect(view.body.clinicalNotes).toBeUndefined();
    expect(view.body.patient.nhsNumber).toBeUndefined();
    expect(view.body.timeline[0]).toEqual({ id: expect.any(String), type: 'referral_opened', toStatus: 'IDENTIFIED', at: expect.any(String) });
    expect(JSON.stringify(view.body)).not.toContain('Private clinical remark');

    // A booking clerk of the referring trust sees the referral but not the clinical note.
    const clerk = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRLQ));
    expect(clerk.status).toBe(200);
    expect(clerk.body.clinicalNotes).toBeUndefined();
    expect(JSON.stringify(clerk.body)).not.toContain('Private clinical remark');

    // Another patient cannot see it at all.
    const other = await token({ role: 'patient', nhsNumber: '9434765919' });
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(other))).status).toBe(404);
  });
});
