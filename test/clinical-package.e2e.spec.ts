// The clinical package (issue 16): what the referring trust records for the receiving clinician, the
// attachments sent with it, the request for information and its answer, and return to referrer with
// advice. Through the API, with the worker running, against the real Postgres and Redis.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { ReminderSweepTimer } from '../apps/worker/src/loops/reminder-sweep-timer.js';
import { bearer, drained, driveTo, getReferral, lastEventOf, openReferral, referralBody, useEnv, useStack, waitUntil } from './support/stack.js';
import { rawRequest } from './support/raw-http.js';
import { tinyGif, tinyPdf, tinyPng } from './support/documents.js';

const MAX = 64 * 1024;
useEnv({ ATTACHMENT_MAX_BYTES: String(MAX), STAFF_EMAIL_BATCH_MS: '0', REMINDER_SWEEP_MS: String(3_600_000) });
const { s, c } = useStack();

const PACKAGE = {
  diagnosis: { code: '239873007', text: 'Osteoarthritis of knee' },
  laterality: 'left',
  comorbidities: [
    { code: '38341003', text: 'Hypertension' },
    { code: '44054006', text: 'Type 2 diabetes mellitus' },
  ],
  bmi: 31.4,
  asaGrade: 2,
  anticoagulation: { taking: true, medication: 'Apixaban 5 mg twice daily' },
  mobility: 'Walks with a stick; manages stairs slowly',
  referralLetter: 'Dear colleague, thank you for seeing this patient, who has waited 60 weeks for a left total knee replacement.',
};

const sql = <T extends Record<string, unknown>>(text: string, values: unknown[] = []) => s.prisma.sql.query<T>(text, values).then((r) => r.rows);

function upload(t: string, id: string, body: Buffer, type = 'application/pdf', query = 'kind=imaging_report&filename=knee-xray-report.pdf') {
  return s.http.post(`/v1/referrals/${id}/attachments?${query}`).set(bearer(t)).set('Content-Type', type).send(body);
}

async function sweep() {
  const timer = s.worker!.get(ReminderSweepTimer);
  await waitUntil(() => timer.runNow(), 'the reminder sweep to run');
  await drained(s);
}

describe('a receiving clinician reads the package and an attachment, asks, gets the answer, accepts', () => {
  it('walks the whole way', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { clinicalInformation: PACKAGE });
    const pdf = tinyPdf();
    const added = await upload(c.clerkRLQ, ref.id, pdf);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ kind: 'imaging_report', filename: 'knee-xray-report.pdf', mediaType: 'application/pdf', sizeBytes: pdf.length });
    expect(added.headers.location).toBe(`/v1/referrals/${ref.id}/attachments/${added.body.id}`);

    // The receiving clinician sees the package and the attachment before deciding.
    const seen = await getReferral(s, c.clinRJC, ref.id);
    expect(seen.clinicalInformation).toEqual({ ...PACKAGE, updatedAt: expect.any(String) });
    expect(seen.attachments).toEqual([added.body]);
    expect(seen.timeline.find((e: { type: string }) => e.type === 'clinical_information_updated').detail).toEqual({
      fields: ['diagnosis', 'laterality', 'comorbidities', 'bmi', 'asaGrade', 'anticoagulation', 'mobility', 'referralLetter'],
    });
    const listed = await s.http.get(`/v1/referrals/${ref.id}/attachments`).set(bearer(c.clinRJC));
    expect(listed.body.items).toEqual([added.body]);
    const file = await s.http
      .get(`/v1/referrals/${ref.id}/attachments/${added.body.id}`)
      .set(bearer(c.clinRJC))
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe('attachment; filename="knee-xray-report.pdf"');
    expect(Buffer.compare(file.body as Buffer, pdf)).toBe(0);
    // The download is in the audit trail, as a download, with who and which referral.
    const audit = await sql<{ actor_sub: string; actor_ods: string; outcome: number }>(
      `SELECT actor_sub, actor_ods, outcome FROM audit_event WHERE action = 'attachment.download' AND referral_id = $1::uuid`,
      [ref.id],
    );
    expect(audit).toEqual([{ actor_sub: 'clin-rjc', actor_ods: 'RJC', outcome: 200 }]);

    // Earlier worklist items go out first, so what follows is the request's alone.
    await drained(s);
    await sweep();
    const before = new Date();

    // A request for information: the referral keeps its status, waits in a visible sub-state.
    const asked = await s.http
      .post(`/v1/referrals/${ref.id}/information-requests`)
      .set(bearer(c.clinRJC))
      .send({ question: 'Please send the latest HbA1c result.' });
    expect(asked.status).toBe(201);
    expect(asked.body.status).toBe('AWAITING_RECEIVER_ACCEPTANCE');
    expect(asked.body.informationRequest).toMatchObject({
      status: 'OPEN',
      question: 'Please send the latest HbA1c result.',
      askedBy: { ods: 'RJC' },
      answer: null,
    });
    const again = await s.http.post(`/v1/referrals/${ref.id}/information-requests`).set(bearer(c.clinRJC)).send({ question: 'And the ECG?' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already open/);

    // The referring trust's clinical team has a task, and its worklist email names the referral (no patient data).
    const tasks = await s.http.get('/v1/tasks?kind=information_requested').set(bearer(c.clinRLQ));
    expect(tasks.body.items.filter((t: { referralId: string }) => t.referralId === ref.id)).toEqual([
      expect.objectContaining({ team: 'clinical', kind: 'information_requested', status: 'OPEN' }),
    ]);
    await sweep();
    const emails = await sql<{ detail: { counts: Record<string, number>; referralIds: string[] } }>(
      `SELECT detail FROM staff_notification WHERE trust_ods = 'RLQ' AND team = 'clinical' AND created_at >= $1 AND detail->'referralIds' ? $2`,
      [before, ref.id],
    );
    expect(emails).toHaveLength(1);
    expect(emails[0].detail.counts.tasks).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(emails[0].detail)).not.toMatch(/HbA1c/);

    // The other side cannot answer its own question; the referring booking clerk can.
    const wrongSide = await s.http
      .post(`/v1/referrals/${ref.id}/information-requests/${asked.body.informationRequest.id}/answer`)
      .set(bearer(c.clinRJC))
      .send({ answer: 'x' });
    expect(wrongSide.status).toBe(403);
    const answered = await s.http
      .post(`/v1/referrals/${ref.id}/information-requests/${asked.body.informationRequest.id}/answer`)
      .set(bearer(c.clerkRLQ))
      .send({ answer: 'HbA1c 48 mmol/mol on 1 November.' });
    expect(answered.status).toBe(200);
    expect(answered.body.informationRequest).toMatchObject({
      status: 'ANSWERED',
      answer: 'HbA1c 48 mmol/mol on 1 November.',
      answeredBy: { role: 'booking_clerk' },
    });
    const types = answered.body.timeline.map((e: { type: string }) => e.type);
    // (MESH events of the transfer may land in between: they are asynchronous.)
    expect(types.filter((t: string) => !t.startsWith('transfer_')).slice(-2)).toEqual(['information_requested', 'information_request_answered']);
    const done = await s.http.get('/v1/tasks?kind=information_requested&status=DONE').set(bearer(c.clinRLQ));
    expect(done.body.items.some((t: { referralId: string }) => t.referralId === ref.id)).toBe(true);

    // The receiving clinician reads the answer and accepts.
    expect((await getReferral(s, c.clinRJC, ref.id)).informationRequest.answer).toBe('HbA1c 48 mmol/mol on 1 November.');
    const accepted = await s.http.post(`/v1/referrals/${ref.id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('AWAITING_BOOKING');

    // After the decision the package is the record it was made on.
    const late = await s.http.patch(`/v1/referrals/${ref.id}/clinical-information`).set(bearer(c.clinRLQ)).send({ bmi: 30 });
    expect(late.status).toBe(409);
  });
});

describe('the package: who sees it, who changes it, and what is refused', () => {
  it('is clinical content: booking clerks and patients do not see it, nor the attachments', async () => {
    const ref = await openReferral(s, c, { clinicalInformation: PACKAGE });
    expect((await getReferral(s, c.clinRLQ, ref.id)).clinicalInformation.diagnosis).toEqual(PACKAGE.diagnosis);
    const clerk = await getReferral(s, c.clerkRLQ, ref.id);
    expect(clerk).not.toHaveProperty('clinicalInformation');
    expect(clerk).not.toHaveProperty('attachments');
    expect(JSON.stringify(clerk)).not.toMatch(/Osteoarthritis|Apixaban/);
  });

  it('changes name the fields changed, not their values; null clears one', async () => {
    const ref = await openReferral(s, c);
    expect((await getReferral(s, c.clinRLQ, ref.id)).clinicalInformation).toBeNull();
    const res = await s.http
      .patch(`/v1/referrals/${ref.id}/clinical-information`)
      .set(bearer(c.clerkRLQ))
      .send({ bmi: 42.5, asaGrade: 3, mobility: 'Wheelchair user' });
    expect(res.status).toBe(200);
    const cleared = await s.http.patch(`/v1/referrals/${ref.id}/clinical-information`).set(bearer(c.clinRLQ)).send({ mobility: null, bmi: 42.5 });
    expect(cleared.status).toBe(200);
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.clinicalInformation).toMatchObject({ bmi: 42.5, asaGrade: 3, mobility: null, diagnosis: null, comorbidities: [] });
    const events = view.timeline.filter((e: { type: string }) => e.type === 'clinical_information_updated');
    expect(events.map((e: { detail: unknown }) => e.detail)).toEqual([{ fields: ['bmi', 'asaGrade', 'mobility'] }, { fields: ['mobility'] }]);
    expect(JSON.stringify(view.timeline)).not.toMatch(/Wheelchair/);
    const audited = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM audit_event WHERE action = 'referral.clinical-information' AND referral_id = $1::uuid`,
      [ref.id],
    );
    expect(Number(audited[0].n)).toBe(2);
  });

  it('refuses a SNOMED CT code with a wrong check digit, an ASA grade of VI, and an empty change, naming each field', async () => {
    const bad = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send(referralBody({ clinicalInformation: { diagnosis: { code: '239873008', text: 'Osteoarthritis of knee' }, asaGrade: 6 } }));
    expect(bad.status).toBe(400);
    const fields = bad.body.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['clinicalInformation.diagnosis.code', 'clinicalInformation.asaGrade']));
    expect(JSON.stringify(bad.body)).toMatch(/check digit/);
    const ref = await openReferral(s, c);
    const empty = await s.http.patch(`/v1/referrals/${ref.id}/clinical-information`).set(bearer(c.clerkRLQ)).send({});
    expect(empty.status).toBe(400);
    expect(empty.body.details[0].field).toBe('body');
    const noDrug = await s.http
      .patch(`/v1/referrals/${ref.id}/clinical-information`)
      .set(bearer(c.clinRLQ))
      .send({ anticoagulation: { taking: true } });
    expect(noDrug.status).toBe(422);
    expect(noDrug.body.details[0].field).toBe('clinicalInformation.anticoagulation.medication');
  });

  it('only the referring trust changes it: the receiving trust may not, another trust finds nothing', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect((await s.http.patch(`/v1/referrals/${ref.id}/clinical-information`).set(bearer(c.clinRJC)).send({ bmi: 30 })).status).toBe(403);
    expect((await s.http.patch(`/v1/referrals/${ref.id}/clinical-information`).set(bearer(c.clinRLT)).send({ bmi: 30 })).status).toBe(404);
  });
});

describe('attachments: the type is judged from the bytes, the size is bounded, only clinicians of a party open them', () => {
  it('takes a PNG sent as application/octet-stream, and refuses a GIF, a text file and a PDF over the limit, naming the field', async () => {
    const ref = await openReferral(s, c);
    const png = await upload(c.clinRLQ, ref.id, tinyPng(), 'application/octet-stream', 'kind=clinic_letter&filename=scan.png');
    expect(png.status).toBe(201);
    expect(png.body.mediaType).toBe('image/png');

    const gif = await upload(c.clinRLQ, ref.id, tinyGif(), 'image/png', 'kind=clinic_letter&filename=scan.png');
    expect(gif.status).toBe(415);
    expect(gif.body.details).toEqual([{ field: 'body', messages: [gif.body.message] }]);
    expect(gif.body.message).toMatch(/Only PDF, PNG or JPEG.*image\/gif/);

    const text = await upload(c.clinRLQ, ref.id, Buffer.from('%PD not really a PDF\n'), 'application/pdf');
    expect(text.status).toBe(415);
    expect(text.body.message).toMatch(/not recognised/);

    const declaredText = await upload(c.clinRLQ, ref.id, tinyPdf(), 'text/plain');
    expect(declaredText.status).toBe(415);
    expect(declaredText.body.details[0].field).toBe('body');

    const big = await upload(c.clinRLQ, ref.id, tinyPdf('big', MAX + 10));
    expect(big.status).toBe(413);
    expect(big.body.details).toEqual([{ field: 'body', messages: [`body must be at most ${MAX} bytes`] }]);
    expect(big.body.message).toMatch(/ATTACHMENT_MAX_BYTES/);

    const badKind = await upload(c.clinRLQ, ref.id, tinyPdf(), 'application/pdf', 'kind=photo');
    expect(badKind.status).toBe(400);
    expect(badKind.body.details[0].field).toBe('kind');

    // Only the one good file was kept.
    expect((await s.http.get(`/v1/referrals/${ref.id}/attachments`).set(bearer(c.clinRLQ))).body.items).toHaveLength(1);
  });

  it('refuses a file streamed without a length once it passes the limit', async () => {
    const ref = await openReferral(s, c);
    // Listening as in production, for a request sent as a client streams it.
    await s.api.listen(0, '127.0.0.1');
    const port = (s.api.getHttpServer().address() as AddressInfo).port;
    const { req, answer } = rawRequest(port, 'POST', `/v1/referrals/${ref.id}/attachments?kind=referral_letter`, {
      ...bearer(c.clerkRLQ),
      'Content-Type': 'application/pdf',
      'Transfer-Encoding': 'chunked',
    });
    // More than the limit, and the rest never sent: the answer comes without the end of the body.
    req.write(tinyPdf('streamed', MAX * 2).subarray(0, MAX + 1024));
    const res = await answer;
    req.destroy();
    expect(res.status).toBe(413);
    expect(res.body.details[0].field).toBe('body');
    expect((await sql(`SELECT 1 FROM attachment WHERE referral_id = $1::uuid`, [ref.id])).length).toBe(0);
  });

  it('a booking clerk cannot open one; another trust and a receiving trust no longer a party find nothing', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const added = await upload(c.clerkRLQ, ref.id, tinyPdf());
    expect(added.status).toBe(201);
    const path = `/v1/referrals/${ref.id}/attachments/${added.body.id}`;
    expect((await s.http.get(path).set(bearer(c.clerkRLQ))).status).toBe(403);
    expect((await s.http.get(path).set(bearer(c.clerkRJC))).status).toBe(403);
    expect((await s.http.get(`/v1/referrals/${ref.id}/attachments`).set(bearer(c.clerkRLQ))).status).toBe(403);
    expect((await s.http.get(path).set(bearer(c.clinRLT))).status).toBe(404);
    expect((await s.http.get(`/v1/referrals/${ref.id}/attachments`).set(bearer(c.clinRLT))).status).toBe(404);
    // The receiving trust adds nothing: attachments come from the referrer.
    expect((await upload(c.clinRJC, ref.id, tinyPdf())).status).toBe(403);
    // Refused downloads are audited too, with their outcome.
    const refused = await sql<{ outcome: number }>(
      `SELECT outcome FROM audit_event WHERE action = 'attachment.download' AND referral_id = $1::uuid ORDER BY id`,
      [ref.id],
    );
    expect(refused.map((r) => r.outcome)).toEqual([403, 403, 404]);
  });
});

describe('return to referrer with advice', () => {
  it('lands the referral back with the referring trust, tells its clinicians and the patient', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { clinicalInformation: { bmi: 33 } });
    const asked = await s.http.post(`/v1/referrals/${ref.id}/information-requests`).set(bearer(c.clinRJC)).send({ question: 'Latest weight?' });
    expect(asked.status).toBe(201);
    const advice = 'BMI 46 is above our site limit of 40: please refer to weight management first, then refer again.';
    const res = await s.http.post(`/v1/referrals/${ref.id}/return-to-referrer`).set(bearer(c.clinRJC)).send({ advice });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'REJECTED_BY_RECEIVER', receivingOds: null });
    // The receiving trust is no longer a party.
    expect((await s.http.get(`/v1/referrals/${ref.id}`).set(bearer(c.clinRJC))).status).toBe(404);

    const view = await getReferral(s, c.clinRLQ, ref.id);
    const ev = lastEventOf(view, 'returned_to_referrer');
    expect(ev).toMatchObject({ type: 'returned_to_referrer', toStatus: 'REJECTED_BY_RECEIVER', detail: { reasonCode: 'RETURNED_WITH_ADVICE', note: advice } });
    expect(ev.detail!.placeOnOriginList).toMatch(/kept/);
    expect(view.clinicalNotes.map((n: { kind: string; text: string }) => [n.kind, n.text])).toEqual([['advice_to_referrer', advice]]);
    // The open question closed with the decision, its task with it.
    expect(view.informationRequest.status).toBe('CLOSED');
    // The advice is clinical: the booking clerk sees the return, not the advice.
    const clerkView = await getReferral(s, c.clerkRLQ, ref.id);
    expect(lastEventOf(clerkView, 'returned_to_referrer').detail).toEqual({
      reasonCode: 'RETURNED_WITH_ADVICE',
      placeOnOriginList: ev.detail!.placeOnOriginList,
    });

    const open = async (kind: string) =>
      (await s.http.get(`/v1/tasks?kind=${kind}`).set(bearer(c.clinRLQ))).body.items.filter((t: { referralId: string }) => t.referralId === ref.id);
    expect((await open('returned_with_advice')).map((t: { team: string }) => t.team)).toEqual(['clinical']);
    expect(await open('information_requested')).toEqual([]);
    await drained(s);
    const told = (await s.http.get(`/v1/referrals/${ref.id}/notifications`).set(bearer(c.clinRLQ))).body.items.map((n: { event: string }) => n.event);
    expect(told).toContain('transfer_rejected');
  });

  it("is refused as a plain rejection code, and outside the receiver's decision", async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const plain = await s.http
      .post(`/v1/referrals/${ref.id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'RETURNED_WITH_ADVICE' });
    expect(plain.status).toBe(422);
    expect(plain.body.details[0].field).toBe('reasonCode');
    const early = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const ask = await s.http.post(`/v1/referrals/${early.id}/information-requests`).set(bearer(c.clinRLQ)).send({ question: 'x' });
    expect(ask.status).toBe(403);
  });
});

describe('reason codes', () => {
  it('lists every coded reason with its meaning', async () => {
    const res = await s.http.get('/v1/reason-codes').set(bearer(c.clerkRLQ));
    expect(res.status).toBe(200);
    // handbackRefusal: the pathway after treatment (issue 18); reschedule, changeRequest, dnaReturn: booking as it really goes (issue 18). Lists added at the end.
    expect(Object.keys(res.body)).toEqual([
      'notSuitable',
      'rejection',
      'cancellation',
      'withdrawal',
      'handbackRefusal',
      'reschedule',
      'changeRequest',
      'dnaReturn',
    ]);
    expect(res.body.changeRequest).toContainEqual({ code: 'NO_TRANSPORT', meaning: 'No transport to get there' });
    expect(res.body.handbackRefusal).toContainEqual({ code: 'NO_FOLLOW_UP_SERVICE', meaning: expect.any(String) });
    expect(res.body.cancellation).toContainEqual({ code: 'TREATED_ELSEWHERE', meaning: expect.stringMatching(/treated elsewhere/) });
    expect(res.body.withdrawal).toContainEqual({ code: 'TRAVEL_TOO_DIFFICULT', meaning: expect.any(String) });
  });
});
