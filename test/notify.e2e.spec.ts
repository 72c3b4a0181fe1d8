// GOV.UK Notify end to end against a local fake of its API: templates and references, no second
// send after a lost answer, quiet hours, delivery callbacks and the poll, letters after a
// permanent failure (with a booking-team task), and the rate limit.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '#config';
import { CHANNELS, missingNotifyTemplates, NOTIFICATION_EVENTS, offerLinkToken, offerLinkUrl, PIDMAS_INVITATION_EVENT } from '#notifications';
import { createNotification, writeOutbox } from '#workflow';
import { bearer, drained, driveTo, referralBody, useEnv, useStack, waitUntil } from './support/stack.js';
import { startFakeNotify, type FakeNotify } from './support/fake-notify.js';

// The referral's events and the patient-initiated invitation (its own table, the same channel).
const PATIENT_TEMPLATES = Object.fromEntries(
  [...NOTIFICATION_EVENTS, PIDMAS_INVITATION_EVENT].map((e) => [e, Object.fromEntries(CHANNELS.map((ch) => [ch, randomUUID()]))]),
) as Record<string, Record<string, string>>;
/** Every patient event on every channel, and the staff worklist email. */
const TEMPLATES: Record<string, Record<string, string>> = { ...PATIENT_TEMPLATES, staff_worklist: { email: randomUUID() } };
const CALLBACK_TOKEN = 'notify-callback-token-for-tests-0123';
let fake: FakeNotify;

interface Row {
  id: string;
  event: string;
  channel: string;
  status: string;
  providerId: string | null;
  fallbackOf: string | null;
}

const rowsOf = (referralId: string) =>
  // Reminders (another part of the service) wait days in `created`: not what these tests look at.
  s.prisma.notification.findMany({
    where: { referralId, NOT: { event: { endsWith: '_reminder' } } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, event: true, channel: true, status: true, providerId: true, fallbackOf: true },
  }) as Promise<Row[]>;

/** Waits until every notification of the referrals has left `created` (sent, or failed for good). */
async function allSent(referralIds: string[], atLeast = 1): Promise<Row[]> {
  const rows = await waitUntil(
    async () => {
      const all = (await Promise.all(referralIds.map(rowsOf))).flat();
      return all.length >= atLeast && all.every((r) => r.status !== 'created') ? all : null;
    },
    'notifications to be sent',
    30,
  );
  return rows!;
}

/** A referral whose patient has been sent the offer; returns the offer's row once Notify has it. */
async function offered(patient: Record<string, unknown> = {}) {
  const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient });
  const [row] = await allSent([ref.id]);
  return { ...ref, row: row };
}

async function restartWorker(env: Record<string, string>) {
  Object.assign(process.env, env);
  await s.worker?.close();
  await s.startWorker();
}

const callback = (body: Record<string, unknown>, auth = `Bearer ${CALLBACK_TOKEN}`) =>
  s.http.post('/v1/notify/delivery-status').set('Authorization', auth).send(body);

function receipt(row: Row, status: string, at = new Date()) {
  return {
    id: row.providerId,
    reference: row.id,
    to: 'alex@example.com',
    status,
    created_at: new Date(at.getTime() - 60_000).toISOString(),
    completed_at: at.toISOString(),
    sent_at: new Date(at.getTime() - 30_000).toISOString(),
    notification_type: row.channel,
    template_id: TEMPLATES.offer.email,
    template_version: 1,
  };
}

beforeAll(async () => {
  fake = await startFakeNotify({ templates: TEMPLATES });
});
useEnv(() => ({
  NOTIFY_API_KEY: fake.apiKey,
  NOTIFY_BASE_URL: fake.url,
  NOTIFY_TEMPLATES: JSON.stringify(TEMPLATES),
  NOTIFY_CALLBACK_TOKEN: CALLBACK_TOKEN,
  NOTIFY_TIMEOUT_MS: '1000',
  SMS_QUIET_HOURS: 'off',
  // The poll runs often and looks at everything still sending; the fake says `created` until a test changes it.
  NOTIFY_POLL_INTERVAL_MS: '200',
  NOTIFY_POLL_AFTER_MS: '0',
  // As they are: restartWorker below changes them, and they are put back with the rest.
  NOTIFY_RATE_LIMIT_MAX: process.env.NOTIFY_RATE_LIMIT_MAX,
  NOTIFY_RATE_LIMIT_DURATION_MS: process.env.NOTIFY_RATE_LIMIT_DURATION_MS,
}));
const { s, c } = useStack();
afterAll(async () => {
  await fake?.close();
});

describe('sending through GOV.UK Notify', () => {
  it('every patient-facing event sends its own template once, with our notification id as the reference', async () => {
    const discharged = await driveTo(s, c, 'DISCHARGED');
    const declined = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await s.http.post(`/v1/referrals/${declined.id}/consent`).set(bearer(declined.patient)).send({ decision: 'decline', travelRadiusMiles: 10 }).expect(200);
    const rejected = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    await s.http
      .post(`/v1/referrals/${rejected.id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' })
      .expect(200);
    const withdrawn = await driveTo(s, c, 'BOOKED');
    const booking = (await s.http.get(`/v1/referrals/${withdrawn.id}`).set(bearer(c.clerkRJC))).body.bookings[0];
    await s.http
      .post(`/v1/referrals/${withdrawn.id}/bookings/${booking.id}/cancel`)
      .set(bearer(c.clerkRJC))
      .send({ reason: 'Surgeon unavailable' })
      .expect(200);
    await s.http.post(`/v1/referrals/${withdrawn.id}/withdraw`).set(bearer(withdrawn.patient)).send({ reason: 'Moving away' }).expect(200);
    const cancelled = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await s.http.post(`/v1/referrals/${cancelled.id}/cancel`).set(bearer(c.clerkRLQ)).send({ reason: 'Duplicate of another pathway' }).expect(200);

    // An offer still open when its turn comes is sent; one the referral has moved past meanwhile
    // (driveTo answers at once) is not: it is marked cancelled, never sent.
    const open = await offered();
    const ids = [discharged.id, declined.id, rejected.id, withdrawn.id, cancelled.id, open.id];
    const rows = await allSent(ids, 16);
    expect(rows.find((r) => r.id === open.row.id)).toMatchObject({ event: 'offer', status: 'sending' });
    const patientEvents = [
      'offer',
      'offer_declined',
      'consent_recorded',
      'transfer_confirmed',
      'transfer_rejected',
      'appointment_booked',
      'appointment_cancelled',
      'treatment_recorded',
      'discharged',
      'withdrawn',
      'cancelled',
    ];
    for (const e of patientEvents) expect(rows.map((r) => r.event)).toContain(e);

    for (const r of rows) {
      const sent = fake.byReference(r.id);
      if (r.status === 'cancelled') {
        expect([r.event, sent.length]).toEqual(['offer', 0]);
        continue;
      }
      expect(sent).toHaveLength(1);
      const n = sent[0];
      expect({ event: r.event, type: n.type, templateId: n.templateId, to: n.to }).toEqual({
        event: r.event,
        type: 'email',
        templateId: TEMPLATES[r.event].email,
        to: 'alex@example.com',
      });
      expect(n.personalisation.subject.length).toBeGreaterThan(5);
      expect(n.personalisation.body).toMatch(/^Dear Alex,/);
      expect(n.personalisation.given_name).toBe('Alex');
      expect(n.personalisation.notification_id).toBe(r.id);
      expect(r).toMatchObject({ channel: 'email', status: 'sending', providerId: n.id });
      // The offer carries the patient's single-use link, named by the offer notification (not the referral id).
      if (r.event === 'offer') {
        const config = s.api.get<AppConfig>(APP_CONFIG);
        const url = offerLinkUrl(config.http.publicBaseUrl, offerLinkToken(config.workflow.offerLinkSecret, r.id));
        expect(n.personalisation.offer_url).toBe(url);
        expect(n.personalisation.body).toContain(`online at ${url}`);
        for (const id of ids) expect(n.personalisation.body).not.toContain(id);
      } else {
        expect(n.personalisation.offer_url).toBe('');
      }
    }

    // The contract fields, with the status history beside them.
    const res = await s.http.get(`/v1/referrals/${discharged.id}/notifications`).set(bearer(discharged.patient)).expect(200);
    // Listed in the order they were made. The offer is made by the make-offers job, which may run
    // after driveTo has already recorded the consent (it is then cancelled, never sent): it is
    // listed where it was made, and every other event in the order the steps happened.
    const events = res.body.items.map((i: { event: string }) => i.event);
    expect(events.filter((e: string) => e !== 'offer')).toEqual([
      'consent_recorded',
      'transfer_confirmed',
      'appointment_booked',
      'treatment_recorded',
      'discharged',
    ]);
    expect(events.filter((e: string) => e === 'offer')).toEqual(['offer']);
    const made = res.body.items.map((i: { createdAt: string }) => i.createdAt);
    expect(made).toEqual([...made].sort());
    const offer = res.body.items.find((i: { event: string }) => i.event === 'offer');
    if (offer.status !== 'cancelled') expect(events[0]).toBe('offer');
    for (const item of res.body.items) {
      const status = item.event === 'offer' && item.status === 'cancelled' ? 'cancelled' : 'sending';
      expect(item).toMatchObject({
        id: expect.any(String),
        event: expect.any(String),
        channel: 'email',
        status,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(item.statusHistory.map((h: { status: string }) => h.status)).toEqual(['created', status]);
    }
  });

  it('a send whose answer was lost (Notify took it, then 500) is adopted on retry, not sent twice', async () => {
    await drained(s);
    fake.fail('accept-then-server', { templateId: TEMPLATES.offer.email });
    const { id, row } = await offered();
    expect(row.status).toBe('sending');
    const sent = fake.byReference(row.id);
    expect(sent).toHaveLength(1);
    expect(row.providerId).toBe(sent[0].id);
    // The first attempt got a 500 after Notify had the message; the retry looked it up by reference.
    expect(fake.requests.filter((r) => r.method === 'POST' && r.status === 500).length).toBeGreaterThanOrEqual(1);
    // The row says 'sending' a moment before BullMQ records the attempt as finished: wait for that.
    const queue = s.queues.find((q) => q.name === 'notifications')!;
    const jobId = `notification.send.${id}.${row.id}`;
    const job = await waitUntil(async () => ((await queue.getJobState(jobId)) === 'completed' ? queue.getJob(jobId) : null), 'the send job to complete');
    expect(job?.attemptsMade).toBe(2);
    expect(job?.returnvalue).toMatchObject({ outcome: 'done', reason: expect.stringMatching(/earlier attempt/) });
  });

  it('a send that times out after Notify took it is not sent twice either', async () => {
    await drained(s);
    fake.fail('accept-then-hang', { templateId: TEMPLATES.offer.email });
    const { row } = await offered();
    expect(fake.byReference(row.id)).toHaveLength(1);
    expect(row.providerId).toBe(fake.byReference(row.id)[0].id);
  });
});

describe('delivery status', () => {
  it('callbacks need the bearer token: none or a wrong one is 401, and nothing changes', async () => {
    const { row } = await offered();
    expect((await callback(receipt(row, 'delivered'), '')).status).toBe(401);
    expect((await callback(receipt(row, 'delivered'), `Bearer ${CALLBACK_TOKEN}x`)).status).toBe(401);
    expect((await callback(receipt(row, 'delivered'), 'Bearer short')).status).toBe(401);
    expect((await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('sending');
    expect((await callback({ reference: row.id, status: 'delivered' })).status).toBe(400);
  });

  it('a malformed receipt is a 400 naming the fields, like the rest of the API', async () => {
    const { row } = await offered();
    const noId = await callback({ reference: row.id, status: 'delivered' });
    expect(noId.status).toBe(400);
    expect(noId.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(noId.body.details.map((d: { field: string }) => d.field)).toEqual(['id']);
    const both = await callback({ id: 'not-a-uuid', status: 'Delivered!' });
    expect(both.body.details.map((d: { field: string }) => d.field)).toEqual(['id', 'status']);
    for (const d of both.body.details) expect(d.messages).toEqual([expect.any(String)]);
  });

  it('a callback records delivered with its time; a late or repeated one changes nothing', async () => {
    const { row, patient } = await offered();
    const completed = new Date(Date.now() - 5_000);
    expect((await callback(receipt(row, 'delivered', completed))).status).toBe(204);
    expect((await callback(receipt(row, 'delivered'))).status).toBe(204);
    expect((await callback(receipt(row, 'sending'))).status).toBe(204);
    const n = await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(n.status).toBe('delivered');
    const res = await s.http.get(`/v1/referrals/${n.referralId}/notifications`).set(bearer(patient)).expect(200);
    const item = res.body.items.find((i: { id: string }) => i.id === row.id);
    expect(item.status).toBe('delivered');
    expect(item.statusHistory.map((h: { status: string }) => h.status)).toEqual(['created', 'sending', 'delivered']);
    expect(item.statusHistory[2].providerAt).toBe(completed.toISOString());
    // A receipt for a notification that is not ours is accepted (Notify should not retry it) and ignored.
    expect((await callback({ ...receipt(row, 'delivered'), id: randomUUID(), reference: randomUUID() })).status).toBe(204);
  });

  it('the poll asks Notify about notifications still sending and records what it says', async () => {
    const { row } = await offered();
    fake.setStatus(row.providerId!, 'technical-failure');
    const n = await waitUntil(async () => {
      const x = await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id }, include: { statuses: true } });
      return x.status === 'technical-failure' ? x : null;
    }, 'the poll to record the status');
    expect(n!.statuses.map((h) => [h.status, h.source])).toEqual([
      ['sending', 'send'],
      ['technical-failure', 'poll'],
    ]);
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === `/v2/notifications/${row.providerId}`)).toBe(true);
    // Final and the patient untold: the booking team is asked to act, but no letter goes in its place.
    const task = await waitUntil(() => s.prisma.task.findUnique({ where: { key: `notification_failed.${row.id}` } }), 'the notification_failed task');
    expect(task).toMatchObject({ team: 'booking', kind: 'notification_failed', trustOds: 'RLQ' });
    expect(task!.detail).toMatchObject({ notificationId: row.id, status: 'technical-failure', fallbackLetterId: null });
    expect((await rowsOf(n!.referralId)).filter((r) => r.channel === 'letter')).toHaveLength(0);
  });

  it('a temporary failure (phone off for 72 hours) raises the booking-team task too, with no letter', async () => {
    const { id, row } = await offered();
    expect((await callback(receipt(row, 'temporary-failure'))).status).toBe(204);
    expect((await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('temporary-failure');
    const tasks = await s.prisma.task.findMany({ where: { referralId: id, kind: 'notification_failed' } });
    expect(tasks.map((t) => [t.key, t.trustOds])).toEqual([[`notification_failed.${row.id}`, 'RLQ']]);
    await drained(s);
    expect((await rowsOf(id)).map((r) => r.channel)).toEqual(['email']);
  });

  it('the poll does not get stuck on notifications Notify keeps calling sending: newer ones are asked about too', async () => {
    const { id, row } = await offered();
    // More than a poll batch (100) of older notifications that Notify never finishes (letters stay so for days).
    await s.prisma.sql.query(
      `INSERT INTO notification (id, referral_id, event, key, channel, status, provider_id, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, 'offer', 'stuck-' || $1 || '-' || g, 'letter', 'sending', gen_random_uuid()::text, now() - interval '3 days', now() - interval '3 days'
       FROM generate_series(1, 150) g`,
      [id],
    );
    try {
      // A pass has run since they were written: a full batch of the stuck ones has been asked about.
      // (Only now does Notify deliver the newer one: a pass already running when they were written
      // could otherwise reach it before any of them, and prove nothing.)
      const polledStuck = () => s.prisma.notification.count({ where: { referralId: id, key: { startsWith: 'stuck-' }, polledAt: { not: null } } });
      await waitUntil(async () => ((await polledStuck()) >= 100 ? true : null), 'a poll pass over the stuck notifications', 30);
      fake.setStatus(row.providerId!, 'delivered');
      const n = await waitUntil(
        async () => {
          const x = await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id } });
          return x.status === 'delivered' ? x : null;
        },
        'the poll to reach the newer notification',
        30,
      );
      expect(n!.status).toBe('delivered');
      // The stuck ones are still asked about, each pass the ones asked longest ago.
      expect(await polledStuck()).toBeGreaterThan(100);
    } finally {
      await s.prisma.sql.query(`DELETE FROM notification WHERE referral_id = $1::uuid AND key LIKE 'stuck-%'`, [id]);
    }
  });
});

describe('fallbacks', () => {
  it('a permanent failure sends a letter instead, once, and raises one booking-team task', async () => {
    const { id, row } = await offered({ accessibleFormat: 'large_print' });
    expect((await callback(receipt(row, 'permanent-failure'))).status).toBe(204);
    expect((await callback(receipt(row, 'permanent-failure'))).status).toBe(204);
    const rows = await allSent([id], 2);
    expect(rows.map((r) => [r.event, r.channel, r.status, r.fallbackOf])).toEqual([
      ['offer', 'email', 'permanent-failure', null],
      ['offer', 'letter', 'sending', row.id],
    ]);
    const letter = fake.byReference(rows[1].id);
    expect(letter).toHaveLength(1);
    expect(letter[0].type).toBe('letter');
    expect(letter[0].templateId).toBe(TEMPLATES.offer.letter);
    const p = letter[0].personalisation;
    expect([p.address_line_1, p.address_line_2, p.address_line_3, p.address_line_4]).toEqual(['Alex Testpatient', '1 High Street', 'Hereford', 'HR1 2ER']);
    expect(p.accessible_format).toBe('large_print');
    const tasks = await s.prisma.task.findMany({ where: { referralId: id }, orderBy: { createdAt: 'asc' } });
    expect(tasks.map((t) => [t.team, t.kind, t.trustOds, t.key])).toEqual(
      expect.arrayContaining([
        ['booking', 'notification_failed', 'RLQ', `notification_failed.${row.id}`],
        ['booking', 'accessible_letter', 'RLQ', `accessible_letter.${rows[1].id}`],
      ]),
    );
    expect(tasks.filter((t) => t.kind === 'notification_failed')).toHaveLength(1);
    // Task details are ids and codes: no patient data.
    expect(JSON.stringify(tasks.map((t) => t.detail))).not.toMatch(/Alex|High Street|HR1|example\.com|07700/);
  });

  it('SMS first when the patient asks for it; Notify refusing the number (400) falls back to a letter', async () => {
    fake.fail('validation', { type: 'sms' });
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient: { contactPreference: 'sms' } });
    const rows = await allSent([ref.id], 2);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['sms', 'permanent-failure'],
      ['letter', 'sending'],
    ]);
    expect(fake.byReference(rows[0].id)).toHaveLength(0);
    expect(fake.byReference(rows[1].id)[0].templateId).toBe(TEMPLATES.offer.letter);
    expect(await s.prisma.task.count({ where: { key: `notification_failed.${rows[0].id}` } })).toBe(1);
  });

  it("an accessible letter's task goes to the trust that holds the referral now (the receiver once it has accepted)", async () => {
    const ref = await driveTo(s, c, 'AWAITING_BOOKING', { patient: { email: undefined, phone: undefined, accessibleFormat: 'braille' } });
    const confirmed = await waitUntil(async () => {
      const r = (await rowsOf(ref.id)).find((x) => x.event === 'transfer_confirmed');
      return r && r.status !== 'created' ? r : null;
    }, 'the transfer confirmation letter');
    expect(confirmed).toMatchObject({ channel: 'letter', status: 'sending' });
    const task = await s.prisma.task.findUniqueOrThrow({ where: { key: `accessible_letter.${confirmed!.id}` } });
    expect([task.team, task.kind, task.trustOds]).toEqual(['booking', 'accessible_letter', 'RJC']);
  });

  it("the patient's recorded additional requirements decide: a letter when they ask for letters, in their format, with the booking team's task", async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const put = await s.http
      .put(`/v1/referrals/${ref.id}/additional-requirements`)
      .set(bearer(c.clerkRLQ))
      .send({ contactMethod: 'letter', informationFormats: ['braille'] });
    expect(put.status).toBe(200);
    expect((await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const [row] = await allSent([ref.id]);
    // The row was written for email (the patient has an address); the requirements recorded since decide.
    expect([row.event, row.channel, row.status]).toEqual(['offer', 'letter', 'sending']);
    const sent = fake.byReference(row.id);
    expect(sent.map((m) => [m.type, m.templateId])).toEqual([['letter', TEMPLATES.offer.letter]]);
    expect(sent[0].personalisation.accessible_format).toBe('braille');
    const task = await s.prisma.task.findUniqueOrThrow({ where: { key: `accessible_letter.${row.id}` } });
    expect([task.team, task.kind, task.trustOds, (task.detail as { format: string }).format]).toEqual(['booking', 'accessible_letter', 'RLQ', 'braille']);
  });

  it('a patient who asked to be phoned is sent the offer as before, and the booking team is asked to phone them', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const put = await s.http.put(`/v1/referrals/${ref.id}/additional-requirements`).set(bearer(c.clerkRLQ)).send({ contactMethod: 'telephone' });
    expect(put.status).toBe(200);
    expect((await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const [row] = await allSent([ref.id]);
    expect([row.event, row.channel, row.status]).toEqual(['offer', 'email', 'sending']);
    const task = await s.prisma.task.findUniqueOrThrow({ where: { key: `phone_patient.${row.id}` } });
    expect([task.team, task.kind, task.trustOds]).toEqual(['booking', 'phone_patient', 'RLQ']);
    expect(task.detail).toEqual({ notificationId: row.id, event: 'offer', contactMethod: 'telephone' });
  });

  it('a patient with no email or mobile is written to', async () => {
    const { row } = await offered({ email: undefined, phone: undefined });
    expect(row.channel).toBe('letter');
    expect(fake.byReference(row.id)[0].type).toBe('letter');
  });

  it('refuses an unknown contact preference or accessible format', async () => {
    const body = referralBody({ patient: { contactPreference: 'pigeon', accessibleFormat: 'smoke' } });
    const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['patient.accessibleFormat', 'patient.contactPreference']);
  });
});

describe('staff worklist emails through GOV.UK Notify', () => {
  /** A staff email as the reminder sweep writes it, with the outbox row of its send job. */
  async function staffEmail(): Promise<string> {
    const id = randomUUID();
    await s.prisma.sqlTransaction(async (tx) => {
      await tx.query(
        `INSERT INTO staff_notification (id, trust_ods, team, event, key, channel, recipient, detail)
         VALUES ($1::uuid, 'RJC', 'booking', 'staff_worklist', $2, 'email', 'booking.team@example.nhs.uk', $3::jsonb)`,
        [id, `staff-status-test.${id}`, JSON.stringify({ counts: { 'to-book': 1 }, referralIds: [] })],
      );
      await writeOutbox(tx, null, [{ name: 'staff-notification.send', payload: { staffNotificationId: id }, jobId: `staff-notification.send.${id}` }]);
    });
    return id;
  }
  const staffRow = async (id: string) =>
    (await s.prisma.sql.query<{ status: string; provider_id: string | null }>('SELECT status, provider_id FROM staff_notification WHERE id = $1::uuid', [id]))
      .rows[0];
  const sent = async (id: string) =>
    (await waitUntil(async () => ((await staffRow(id)).status === 'sending' ? staffRow(id) : null), 'the staff email to reach Notify', 30))!;

  it('records Notify id, then the status from a callback: a bounced team address shows permanent-failure', async () => {
    const id = await staffEmail();
    const row = await sent(id);
    expect(row.provider_id).toEqual(expect.any(String));
    expect(fake.sent.filter((m) => m.reference === id).map((m) => m.templateId)).toEqual([TEMPLATES.staff_worklist.email]);
    const res = await callback({
      id: row.provider_id,
      reference: id,
      to: 'booking.team@example.nhs.uk',
      status: 'permanent-failure',
      notification_type: 'email',
    });
    expect(res.status).toBe(204);
    expect((await staffRow(id)).status).toBe('permanent-failure');
    // A late `delivered` does not undo a final status.
    await callback({ id: row.provider_id, reference: id, status: 'delivered', notification_type: 'email' }).expect(204);
    expect((await staffRow(id)).status).toBe('permanent-failure');
    // The team gets a task (its address does not work); no fallback letter comes of a staff email.
    const tasks = await s.prisma.task.findMany({ where: { key: { contains: id } } });
    expect(tasks.map((t) => [t.kind, t.trustOds, t.team, t.referralId])).toEqual([['staff_email_failed', 'RJC', 'booking', null]]);
    expect(await s.prisma.notification.count({ where: { fallbackOf: id } })).toBe(0);
  });

  it('the poll finds the status of a staff email without a callback', async () => {
    const id = await staffEmail();
    const row = await sent(id);
    fake.setStatus(row.provider_id!, 'delivered');
    await waitUntil(async () => ((await staffRow(id)).status === 'delivered' ? true : null), 'the poll to record the staff email as delivered', 30);
  });
});

describe('templates', () => {
  it('the boot check names the staff worklist email template when it is missing', () => {
    expect(missingNotifyTemplates(PATIENT_TEMPLATES)).toEqual(['staff_worklist/email']);
    expect(missingNotifyTemplates(TEMPLATES)).toEqual([]);
    const { offer: _offer, ...noOffer } = PATIENT_TEMPLATES;
    expect(missingNotifyTemplates(noOffer)).toEqual(expect.arrayContaining(['offer/email', 'offer/sms', 'offer/letter', 'staff_worklist/email']));
    const { [PIDMAS_INVITATION_EVENT]: _invitation, ...noInvitation } = TEMPLATES;
    expect(missingNotifyTemplates(noInvitation)).toEqual(['pidmas_invitation/email', 'pidmas_invitation/sms', 'pidmas_invitation/letter']);
  });
});

describe('timing', () => {
  it('quiet hours hold an SMS as a delayed job until 08:00 UK time, then it goes', async () => {
    const london = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const [h, m] = london.format(new Date()).split(':').map(Number) as [number, number];
    let start = (h * 60 + m + 1439) % 1440; // a minute ago: the window holds "now"
    if (start === 480) start = h * 60 + m;
    const hhmm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
    await restartWorker({ SMS_QUIET_HOURS: `${hhmm(start)}-08:00` });

    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient: { contactPreference: 'sms' } });
    const queue = s.queues.find((q) => q.name === 'notifications')!;
    const row = await waitUntil(async () => (await rowsOf(ref.id))[0] ?? null, 'the offer notification');
    const jobId = `notification.send.${ref.id}.${row.id}`;
    const job = (await waitUntil(async () => {
      const j = await queue.getJob(jobId);
      return j && (await j.getState()) === 'delayed' ? j : null;
    }, 'the SMS job to be held'))!;
    const redis = new Redis(process.env.REDIS_URL!);
    const score = Number(await redis.zscore(queue.keys.delayed, jobId).finally(() => redis.quit()));
    const until = new Date(Math.floor(score / 0x1000));
    expect(london.format(until)).toBe('08:00');
    expect(until.getTime()).toBeGreaterThan(Date.now());
    expect(until.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(job.attemptsMade).toBe(0);
    expect(fake.byReference(row.id)).toHaveLength(0);
    expect((await rowsOf(ref.id))[0]).toMatchObject({ channel: 'sms', status: 'created' });

    // Morning comes: the held SMS goes, once.
    await restartWorker({ SMS_QUIET_HOURS: 'off' });
    await job.promote();
    const [sent] = await allSent([ref.id]);
    expect(sent.status).toBe('sending');
    const sms = fake.byReference(row.id);
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ type: 'sms', templateId: TEMPLATES.offer.sms, to: '07700900123' });
  });

  it('an SMS held by quiet hours is not sent once it stops being true (the patient answered in the night)', async () => {
    const london = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const [h, m] = london.format(new Date()).split(':').map(Number) as [number, number];
    let start = (h * 60 + m + 1439) % 1440;
    if (start === 480) start = h * 60 + m;
    const hhmm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
    await restartWorker({ SMS_QUIET_HOURS: `${hhmm(start)}-08:00` });

    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient: { contactPreference: 'sms' } });
    const queue = s.queues.find((q) => q.name === 'notifications')!;
    const row = await waitUntil(async () => (await rowsOf(ref.id)).find((r) => r.event === 'offer') ?? null, 'the offer notification');
    const job = (await waitUntil(async () => {
      const j = await queue.getJob(`notification.send.${ref.id}.${row!.id}`);
      return j && (await j.getState()) === 'delayed' ? j : null;
    }, 'the SMS job to be held'))!;
    // The patient answers online before morning.
    const referral = (await s.http.get(`/v1/referrals/${ref.id}`).set(bearer(c.clinRLQ))).body;
    const offer = referral.offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
    await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(ref.patient)).send({ decision: 'accept', offerId: offer.id }).expect(200);

    await restartWorker({ SMS_QUIET_HOURS: 'off' });
    // The consent confirmation (an SMS too) was held as well: morning comes for every held job.
    for (const j of await queue.getJobs(['delayed'])) await j.promote();
    // The state first, then the job: a job read before it completed carries no return value.
    const done = await waitUntil(async () => ((await queue.getJobState(job.id!)) === 'completed' ? queue.getJob(job.id!) : null), 'the held job to run');
    expect(done!.returnvalue).toMatchObject({ outcome: 'skipped' });
    expect(fake.byReference(row!.id)).toHaveLength(0);
    const res = await s.http.get(`/v1/referrals/${ref.id}/notifications`).set(bearer(ref.patient)).expect(200);
    const item = res.body.items.find((i: { id: string }) => i.id === row!.id);
    expect(item.status).toBe('cancelled');
    expect(item.statusHistory.map((h: { status: string }) => h.status)).toEqual(['created', 'cancelled']);
    // The consent confirmation, true now, went.
    await drained(s);
    expect(res.body.items.map((i: { event: string }) => i.event)).toContain('consent_recorded');
  });

  it("keeps to Notify's rate limit with a BullMQ limiter (here 2 sends a second)", async () => {
    await restartWorker({ NOTIFY_RATE_LIMIT_MAX: '2', NOTIFY_RATE_LIMIT_DURATION_MS: '1000' });
    const queue = s.queues.find((q) => q.name === 'notifications')!;
    // The count of the earlier 60 s window is shared in Redis: start this one afresh.
    await queue.removeRateLimitKey();
    const { id } = await offered();
    await queue.removeRateLimitKey();
    const ref = { id, status: 'AWAITING_PATIENT_CONSENT' as const, version: 1, patient: { email: 'alex@example.com', phone: null } };
    await s.prisma.sqlTransaction(async (tx) => {
      for (let i = 0; i < 6; i++) await createNotification(tx, ref, 'offer', `rate-${i}`);
    });
    const rows = (await allSent([id], 7)).slice(1);
    const started = (await Promise.all(rows.map(async (r) => (await queue.getJob(`notification.send.${id}.${r.id}`))!.processedOn!))).sort((a, b) => a - b);
    const posted = rows.map((r) => fake.byReference(r.id)[0].createdAt.getTime()).sort((a, b) => a - b);
    expect(posted).toHaveLength(6);
    // All six were waiting at once: the limiter lets 2 start, 2 more a second later, then the last 2
    // (each pair starts within a few ms of each other, hence the margin).
    for (let i = 0; i + 2 < started.length; i++) expect(started[i + 2] - started[i]).toBeGreaterThanOrEqual(800);
    expect(started[4] - started[0]).toBeGreaterThanOrEqual(1800);
    // What Notify saw: the fifth send at least two windows after the first (less request time).
    expect(posted[4] - posted[0]).toBeGreaterThanOrEqual(1700);
    await restartWorker({ NOTIFY_RATE_LIMIT_MAX: '3000', NOTIFY_RATE_LIMIT_DURATION_MS: '60000' });
  });
});
