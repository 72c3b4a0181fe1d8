// Patient records kept per trust, and the parties of a referral (issue 12: findings 1, 2, 4 and 7
// of the hostile review). Each referral holds its patient as the trust that opened it recorded
// them; a trust that is no longer a party reads nothing more; the transfer data set is never sent
// for a referral that has ended; and the exits are taken only from the side the policy allows.
import { describe, expect, it } from '@jest/globals';
import { APP_CONFIG, type AppConfig } from '#config';
import { WAITING_LIST_COLUMNS } from '#domain';
import { offerLinkToken, type DeliveryResult, type NotificationChannel, type OutgoingMessage } from '#notifications';
import {
  bearer,
  drained,
  driveTo,
  getReferral,
  isoDay,
  lastEventOf,
  nhsNumber,
  openReferral,
  referralBody,
  token,
  useStack,
  waitForStatus,
  waitUntil,
} from './support/stack.js';

/** Records every message the worker sends, with its recipient: where did the patient's mail go? */
class RecordingChannel implements NotificationChannel {
  readonly sent: OutgoingMessage[] = [];
  async send(msg: OutgoingMessage): Promise<DeliveryResult> {
    this.sent.push(msg);
    return { status: 'delivered', providerReference: msg.notificationId };
  }
  to(referralNotificationIds: string[]) {
    return this.sent.filter((m) => referralNotificationIds.includes(m.notificationId));
  }
}

const channel = new RecordingChannel();
const { s, c } = useStack({ notificationChannel: channel });

const notificationIds = async (referralId: string, event?: string) =>
  (await s.prisma.notification.findMany({ where: { referralId, ...(event ? { event } : {}) }, select: { id: true } })).map((n) => n.id);

/** The messages sent for a referral (waits until its notifications of `event` have gone). */
async function sentFor(referralId: string, event: string): Promise<OutgoingMessage[]> {
  const sent = await waitUntil(async () => {
    const ids = await notificationIds(referralId, event);
    const msgs = channel.to(ids);
    return ids.length > 0 && msgs.length === ids.length ? msgs : null;
  }, `the ${event} message of ${referralId}`);
  return sent!;
}

async function importOneRow(tok: string, r: Record<string, string>) {
  const body = [WAITING_LIST_COLUMNS.join(','), WAITING_LIST_COLUMNS.map((col) => r[col] ?? '').join(',')].join('\n') + '\n';
  const res = await s.http.post('/v1/waiting-list/imports?mode=partial').set(bearer(tok)).set('Content-Type', 'text/csv').send(body);
  expect(res.status).toBe(202);
  await waitUntil(async () => (await s.http.get(`/v1/waiting-list/imports/${res.body.id}`).set(bearer(tok))).body.status === 'completed', 'the import');
}

// ---------------------------------------------------------------------------------------------
describe('1. one trust never reads or rewrites the patient another trust recorded', () => {
  const mine = {
    familyName: 'Jones',
    givenName: 'Mary',
    dateOfBirth: '1956-03-02',
    address: '1 High Street, Hereford',
    postcode: 'HR1 2ER',
    phone: '07700900123',
    email: 'mary@example.com',
  };

  it('a clerk of another trust who knows only the NHS number gets none of the contact details (waiting-list entry, then a referral from it)', async () => {
    const rlq = await openReferral(s, c, { patient: mine });
    const pathway = `RLT-WL-${rlq.nhs}`;
    await importOneRow(c.clerkRLT, {
      nhs_number: rlq.nhs,
      family_name: 'Jones',
      given_name: 'Mary',
      date_of_birth: '1956-03-02',
      postcode: 'CV34 5BW',
      gp_practice_ods: 'M81001',
      specialty_code: '110',
      procedure_code: 'W371',
      rtt_clock_start: isoDay(-60 * 7),
      pathway_id: pathway,
      priority: 'P4',
    });
    const { rows } = await s.prisma.sql.query<{ id: string }>(`SELECT id FROM waiting_list_entry WHERE origin_ods = 'RLT' AND pathway_id = $1`, [pathway]);
    const opened = await s.http.post('/v1/referrals').set(bearer(c.clerkRLT)).send({ waitingListEntryId: rows[0].id });
    expect(opened.status).toBe(201);
    expect(opened.body.patient).toMatchObject({ nhsNumber: rlq.nhs, address: null, phone: null, email: null, postcode: 'CV34 5BW' });
    expect(JSON.stringify(opened.body)).not.toMatch(/mary@example\.com|07700900123|High Street/);
    // And RLQ's record is as RLQ wrote it.
    expect((await getReferral(s, c.clerkRLQ, rlq.id)).patient).toMatchObject({ email: 'mary@example.com', phone: '07700900123', postcode: 'HR1 2ER' });
  });

  it("another trust's referral with its own email and a made-up date of birth changes nothing of ours: the offer goes to our patient, whose own date of birth opens the offer page", async () => {
    const rlq = await openReferral(s, c, { patient: mine });
    const hostile = referralBody({
      patient: { ...mine, nhsNumber: rlq.nhs, dateOfBirth: '1990-01-01', email: 'clerk@attacker.example', phone: '07700900999', address: '9 Elsewhere' },
    });
    const rlt = await s.http.post('/v1/referrals').set(bearer(c.clerkRLT)).send(hostile);
    expect(rlt.status).toBe(201);
    expect(rlt.body.patient).toMatchObject({ email: 'clerk@attacker.example', dateOfBirth: '1990-01-01' });
    // Another trust's record is not a mismatch of ours: no task for RLQ, nothing flagged.
    expect(rlt.body.demographicsMismatch).toBe(false);

    const ours = await getReferral(s, c.clerkRLQ, rlq.id);
    expect(ours.patient).toMatchObject({ dateOfBirth: '1956-03-02', email: 'mary@example.com', phone: '07700900123', address: '1 High Street, Hereford' });

    // The offer (with its link) goes to the email RLQ recorded.
    await waitForStatus(s, c.clinRLQ, rlq.id, 'AWAITING_CLINICAL_REVIEW');
    await s.http.post(`/v1/referrals/${rlq.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' }).expect(200);
    const [offer] = await sentFor(rlq.id, 'offer');
    expect(offer.recipient).toEqual({ email: 'mary@example.com', phone: '07700900123', address: '1 High Street, Hereford' });

    // The offer page checks the date of birth on this referral: the made-up one is refused, the real one opens it.
    const link = `/offer/${offerLinkToken(s.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret, offer.notificationId)}`;
    const form = (d: string, m: string, y: string) => s.http.post(link).type('form').send({ 'dob-day': d, 'dob-month': m, 'dob-year': y });
    expect((await form('1', '1', '1990')).status).toBe(400);
    const real = await form('2', '3', '1956');
    expect(real.status).toBe(303);
    expect(real.headers.location).toBe(`${link}/choose`);
  });

  it('an NHS number our trust already holds under another family name or date of birth opens the referral, flagged, with a task for our booking team; nothing is overwritten', async () => {
    const first = await openReferral(s, c, { patient: mine });
    const second = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send(referralBody({ patient: { ...mine, nhsNumber: first.nhs, familyName: 'Smith', dateOfBirth: '1956-03-12', email: 'other@example.com' } }));
    expect(second.status).toBe(201);
    expect(second.body.demographicsMismatch).toBe(true);
    expect(second.body.timeline[0]).toMatchObject({ type: 'referral_opened', detail: { demographicsMismatch: ['familyName', 'dateOfBirth'] } });
    const tasks = await s.http.get('/v1/tasks').set(bearer(c.clerkRLQ));
    const task = tasks.body.items.find((t: { referralId: string }) => t.referralId === second.body.id);
    expect(task).toMatchObject({ kind: 'demographics_mismatch', team: 'booking', detail: { fields: ['familyName', 'dateOfBirth'] } });
    // Each referral keeps what it was opened with.
    expect((await getReferral(s, c.clerkRLQ, first.id)).patient).toMatchObject({ familyName: 'Jones', dateOfBirth: '1956-03-02', email: 'mary@example.com' });
    expect(second.body.patient).toMatchObject({ familyName: 'Smith', dateOfBirth: '1956-03-12', email: 'other@example.com' });
    expect((await getReferral(s, c.clerkRLQ, first.id)).demographicsMismatch).toBe(false);
    // Once the booking team has checked it, the flag goes.
    await s.http.post(`/v1/tasks/${task.id}/complete`).set(bearer(c.clerkRLQ)).send({}).expect(200);
    expect((await getReferral(s, c.clerkRLQ, second.body.id)).demographicsMismatch).toBe(false);
  });

  it('the same person again (name in other case, same date of birth) is not a mismatch, and keeps the accessible format the trust recorded', async () => {
    const first = await openReferral(s, c, { patient: { ...mine, accessibleFormat: 'large_print' } });
    const again = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send(referralBody({ patient: { ...mine, nhsNumber: first.nhs, familyName: 'JONES' } }));
    expect(again.status).toBe(201);
    expect(again.body.demographicsMismatch).toBe(false);
    const { rows } = await s.prisma.sql.query<{ accessible_format: string | null }>(
      'SELECT p.accessible_format FROM patient p JOIN referral r ON r.patient_id = p.id WHERE r.id = $1::uuid',
      [again.body.id],
    );
    expect(rows[0].accessible_format).toBe('large_print');
  });

  it('a patient reads each of their referrals with what that trust recorded, and no one else sees them', async () => {
    const rlq = await openReferral(s, c, { patient: mine });
    const rlt = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLT))
      .send(referralBody({ patient: { ...mine, nhsNumber: rlq.nhs, email: 'mary.work@example.com', phone: null } }));
    expect(rlt.status).toBe(201);
    const patient = await token({ role: 'patient', nhsNumber: rlq.nhs });
    const list = await s.http.get('/v1/patient/referrals').set(bearer(patient));
    expect(list.status).toBe(200);
    const byOrigin = Object.fromEntries(list.body.items.map((r: { originOds: string; patient: unknown }) => [r.originOds, r.patient]));
    expect(byOrigin).toEqual({
      RLQ: { givenName: 'Mary', familyName: 'Jones', address: '1 High Street, Hereford', postcode: 'HR1 2ER', phone: '07700900123', email: 'mary@example.com' },
      RLT: { givenName: 'Mary', familyName: 'Jones', address: '1 High Street, Hereford', postcode: 'HR1 2ER', phone: null, email: 'mary.work@example.com' },
    });
    expect((await s.http.get(`/v1/referrals/${rlt.body.id}`).set(bearer(patient))).body.patient).toMatchObject({ email: 'mary.work@example.com' });
    const someoneElse = await token({ role: 'patient', nhsNumber: nhsNumber() });
    expect((await s.http.get('/v1/patient/referrals').set(bearer(someoneElse))).body.items).toEqual([]);
    expect((await s.http.get(`/v1/referrals/${rlq.id}`).set(bearer(someoneElse))).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------
describe("1. the referring trust's booking team corrects the patient's contact details", () => {
  it('changes only this referral, is audited, names the fields on the timeline (not the values), and a message not yet sent uses the new details', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const before = await getReferral(s, c.clerkRLQ, ref.id);
    // Hold the worker so the offer is still to send when the details change.
    await s.worker!.close();
    try {
      await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' }).expect(200);
      const res = await s.http
        .patch(`/v1/referrals/${ref.id}/patient-contact`)
        .set(bearer(c.clerkRLQ))
        .set('X-Request-Id', `contact-${ref.id}`)
        .send({ email: 'new.address@example.com', phone: null });
      expect(res.status).toBe(200);
      expect(res.body.patient).toMatchObject({ email: 'new.address@example.com', phone: null, address: before.patient.address });
      expect(res.body.version).toBe(before.version + 2);
      const event = lastEventOf(res.body, 'patient_contact_corrected');
      expect(event).toMatchObject({
        type: 'patient_contact_corrected',
        actor: { sub: 'clerk-rlq', role: 'booking_clerk', ods: 'RLQ' },
        detail: { fields: ['phone', 'email'] },
      });
      expect(JSON.stringify(event)).not.toMatch(/new\.address/);
      const audit = await s.prisma.auditEvent.findMany({ where: { requestId: `contact-${ref.id}` } });
      expect(audit).toEqual([expect.objectContaining({ action: 'referral.patient-contact', referralId: ref.id, outcome: 200 })]);
    } finally {
      await s.startWorker();
    }
    const [offer] = await sentFor(ref.id, 'offer');
    expect(offer.recipient.email).toBe('new.address@example.com');
    expect(offer.recipient.phone).toBeNull();
  });

  it('the same details again change nothing and add no event', async () => {
    const ref = await openReferral(s, c);
    const before = await getReferral(s, c.clerkRLQ, ref.id);
    const res = await s.http.patch(`/v1/referrals/${ref.id}/patient-contact`).set(bearer(c.clerkRLQ)).send({ email: before.patient.email });
    expect(res.status).toBe(200);
    expect(res.body.timeline.filter((e: { type: string }) => e.type === 'patient_contact_corrected')).toEqual([]);
  });

  it('refuses bad input naming the field, the receiving trust (403), another trust (404), a clinician (403), and writes nothing', async () => {
    const ref = await driveTo(s, c, 'AWAITING_BOOKING');
    const patch = (t: string, body: unknown) =>
      s.http
        .patch(`/v1/referrals/${ref.id}/patient-contact`)
        .set(bearer(t))
        .send(body as object);
    const empty = await patch(c.clerkRLQ, {});
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/at least one of address, postcode/);
    const cases: Array<[unknown, string]> = [
      [{ postcode: null }, 'postcode'],
      [{ postcode: 'NOT A POSTCODE' }, 'postcode'],
      [{ email: 'not-an-email' }, 'email'],
      [{ phone: '12' }, 'phone'],
      [{ contactPreference: 'pigeon' }, 'contactPreference'],
      [{ nhsNumber: '9434765919' }, 'nhsNumber'],
      [{ familyName: 'Other' }, 'familyName'],
    ];
    for (const [body, field] of cases) {
      const res = await patch(c.clerkRLQ, body);
      expect({ body, status: res.status, fields: (res.body.details ?? []).map((d: { field: string }) => d.field) }).toEqual({
        body,
        status: 400,
        fields: [field],
      });
    }
    const receiver = await patch(c.clerkRJC, { email: 'x@example.com' });
    expect(receiver.status).toBe(403);
    expect(receiver.body.message).toMatch(/referring trust \(RLQ\)/);
    expect((await patch(c.clerkRLT, { email: 'x@example.com' })).status).toBe(404);
    expect((await patch(c.clinRLQ, { email: 'x@example.com' })).status).toBe(403);
    const after = await getReferral(s, c.clerkRLQ, ref.id);
    expect(after.patient.email).toBe('alex@example.com');
    expect(after.timeline.map((e: { type: string }) => e.type)).not.toContain('patient_contact_corrected');
  });
});

// ---------------------------------------------------------------------------------------------
describe('2. a trust that is no longer a party reads nothing more', () => {
  const visibleTo = async (tok: string, id: string) => (await s.http.get(`/v1/referrals/${id}`).set(bearer(tok))).status;
  const onWorklist = async (tok: string, id: string) => {
    const res = await s.http.get('/v1/referrals?side=receiving&limit=200').set(bearer(tok));
    return res.body.items.some((r: { id: string }) => r.id === id);
  };

  it('after rejecting the transfer: 404, off its worklists and counts; the referring trust keeps the history; the patient is told who could not take them', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect(await visibleTo(c.clinRJC, ref.id)).toBe(200);
    const countBefore = (await s.http.get('/v1/referrals/summary').set(bearer(c.clinRJC))).body.byStatus.receiving.REJECTED_BY_RECEIVER;
    const res = await s.http
      .post(`/v1/referrals/${ref.id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' });
    expect(res.status).toBe(200);
    expect(await visibleTo(c.clinRJC, ref.id)).toBe(404);
    expect(await visibleTo(c.clerkRJC, ref.id)).toBe(404);
    expect((await s.http.get(`/v1/referrals/${ref.id}/notifications`).set(bearer(c.clerkRJC))).status).toBe(404);
    expect(await onWorklist(c.clerkRJC, ref.id)).toBe(false);
    expect((await s.http.get('/v1/referrals/summary').set(bearer(c.clinRJC))).body.byStatus.receiving.REJECTED_BY_RECEIVER).toBe(countBefore);
    const origin = await getReferral(s, c.clinRLQ, ref.id);
    expect(origin.status).toBe('REJECTED_BY_RECEIVER');
    expect(origin.timeline.find((e: { type: string }) => e.type === 'consent_accepted').detail.receivingOds).toBe('RJC');
    expect(origin.timeline.find((e: { type: string }) => e.type === 'receiver_rejected').actor.ods).toBe('RJC');
    const [told] = await sentFor(ref.id, 'transfer_rejected');
    expect(told.message.body).toMatch(/South Warwickshire/);
  });

  it.each([
    ['the patient withdraws', 'withdraw', 'patient'],
    ['the referring trust cancels', 'cancel', 'clerkRLQ'],
  ] as const)('before the transfer of care is accepted, %s: the receiving trust reads nothing more', async (_label, action, who) => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const tok = who === 'patient' ? ref.patient : c[who];
    await s.http.post(`/v1/referrals/${ref.id}/${action}`).set(bearer(tok)).send({ reason: 'Changed their mind' }).expect(200);
    expect(await visibleTo(c.clinRJC, ref.id)).toBe(404);
    expect(await onWorklist(c.clerkRJC, ref.id)).toBe(false);
    expect(await visibleTo(c.clinRLQ, ref.id)).toBe(200);
  });

  it('a receiving trust that had accepted the transfer of care held the patient, and keeps its record after a cancellation', async () => {
    const ref = await driveTo(s, c, 'BOOKED');
    await s.http.post(`/v1/referrals/${ref.id}/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Patient now treated elsewhere' }).expect(200);
    const r = await getReferral(s, c.clerkRJC, ref.id);
    expect(r).toMatchObject({ status: 'CANCELLED', receivingOds: 'RJC' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('4. the transfer data set is never sent for a referral that has ended', () => {
  it('accepted then withdrawn before the dispatch job ran: nothing is sent to the receiving trust, and the job says why', async () => {
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await drained(s);
    await s.worker!.close();
    try {
      const r = await getReferral(s, c.clinRLQ, ref.id);
      const offer = r.offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
      await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(ref.patient)).send({ decision: 'accept', offerId: offer.id }).expect(200);
      await s.http.post(`/v1/referrals/${ref.id}/withdraw`).set(bearer(ref.patient)).send({ reason: 'Treated privately' }).expect(200);
    } finally {
      await s.startWorker();
    }
    await drained(s);
    const job = await waitUntil(
      async () => await s.prisma.outboxMessage.findFirst({ where: { referralId: ref.id, jobName: 'transfer.dispatch', completedAt: { not: null } } }),
      'the dispatch job to finish',
    );
    expect(job).toBeTruthy();
    expect(await s.prisma.dispatch.count({ where: { referralId: ref.id } })).toBe(0);
    const timeline = (await getReferral(s, c.clinRLQ, ref.id)).timeline.map((e: { type: string }) => e.type);
    expect(timeline).not.toContain('transfer_dispatched');
    expect(timeline[timeline.length - 1]).toBe('withdrawn');
  });
});

// ---------------------------------------------------------------------------------------------
describe('7. who may withdraw and cancel', () => {
  const act = (id: string, action: 'withdraw' | 'cancel', tok: string) =>
    s.http.post(`/v1/referrals/${id}/${action}`).set(bearer(tok)).send({ reason: 'Test of the policy' });

  it('before it accepts the transfer of care, the receiving trust can neither withdraw nor cancel (it rejects, with a reason code); the patient is not told anything', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const withdraw = await act(ref.id, 'withdraw', c.clerkRJC);
    expect(withdraw.status).toBe(403);
    expect(withdraw.body.message).toMatch(/referring trust \(RLQ\)/);
    for (const tok of [c.clerkRJC, c.clinRJC]) {
      const cancel = await act(ref.id, 'cancel', tok);
      expect(cancel.status).toBe(403);
      expect(cancel.body.message).toMatch(/reject the transfer with a reason code/);
    }
    const r = await getReferral(s, c.clinRLQ, ref.id);
    expect(r.status).toBe('AWAITING_RECEIVER_ACCEPTANCE');
    expect(await notificationIds(ref.id, 'withdrawn')).toEqual([]);
    expect(await notificationIds(ref.id, 'cancelled')).toEqual([]);
  });

  it('after the transfer of care: the receiving trust cancels (not the referring trust), and only the patient or the referring trust withdraws', async () => {
    const ref = await driveTo(s, c, 'AWAITING_BOOKING');
    const originCancel = await act(ref.id, 'cancel', c.clinRLQ);
    expect(originCancel.status).toBe(403);
    expect(originCancel.body.message).toMatch(/receiving trust \(RJC\).*accepted the transfer of care/);
    expect((await act(ref.id, 'withdraw', c.clerkRJC)).status).toBe(403);
    expect((await act(ref.id, 'cancel', c.clinRJC)).status).toBe(200);

    const other = await driveTo(s, c, 'BOOKED');
    expect((await act(other.id, 'withdraw', c.clerkRLQ)).status).toBe(200);
    const byPatient = await driveTo(s, c, 'AWAITING_BOOKING');
    expect((await act(byPatient.id, 'withdraw', byPatient.patient)).status).toBe(200);
  });

  it('before the transfer, the referring trust cancels and its booking team records a withdrawal', async () => {
    const a = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    expect((await act(a.id, 'cancel', c.clinRLQ)).status).toBe(200);
    const b = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect((await act(b.id, 'withdraw', c.clerkRLQ)).status).toBe(200);
  });
});
